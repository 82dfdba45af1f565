from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.cli import main
from compliance.errors import ExitCode, InputError, ModelFileError
from compliance.facts.declared import parse_fact_option
from compliance.facts.model import Confidence, Evidence, Fact
from compliance.inspection import PARAMETER_TOLERANCE, _choose_parameters, inspect_local
from tests.factories import CARD, TINY_LLAMA_CONFIG, count, model_dir, tiny_llama_tensors


def test_headers_config_and_card_are_merged_with_evidence(tmp_path: Path) -> None:
    tensors = tiny_llama_tensors()
    inspection = inspect_local(model_dir(tmp_path / "m", tensors=tensors))
    facts = inspection.facts
    params = facts.get("parameters")
    assert params is not None
    assert params.value == count(tensors)
    assert params.method == "safetensors-header"
    assert [a.method for a in params.alternatives] == ["architecture"]
    assert facts.value("parameters_by_dtype") == {"BF16": count(tensors)}
    assert facts.value("license") == "apache-2.0"
    tokens = facts.get("training_tokens")
    assert tokens is not None and tokens.value == pytest.approx(2e12)
    assert tokens.evidence[0].kind == "card-text"
    compute = facts.get("training_compute_flop")
    assert compute is not None and compute.method == "operation-counting"
    assert compute.value == pytest.approx(6 * count(tensors) * 2e12)
    assert inspection.files_read == ["config.json", "model.safetensors", "README.md"]
    assert inspection.bytes_read > 0


def test_config_only_uses_the_architecture_formula(tmp_path: Path) -> None:
    inspection = inspect_local(model_dir(tmp_path / "m", card=None))
    params = inspection.facts.get("parameters")
    assert params is not None and params.method == "architecture"
    assert params.value == count(tiny_llama_tensors())
    assert inspection.facts.value("active_parameters") == params.value


def test_header_and_config_disagreement_is_flagged(tmp_path: Path) -> None:
    tensors = tiny_llama_tensors()
    tensors["extra.weight"] = ("BF16", [10_000, 10])
    inspection = inspect_local(model_dir(tmp_path / "m", tensors=tensors))
    params = inspection.facts.get("parameters")
    assert params is not None and "disagree" in (params.note or "")
    assert any("disagree" in w for w in inspection.warnings)


def test_declared_facts_override_and_keep_what_was_found(tmp_path: Path) -> None:
    declared = [parse_fact_option("training_tokens=15T"), parse_fact_option("training_compute_flop=1e24..3e24")]
    inspection = inspect_local(model_dir(tmp_path / "m"), declared=declared)
    tokens = inspection.facts.get("training_tokens")
    assert tokens is not None and tokens.value == 15e12 and tokens.method == "declared"
    assert tokens.alternatives[0].value == pytest.approx(2e12)
    compute = inspection.facts.get("training_compute_flop")
    assert compute is not None and (compute.low, compute.high) == (1e24, 3e24)
    assert compute.confidence is Confidence.CONFIDENT


def test_card_only_model(tmp_path: Path) -> None:
    card = "---\nlicense: other\npipeline_tag: text-to-video\n---\nA 12 billion parameter video model.\n"
    inspection = inspect_local(model_dir(tmp_path / "m", config=None, card=card))
    assert inspection.facts.value("output_modalities") == ["video"]


@pytest.mark.parametrize(
    ("setup", "error", "message"),
    [
        (lambda p: None, InputError, "no such directory"),
        (lambda p: p.mkdir(), InputError, "nothing to inspect"),
        (lambda p: p.write_text("x"), InputError, "not a directory"),
        (
            lambda p: model_dir(p, card=None) and (p / "config.json").write_text("{oops"),
            ModelFileError,
            "not valid JSON",
        ),
        (
            lambda p: model_dir(p, card=None) and (p / "config.json").write_text("[1]"),
            ModelFileError,
            "not a JSON object",
        ),
        (
            lambda p: model_dir(p, config=None) and (p / "model.safetensors").write_bytes(b"\x10\0\0\0\0\0\0\0{}"),
            ModelFileError,
            "claims 16 bytes",
        ),
        (lambda p: model_dir(p, config=None, card="---\nlicense: mit\n"), ModelFileError, "front matter"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path: Path, setup, error, message) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "m"
    setup(target)
    with pytest.raises(error, match=message) as info:
        inspect_local(target)
    assert "\n" not in str(info.value)


def test_config_json_is_bounded(tmp_path: Path) -> None:
    target = model_dir(tmp_path / "m", card=None)
    (target / "config.json").write_text(json.dumps({**TINY_LLAMA_CONFIG, "pad": "x" * (17 * 1024 * 1024)}))
    with pytest.raises(ModelFileError, match="larger than"):
        inspect_local(target)


def test_huge_card_is_refused(tmp_path: Path) -> None:
    target = model_dir(tmp_path / "m", card=CARD + "word " * (2 * 1024 * 1024))
    with pytest.raises(InputError, match="README"):
        inspect_local(target)


# -- counts that disagree: the fact covers both, the larger is used ---------------------------


def _stored(n: float, **kw: object) -> Fact:
    return Fact("parameters", n, method="safetensors-header",
                evidence=[Evidence("safetensors-header", "model.safetensors", "1 tensor")], **kw)  # type: ignore[arg-type]  # fmt: skip


def _formula(n: float, **kw: object) -> Fact:
    return Fact("parameters", n, method="architecture",
                evidence=[Evidence("config", "config.json", "llama formula")], **kw)  # type: ignore[arg-type]  # fmt: skip


def test_counts_within_the_tolerance_keep_the_exact_stored_count() -> None:
    warnings: list[str] = []
    chosen = _choose_parameters(_stored(8_030_261_248), _formula(8_100_000_000), warnings)
    assert chosen is not None and chosen.method == "safetensors-header"
    assert (chosen.value, chosen.low, chosen.high) == (8_030_261_248, 8_030_261_248, 8_030_261_248)
    assert chosen.confidence is Confidence.CONFIDENT and not warnings


@pytest.mark.parametrize(("stored", "formula"), [(1, 8_030_261_248), (70_553_706_496, 8_030_261_248)])
def test_disagreeing_counts_become_an_interval_valued_at_the_larger(stored: int, formula: int) -> None:
    warnings: list[str] = []
    chosen = _choose_parameters(_stored(stored), _formula(formula), warnings)
    assert chosen is not None
    assert chosen.value == max(stored, formula)
    assert (chosen.low, chosen.high) == (min(stored, formula), max(stored, formula))
    assert chosen.confidence is Confidence.SPECULATIVE
    [warning] = warnings
    for said in (
        "safetensors header (model.safetensors)",
        "config formula (config.json)",
        f"{stored:,}",
        f"{formula:,}",
    ):
        assert said in (chosen.note or "") and said in warning
    assert "by a factor of" in warning
    assert [a.value for a in chosen.alternatives] == [min(stored, formula)]


@settings(max_examples=200, deadline=None)
@given(
    stored=st.integers(min_value=1, max_value=10**13),
    formula=st.integers(min_value=1, max_value=10**13),
    confidence=st.sampled_from([Confidence.CONFIDENT, Confidence.LIKELY]),
)
def test_a_check_never_rests_on_the_smaller_of_two_disagreeing_counts(
    stored: int, formula: int, confidence: Confidence
) -> None:
    warnings: list[str] = []
    chosen = _choose_parameters(_stored(stored), _formula(formula, confidence=confidence), warnings)
    assert chosen is not None and chosen.low is not None and chosen.high is not None
    if abs(formula - stored) > PARAMETER_TOLERANCE * stored:
        assert chosen.low <= min(stored, formula) and chosen.high >= max(stored, formula)
        assert chosen.value == max(stored, formula)
        assert chosen.confidence.rank >= Confidence.SPECULATIVE.rank
        assert any("disagree" in w for w in warnings)
    else:
        assert chosen.value == stored and chosen.method == "safetensors-header" and not warnings


def test_packed_quantized_weights_still_defer_to_the_config(tmp_path: Path) -> None:
    cfg = TINY_LLAMA_CONFIG
    tensors = {n: (d, s) for n, (d, s) in tiny_llama_tensors().items() if "mlp" not in n}
    for layer in range(cfg["num_hidden_layers"]):  # 4-bit weights packed eight to an int32
        for proj in ("gate_proj", "up_proj", "down_proj"):
            tensors[f"model.layers.{layer}.mlp.{proj}.qweight"] = ("I32", [8, cfg["intermediate_size"]])
    inspection = inspect_local(model_dir(tmp_path / "m", tensors=tensors, card=None))
    params = inspection.facts.get("parameters")
    assert params is not None and params.method == "architecture"
    assert params.value == count(tiny_llama_tensors()) and params.low == params.high == params.value
    assert params.confidence is Confidence.CONFIDENT
    assert [a.method for a in params.alternatives] == ["safetensors-header"]


def test_a_card_disagreeing_later_keeps_the_earlier_note(tmp_path: Path) -> None:
    tensors = tiny_llama_tensors()
    tensors["extra.weight"] = ("BF16", [10_000, 10])
    card = "---\nlicense: mit\n---\nA model with 3 billion parameters.\n"
    params = inspect_local(model_dir(tmp_path / "m", tensors=tensors, card=card)).facts.get("parameters")
    assert params is not None and params.note is not None
    assert "safetensors header" in params.note and "config formula" in params.note


# -- end to end: the gate on a lying directory ---------------------------------------------------

_CARD = "---\nlicense: apache-2.0\npipeline_tag: text-generation\n---\n# m\n"
# A gate that fails on the EU documentation duties (medium): an 8B model trained on 15T tokens triggers them.
_GATE = ["--market", "EU", "--fact", "training_tokens=15T", "--open-weights", "no", "--fail-on", "medium",
         "--format", "json"]  # fmt: skip


def _one_tiny_tensor(directory: Path, size: int | None = None) -> Path:
    """An 8B Llama config beside a header declaring one 2-byte tensor (a sparse file of ``size`` bytes)."""
    from compliance.demo import CONFIG

    directory.mkdir(parents=True)
    (directory / "config.json").write_text(json.dumps(CONFIG))
    (directory / "README.md").write_text(_CARD)
    raw = json.dumps({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}).encode()
    path = directory / "model.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0\0")  # exactly what the header describes
    if size is not None:
        os.truncate(path, size)
    return directory


def _gate(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["check", *args])
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_the_gate_does_not_pass_a_header_that_disagrees_with_its_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from compliance.demo import build

    honest = build(tmp_path / "honest")
    (honest / "README.md").write_text(_CARD)
    code, out, _ = _gate([str(honest), *_GATE], capsys)
    assert code == ExitCode.FAIL
    assert _verdict(json.loads(out), "eu.gpai.documentation") == "triggered"
    # The same config beside a header declaring one tiny tensor (and a file of exactly that size)
    # was counted as a 1-parameter model, and the gate passed.

    code, out, _ = _gate([str(_one_tiny_tensor(tmp_path / "liar")), *_GATE], capsys)
    assert code == ExitCode.INCONCLUSIVE
    report = json.loads(out)
    params = report["facts"]["parameters"]
    assert (params["value"], params["low"], params["high"]) == (8_030_261_248, 1, 8_030_261_248)
    assert params["confidence"] == "speculative"
    assert _verdict(report, "eu.gpai.documentation") == "uncertain"
    [said] = [w for w in report["warnings"] if "disagree" in w]
    assert "safetensors header (model.safetensors) count 1" in said
    assert "config formula (config.json) count 8,030,261,248" in said


def test_the_gate_text_report_says_which_sources_disagree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    liar = str(_one_tiny_tensor(tmp_path / "liar"))
    code, out, err = _gate([liar, "--market", "EU", "--fact", "training_tokens=15T", "--fail-on", "medium"], capsys)
    assert code == ExitCode.INCONCLUSIVE
    assert "safetensors header (model.safetensors) count 1 and the config formula" in out + err


def test_the_gate_refuses_a_16_gb_file_whose_header_declares_two_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _one_tiny_tensor(tmp_path / "liar", size=16 * 1024**3)
    code, out, err = _gate([str(target), *_GATE], capsys)
    assert code == ExitCode.INPUT == 4  # a ModelFileError is an input error
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert "model.safetensors" in err and "bytes belong to no tensor" in err and not out


def _verdict(report: dict[str, Any], rule_id: str) -> str:
    return str(next(f["verdict"] for f in report["findings"] if f["rule_id"] == rule_id))
