"""Inspecting models by ID on the local hub: facts, revisions, costs, gating, errors and the CLI."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from compliance.cli import main
from compliance.errors import ModelNotFound
from tests.compliance.hub.conftest import Run, hub_requests, make_run
from tests.hubfixtures import HubServer

ROOT = Path(__file__).resolve().parents[3]
LLAMA = "meta-llama/Llama-3.1-8B"


def test_inspect_by_id_gives_facts_with_hub_evidence_and_the_sha(hub: HubServer, run: Run) -> None:
    inspection = run.inspect(LLAMA)
    facts = inspection.facts
    assert inspection.model.source == "hub" and inspection.model.id == LLAMA
    sha = inspection.model.sha
    assert sha is not None and len(sha) == 40
    params = facts.get("parameters")
    assert params is not None and params.value == 8_030_261_248 and params.method == "hub-api"
    assert params.evidence[0].kind == "hub-api" and hub.url in params.evidence[0].source
    assert facts.value("license") == "llama3.1"
    tokens = facts.get("training_tokens")
    assert tokens is not None and tokens.value == pytest.approx(15e12)
    assert tokens.evidence[0].source == f"{hub.url}/{LLAMA}/blob/{sha}/README.md"
    compute = facts.get("training_compute_flop")
    assert compute is not None and compute.method == "operation-counting"
    assert compute.value == pytest.approx(6 * 8_030_261_248 * 15e12)
    # every file was read at the resolved commit
    assert all(sha in e["path"] for e in hub_requests(hub) if "/resolve/" in e["path"])


def test_a_model_with_totals_and_card_data_costs_two_small_requests(hub: HubServer, run: Run) -> None:
    inspection = run.inspect(LLAMA)
    requests = hub_requests(hub)
    assert len(requests) <= 2, requests
    assert sum(e["bytes"] for e in requests) < 200_000
    assert not any(e["range"] for e in requests)  # no weight bytes, not even headers
    assert inspection.bytes_read == sum(e["bytes"] for e in requests if "/resolve/" in e["path"])


def test_at_sha_reproduces_the_inspection(hub: HubServer, run: Run) -> None:
    first = run.inspect(LLAMA)
    hub.clear_log()
    pinned = run.inspect(f"{LLAMA}@{first.model.sha}")
    assert pinned.model.sha == first.model.sha and pinned.model.revision == first.model.sha
    assert pinned.facts.to_dict() == first.facts.to_dict()
    assert [e["path"] for e in hub_requests(hub)] == [f"/api/models/{LLAMA}/revision/{first.model.sha}"]


def test_an_older_revision_has_its_own_sha_and_facts(hub: HubServer, run: Run) -> None:
    model = "demo-labs/Llama-3.1-8B-support-agent"
    latest = run.inspect(model)
    older = run.inspect(f"{model}@v1.0")
    assert older.model.sha != latest.model.sha and older.model.revision == "v1.0"
    assert latest.facts.value("training_gpu_hours") == pytest.approx(340)
    assert older.facts.value("training_gpu_hours") == pytest.approx(96)
    assert older.facts.value("datasets") == ["demo-labs/support-tickets-2024"]


def test_unknown_revision_is_not_found(hub: HubServer, run: Run) -> None:
    with pytest.raises(ModelNotFound) as info:
        run.inspect(f"{LLAMA}@v9")
    assert "revision 'v9' of meta-llama/Llama-3.1-8B not found" in info.value.message


def test_gated_without_token_reports_what_the_description_gives(hub: HubServer, run: Run) -> None:
    inspection = run.inspect("meta-llama/Llama-3.1-405B")
    facts = inspection.facts
    assert facts.value("parameters") == 405_853_388_800
    assert facts.value("license") == "llama3.1"
    assert facts.value("training_tokens") is None
    compute = facts.get("training_compute_flop")
    assert compute is not None and compute.value is None and compute.high is not None  # a ceiling only
    assert any("gated and no token" in w for w in inspection.warnings)
    assert [e["path"] for e in hub_requests(hub)] == ["/api/models/meta-llama/Llama-3.1-405B"]


def test_gated_with_the_authorised_token_reads_the_card(hub: HubServer, run: Run) -> None:
    settings = run.settings.with_overrides(hf_token="hf_demo_llama_access")
    inspection = run.inspect("meta-llama/Llama-3.1-405B", settings=settings)
    assert inspection.facts.value("training_tokens") == pytest.approx(15e12)
    assert not any("gated" in w for w in inspection.warnings)
    assert all(e["auth"] for e in hub_requests(hub))


def test_gated_with_a_refused_token_is_partial_not_an_error(hub: HubServer, run: Run) -> None:
    settings = run.settings.with_overrides(hf_token="hf_not_approved")
    inspection = run.inspect("meta-llama/Llama-3.1-405B", settings=settings)
    assert inspection.facts.value("parameters") == 405_853_388_800
    assert any("README.md" in w and "not readable" in w for w in inspection.warnings)


def test_private_repo_needs_its_token(hub: HubServer, run: Run) -> None:
    with pytest.raises(ModelNotFound):
        run.inspect("demo-labs/internal-preview-7b")
    settings = run.settings.with_overrides(hf_token="hf_demo_internal")
    assert run.inspect("demo-labs/internal-preview-7b", settings=settings).model.sha is not None


def test_a_model_known_only_from_its_card(hub: HubServer, run: Run) -> None:
    inspection = run.inspect("demo-labs/closed-video-gen")
    assert inspection.facts.value("output_modalities") == ["video"]
    assert inspection.facts.value("training_hardware_count") == 4096
    assert len(hub_requests(hub)) == 2


def test_mixture_of_experts_reads_the_config_for_active_parameters(hub: HubServer, run: Run) -> None:
    inspection = run.inspect("deepseek-ai/DeepSeek-V3")
    facts = inspection.facts
    assert facts.value("parameters") == sum(facts.value("parameters_by_dtype").values())
    active = facts.get("active_parameters")
    assert active is not None and active.method == "architecture"
    assert 36e9 < float(active.value) < 39e9
    assert [e["path"].rsplit("/", 1)[-1] for e in hub_requests(hub)] == ["DeepSeek-V3", "config.json", "README.md"]


def test_thorough_reads_headers_by_range_and_cross_checks(hub: HubServer, run: Run) -> None:
    inspection = run.inspect("demo-labs/tiny-random-llama", thorough=True)
    params = inspection.facts.get("parameters")
    assert params is not None and params.method == "safetensors-header"
    assert [a.method for a in params.alternatives if a.method == "hub-api"] == ["hub-api"]
    ranged = [e for e in hub_requests(hub) if e["range"]]
    assert ranged and all(e["status"] == 206 and e["bytes"] <= 32_768 for e in ranged)


def test_a_lying_header_is_refused_without_fetching_it(hub: HubServer, run: Run) -> None:
    inspection = run.inspect("demo-faults/lying-header", thorough=True)
    assert any("not plausible" in w for w in inspection.warnings)
    assert sum(e["bytes"] for e in hub_requests(hub) if e["range"]) <= 32_768


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_cli_not_found_exits_3_with_one_line(hub: HubServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["inspect", "nobody/nothing", "--endpoint", hub.url], capsys)
    assert code == 3 and err.count("\n") == 1 and "nobody/nothing" in err
    code, _, err = cli(["check", f"{LLAMA}@v9", "--endpoint", hub.url], capsys)
    assert code == 3 and "revision 'v9'" in err


def test_cli_invalid_id_is_a_usage_error_before_any_request(hub: HubServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = cli(["inspect", "meta-llama/../etc", "--endpoint", hub.url], capsys)
    assert code == 4 and hub_requests(hub) == []


def test_cli_inspect_json_records_the_sha(hub: HubServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        ["inspect", "meta-llama/Llama-3.1-8B-Instruct", "--endpoint", hub.url, "--format", "json"], capsys
    )
    report = json.loads(out)
    assert code == 0 and len(report["model"]["sha"]) == 40 and report["model"]["source"] == "hub"
    assert report["lineage"][0]["model"] == LLAMA


def test_importing_the_hub_package_does_not_load_huggingface_hub() -> None:
    code = "import sys, compliance.hub.inspect\nprint('huggingface_hub' in sys.modules)\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert proc.stdout.strip() == "False"


@pytest.mark.parametrize("file_size", [None, 16 * 1024**3])
def test_headers_read_by_range_that_disagree_with_the_config_never_give_the_smaller_count(
    start_folder_hub: Callable[[Path], HubServer], tmp_path: Path, file_size: int | None
) -> None:
    from compliance.demo import CONFIG

    repo = tmp_path / "repos" / "acme" / "liar"
    repo.mkdir(parents=True)
    (repo / "config.json").write_text(json.dumps(CONFIG))
    raw = json.dumps({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}).encode()
    (repo / "model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0\0")
    if file_size is not None:
        os.truncate(repo / "model.safetensors", file_size)  # sparse: the header describes 2 bytes of it
    inspection = make_run(start_folder_hub(tmp_path / "repos").url, tmp_path).inspect("acme/liar", thorough=True)
    params = inspection.facts.get("parameters")
    assert params is not None and params.value == 8_030_261_248 and params.low == 1
    assert params.confidence.value == "speculative"
    assert sum("disagree" in w for w in inspection.warnings) == 1
    assert len([a for a in params.alternatives if a.method == "hub-api"]) <= 1
    if file_size is not None:  # the size from Content-Range shows the header does not describe the file
        assert any("not read" in w and "belong to no tensor" in w for w in inspection.warnings)
