from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance.errors import InputError, ModelFileError
from compliance.facts.declared import parse_fact_option
from compliance.facts.model import Confidence
from compliance.inspection import inspect_local
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
