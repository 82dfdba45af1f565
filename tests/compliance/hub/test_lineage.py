"""Lineage on the local hub: inherited compute, cycles, depth, mismatched and undeclared bases."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.facts.model import Fact
from compliance.hub.info import HubInfo
from compliance.hub.lineage import choose_base_compute, declared_bases
from tests.compliance.hub.conftest import Run, hub_requests, make_run
from tests.factories import TINY_LLAMA_CONFIG, safetensors_bytes, tiny_llama_tensors
from tests.hubfixtures import HubServer

LLAMA = "meta-llama/Llama-3.1-8B"
INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
AWQ = "demo-quant/Llama-3.1-8B-Instruct-AWQ-INT4"
MINICPM = "openbmb/MiniCPM-Llama3-V-2_5"
COPY = "mustafaaljadery/llama3v"


def test_fine_tune_inherits_its_base_compute(hub: HubServer, run: Run) -> None:
    base = run.inspect(LLAMA).facts.get("training_compute_flop")
    inspection = run.inspect(INSTRUCT)
    facts = inspection.facts
    inherited = facts.get("base_model_compute_flop")
    assert base is not None and inherited is not None
    assert inherited.value == pytest.approx(base.value) and inherited.method == "lineage"
    assert inherited.evidence[0].kind == "lineage" and LLAMA in inherited.evidence[0].detail
    total = facts.get("training_compute_flop")
    assert total is not None and float(total.value) >= float(base.value) * 0.99
    [row] = inspection.lineage
    assert row["depth"] == 1 and row["model"] == LLAMA and row["relation"] == "finetune"
    assert row["training_compute_flop"] == pytest.approx(base.value) and len(row["sha"]) == 40
    assert row["parameters"] == 8_030_261_248 and row["architecture"] == "LlamaForCausalLM"
    assert row["note"] == "architecture matches (parameter count)"


def test_quantization_inherits_through_the_chain(hub: HubServer, run: Run) -> None:
    inspection = run.inspect(AWQ)
    facts = inspection.facts
    assert [(r["depth"], r["model"], r["relation"]) for r in inspection.lineage] == [
        (1, INSTRUCT, "quantized"),
        (2, LLAMA, "finetune"),
    ]
    assert facts.value("finetune_compute_flop") == 0.0
    total, base = facts.get("training_compute_flop"), facts.get("base_model_compute_flop")
    assert total is not None and base is not None and total.value == pytest.approx(base.value)
    assert total.value == pytest.approx(inspection.lineage[0]["training_compute_flop"])
    params = facts.get("parameters")
    assert params is not None and params.method == "architecture"  # not the packed I32 element count
    packed = [a for a in params.alternatives if a.method == "hub-api"]
    assert packed and packed[0].value < params.value and "packed" in (packed[0].note or "")
    tokens = facts.get("training_tokens")
    assert tokens is not None and tokens.method == "inherited"
    assert inspection.lineage[0]["note"] == "architecture matches (config)"


def test_shared_ancestors_are_read_once_per_session(hub: HubServer, run: Run) -> None:
    run.inspect(INSTRUCT)
    hub.clear_log()
    run.inspect(AWQ)
    paths = [e["path"] for e in hub_requests(hub)]
    assert f"/api/models/{INSTRUCT}" not in paths and f"/api/models/{LLAMA}" not in paths


def test_a_fine_tune_estimate_below_its_base_is_its_modification(hub: HubServer, run: Run) -> None:
    from compliance.inspection import catalog_peak_lookup

    # 340 GPU-hours on H100s, stated under "Training", give ~4e20 FLOP and the 2.1B fine-tuning tokens
    # ~1e20: both readings describe the fine-tuning alone, and the interval covers both.
    inspection = run.inspect("demo-labs/Llama-3.1-8B-support-agent", peak_lookup=catalog_peak_lookup())
    facts = inspection.facts
    modification = facts.get("finetune_compute_flop")
    base = facts.get("base_model_compute_flop")
    total = facts.get("training_compute_flop")
    assert modification is not None and modification.method == "operation-counting"
    [hardware] = [a for a in modification.alternatives if "GPU hours" in " ".join(e.detail for e in a.evidence)]
    assert modification.low <= 1.0e20 and modification.high >= hardware.value >= 3e20
    assert base is not None and total is not None
    assert total.value == base.value + modification.value
    assert not any("below its base's" in w for w in inspection.warnings)
    assert [r["model"] for r in inspection.lineage] == [INSTRUCT, LLAMA]


def test_a_missing_base_is_a_note_not_an_error(hub: HubServer, run: Run) -> None:
    inspection = run.inspect("Qwen/Qwen3-30B-A3B")
    [row] = inspection.lineage
    assert row["model"] == "Qwen/Qwen3-30B-A3B-Base" and row["sha"] is None
    assert "not found" in row["note"]
    assert any("could not be inspected" in w for w in inspection.warnings)
    assert inspection.facts.value("active_parameters") is not None


def test_the_depth_limit_stops_the_walk(hub: HubServer, run: Run) -> None:
    inspection = run.inspect(AWQ, settings=run.settings.with_overrides(lineage_depth=1))
    assert [(r["depth"], r["model"]) for r in inspection.lineage] == [(1, INSTRUCT), (2, LLAMA)]
    assert "depth limit (1)" in inspection.lineage[1]["note"] and inspection.lineage[1]["sha"] is None
    assert f"/api/models/{LLAMA}" not in [e["path"] for e in hub_requests(hub)]


def test_undeclared_copy_is_flagged_after_its_original_was_seen(hub: HubServer, run: Run) -> None:
    original = run.inspect(MINICPM)
    assert not any("undeclared" in str(r) for r in original.lineage)
    copy = run.inspect(COPY)
    [row] = copy.lineage
    assert row["model"] == MINICPM and row["relation"] == "undeclared" and row["sha"] == original.model.sha
    assert any("matches openbmb/MiniCPM-Llama3-V-2_5 exactly" in w for w in copy.warnings)
    assert "config hyper-parameters" in row["note"]


def test_the_original_is_not_flagged_as_a_copy_of_a_younger_model(hub: HubServer, run: Run) -> None:
    run.inspect(COPY)
    assert run.inspect(MINICPM).lineage == []


def test_reference_ids_find_an_undeclared_base_in_a_fresh_process(hub: HubServer, run: Run) -> None:
    copy = run.inspect(COPY, references=[MINICPM, "01-ai/Yi-34B"])
    assert [r["model"] for r in copy.lineage] == [MINICPM]
    # same architecture class and a Llama design, but different sizes: not flagged
    yi = run.inspect("01-ai/Yi-34B", references=[LLAMA, "meta-llama/Llama-3.1-70B"])
    assert yi.lineage == [] and not any("exactly" in w for w in yi.warnings)


def test_a_base_model_is_not_flagged_as_a_copy_of_its_fine_tunes(hub: HubServer, run: Run) -> None:
    run.inspect(AWQ)  # indexes the quantization, the instruct model and the base
    base = run.inspect(LLAMA)
    assert base.lineage == [] and not any("exactly" in w for w in base.warnings)


# --- folder registries for the cases the demo registry does not hold --------------------------


def write_repo(root: Path, repo_id: str, front: dict[str, Any], config: dict[str, Any] | None = None) -> None:
    folder = root / repo_id
    folder.mkdir(parents=True)
    card = "---\n" + yaml.safe_dump(front) + "---\n\n# Model\n\nTrained on 2 trillion tokens.\n"
    (folder / "README.md").write_text(card, encoding="utf-8")
    if config is not None:
        (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
        (folder / "model.safetensors").write_bytes(safetensors_bytes(tiny_llama_tensors(config)))


StartHub = Callable[[Path], HubServer]


def test_a_lineage_cycle_is_detected(start_folder_hub: StartHub, tmp_path: Path) -> None:
    root = tmp_path / "repos"
    write_repo(root, "cyc/alpha", {"license": "mit", "base_model": "cyc/beta"}, TINY_LLAMA_CONFIG)
    write_repo(root, "cyc/beta", {"license": "mit", "base_model": "cyc/alpha"}, TINY_LLAMA_CONFIG)
    hub = start_folder_hub(root)
    inspection = make_run(hub.url, tmp_path).inspect("cyc/alpha")
    assert [(r["depth"], r["model"]) for r in inspection.lineage] == [(1, "cyc/beta"), (2, "cyc/alpha")]
    assert "lineage cycle: cyc/alpha → cyc/beta → cyc/alpha" in inspection.lineage[1]["note"]
    assert any("lineage cycle" in w for w in inspection.warnings)
    infos = [e["path"] for e in hub_requests(hub) if e["path"].startswith("/api/models/")]
    assert infos == ["/api/models/cyc/alpha", "/api/models/cyc/beta"]


def test_a_self_declared_base_is_a_cycle(start_folder_hub: StartHub, tmp_path: Path) -> None:
    root = tmp_path / "repos"
    write_repo(root, "cyc/self", {"license": "mit", "base_model": "cyc/self"}, TINY_LLAMA_CONFIG)
    inspection = make_run(start_folder_hub(root).url, tmp_path).inspect("cyc/self")
    assert inspection.lineage[0]["note"].startswith("lineage cycle: cyc/self → cyc/self")


def test_a_declared_base_with_another_architecture_is_flagged(start_folder_hub: StartHub, tmp_path: Path) -> None:
    root = tmp_path / "repos"
    wider = {**TINY_LLAMA_CONFIG, "hidden_size": 128, "intermediate_size": 256}
    write_repo(root, "org/base", {"license": "mit"}, TINY_LLAMA_CONFIG)
    write_repo(root, "org/claims-base", {"license": "mit", "base_model": "org/base"}, wider)
    write_repo(root, "org/true-tune", {"license": "mit", "base_model": "org/base"}, TINY_LLAMA_CONFIG)
    write_repo(root, "org/adapter", {"license": "mit", "base_model": "org/base", "library_name": "peft"}, wider)
    runner = make_run(start_folder_hub(root).url, tmp_path)
    claims = runner.inspect("org/claims-base")
    assert any("declares org/base as its base (finetune) but their architectures differ" in w for w in claims.warnings)
    note = claims.lineage[0]["note"]
    assert note.startswith("architecture mismatch: config differ") and "hidden_size 128 vs 64" in note
    assert runner.inspect("org/true-tune").lineage[0]["note"] == "architecture matches (parameter count)"
    adapter = runner.inspect("org/adapter")
    assert adapter.lineage[0]["note"] == "adapter: architecture not compared"
    assert not any("differ" in w for w in adapter.warnings)


@pytest.mark.parametrize("private", [True, False])
def test_a_guarded_model_seen_by_one_token_is_not_matched_for_another(
    start_folder_hub: StartHub, tmp_path: Path, private: bool
) -> None:
    # The session's fingerprint index outlives a check: a private or gated model indexed for the
    # token the hub accepted must not show up as another token's undeclared base.
    root = tmp_path / "repos"
    write_repo(root, "org/secret", {"license": "other"}, TINY_LLAMA_CONFIG)
    write_repo(root, "org/copy", {"license": "mit"}, TINY_LLAMA_CONFIG)
    guard = {"private": True} if private else {"gated": "manual"}
    (root / "org" / "secret" / ".hub.json").write_text(
        json.dumps({**guard, "authorized_tokens": ["insider"], "createdAt": "2024-01-01T00:00:00Z"})
    )
    (root / "org" / "copy" / ".hub.json").write_text(json.dumps({"createdAt": "2025-01-01T00:00:00Z"}))
    runner = make_run(start_folder_hub(root).url, tmp_path)
    insider = runner.settings.with_overrides(hf_token="insider")
    runner.inspect("org/secret", settings=insider)
    outsider = runner.inspect("org/copy", settings=runner.settings.with_overrides(hf_token="outsider"))
    assert outsider.lineage == [] and not any("org/secret" in w for w in outsider.warnings)
    assert [r["model"] for r in runner.inspect("org/copy", settings=insider).lineage] == ["org/secret"]


def test_hostile_base_ids_are_never_requested(start_folder_hub: StartHub, tmp_path: Path) -> None:
    root = tmp_path / "repos"
    front = {"license": "mit", "base_model": ["https://evil.example/x", "../../etc/passwd", "ok/missing"]}
    write_repo(root, "org/hostile", front, TINY_LLAMA_CONFIG)
    hub = start_folder_hub(root)
    inspection = make_run(hub.url, tmp_path).inspect("org/hostile")
    assert sum("ignored" in w for w in inspection.warnings) == 2
    assert [r["model"] for r in inspection.lineage] == ["ok/missing"]
    assert not any("evil" in e["path"] or "passwd" in e["path"] for e in hub.log())


# --- pure helpers -------------------------------------------------------------------------------


def test_declared_bases_prefer_the_card_and_validate_ids() -> None:
    info = HubInfo(id="a/b", base_models=["hub/said"], base_relation="quantized")
    card = [Fact("base_model", ["x/one", "x/two", "bad id"]), Fact("base_model_relation", "merge")]
    bases, relation, warnings = declared_bases(card, info)
    assert bases == ["x/one", "x/two"] and relation == "merge" and len(warnings) == 1
    assert declared_bases([], info)[:2] == (["hub/said"], "quantized")
    assert declared_bases([], HubInfo(id="a/b"))[:2] == ([], None)


def test_a_merge_inherits_the_largest_parent_compute() -> None:
    from compliance.facts.model import FactSet
    from compliance.hub.lineage import Node

    def node(name: str, flop: float) -> Node:
        facts = FactSet()
        facts.set(Fact("training_compute_flop", flop))
        return Node(name, None, HubInfo(id=name, sha="b" * 40), None, facts=facts)

    chosen = choose_base_compute([node("p/small", 1e22), node("p/large", 3e23)], "merge", "http://h")
    assert chosen is not None and chosen.value == 3e23
    assert "largest parent" in (chosen.note or "") and "p/large" in chosen.evidence[0].detail
    assert choose_base_compute([], "finetune", "http://h") is None


def test_open_weights_come_from_visibility_and_files(hub: HubServer, run: Run) -> None:
    published = run.inspect(LLAMA).facts.get("open_weights")
    assert published is not None and published.value is True and published.method == "hub-api"
    card_only = run.inspect("demo-labs/closed-video-gen").facts.get("open_weights")
    assert card_only is not None and card_only.value is False


def test_hub_session_memo_is_bounded_and_forgets_expired_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    from compliance.hub import lineage

    monkeypatch.setattr(lineage, "MAX_MEMO", 3)
    session = lineage.HubSession(memo_seconds=60.0)
    nodes = {}
    for n in range(5):
        key = ("hub", "t", f"acme/m{n}", "main", "online")
        nodes[key] = lineage.Node(f"acme/m{n}", None, None, None)
        session.remember(key, nodes[key])
        if n == 1:
            assert session.recall(("hub", "t", "acme/m0", "main", "online")) is not None  # m0 used after m1
    assert len(session._memo) == 3
    assert session.recall(("hub", "t", "acme/m1", "main", "online")) is None  # least recently used: gone first
    assert session.recall(("hub", "t", "acme/m2", "main", "online")) is not None
    assert session.recall(("hub", "t", "acme/m4", "main", "online")) is nodes[("hub", "t", "acme/m4", "main", "online")]
    expired = lineage.HubSession(memo_seconds=-1.0)
    expired.remember(("hub", "t", "acme/x", "main", "online"), nodes[("hub", "t", "acme/m4", "main", "online")])
    assert len(expired._memo) == 0


# --- the shipped index of known models ----------------------------------------------------------


def test_undeclared_copy_is_flagged_against_the_shipped_index_in_a_fresh_process(hub: HubServer, run: Run) -> None:
    copy = run.inspect(COPY)  # nothing inspected before, no --reference
    [row] = copy.lineage
    assert row["model"] == MINICPM and row["relation"] == "undeclared"
    assert "known since 2024-05-19" in row["note"] and "15 config hyper-parameters" in row["note"]
    fact = copy.facts.get("undeclared_derivation")
    assert fact is not None and fact.value is True and fact.method == "known-index"
    assert "byte-identical" not in row["note"]  # its weight files' sha256 (asked for) are its own
    assert f"/api/models/{COPY}/paths-info/{copy.model.sha}" in [e["path"] for e in hub_requests(hub)]
    assert any(MINICPM in e.source and "shared by no other known model" in e.detail for e in fact.evidence)


def test_a_declared_fine_tune_of_a_public_base_is_not_flagged(hub: HubServer, run: Run) -> None:
    tune = run.inspect(INSTRUCT)
    assert [r["relation"] for r in tune.lineage] == ["finetune"]
    fact = tune.facts.get("undeclared_derivation")
    assert fact is not None and fact.value is False and "declares its base" in (fact.note or "")
    assert tune.facts.get("architecture_family") is None


def test_a_base_and_the_original_are_not_flagged(hub: HubServer, run: Run) -> None:
    for model in (LLAMA, MINICPM):
        inspection = run.inspect(model)
        assert inspection.lineage == [] and inspection.facts.value("undeclared_derivation") is False


def test_a_common_architecture_is_named_as_a_family_without_lineage(hub: HubServer, run: Run) -> None:
    yi = run.inspect("01-ai/Yi-34B")
    assert yi.lineage == [] and yi.facts.value("undeclared_derivation") is False
    family = yi.facts.get("architecture_family")
    assert family is not None and family.value.startswith("Llama (same layout as ")
    assert family.note == "a shared layout, not a claim of lineage"


def test_a_declared_base_is_never_reported_as_derived_from_a_repo_sharing_its_layout(
    start_folder_hub: StartHub, tmp_path: Path
) -> None:
    root = tmp_path / "repos"
    write_repo(root, "other/card-only-copy", {"license": "mit"}, TINY_LLAMA_CONFIG)
    write_repo(root, "org/base", {"license": "mit"}, TINY_LLAMA_CONFIG)
    write_repo(root, "org/tune", {"license": "mit", "base_model": "org/base"}, TINY_LLAMA_CONFIG)
    runner = make_run(start_folder_hub(root).url, tmp_path)
    runner.inspect("other/card-only-copy")  # the session has seen a repo with the base's layout
    tune = runner.inspect("org/tune")
    assert [(r["model"], r["relation"]) for r in tune.lineage] == [("org/base", "finetune")]
    assert not any("undeclared" in w for w in tune.warnings)


def test_a_reference_that_does_not_match_is_said_so(hub: HubServer, run: Run) -> None:
    yi = run.inspect("01-ai/Yi-34B", references=[LLAMA])
    assert yi.lineage == []
    assert any(f"--reference {LLAMA}: no match" in w for w in yi.warnings)
