"""Lineage of a local directory through the test hub: a fine-tune's cumulative compute includes its base's.

Each case builds a fine-tune of Llama 3.1 8B on disk (config, sparse safetensors, a card stating
its own fine-tuning hours) whose card names a base, and inspects it with the same client, cache
and session a hub check uses. Base found, base missing, offline, unreachable, and a card naming
no base (which must not load the hub client at all).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from compliance.check import CheckOptions, run_check
from compliance.demo import build
from compliance.hub.local import look_up_bases
from compliance.inspection import Artefacts, BaseLineage, Inspection, catalog_peak_lookup, inspect_local
from compliance.services.uploads import inspect_uploaded
from compliance.settings import Settings
from tests.compliance.hub.conftest import Run, hub_requests
from tests.hubfixtures import HubServer

ROOT = Path(__file__).resolve().parents[3]
BASE = "meta-llama/Llama-3.1-8B-Instruct"
TODAY = date(2026, 11, 21)
H100_BF16 = 989.5e12
# 340 GPU-hours on H100 at the default 30% utilisation (range 15-60%).
OWN = 340 * 3600 * H100_BF16 * 0.30

CARD = """---
license: llama3.1
language: [en]
library_name: transformers
pipeline_tag: text-generation
base_model: {base}
---
# Support agent 8B

Customer-support assistant, fine-tuned from Llama 3.1 8B Instruct with full-parameter supervised
fine-tuning.

## Training
- Compute: 340 GPU hours on H100-80GB GPUs.
"""


def finetune(directory: Path, base: str | None = BASE) -> Path:
    """A local fine-tune of Llama 3.1 8B whose card names ``base`` (none when None)."""
    build(directory)
    card = CARD.format(base=base)
    if base is None:
        card = card.replace("base_model: None\n", "")
    (directory / "README.md").write_text(card, encoding="utf-8")
    return directory


def lookup(settings: Settings, run: Run) -> Any:
    """A base lookup on ``settings`` with this test's cache and session."""

    def look(model_id: str, art: Artefacts, declared: Any) -> BaseLineage:
        return look_up_bases(
            model_id, art, declared, settings, peak_lookup=catalog_peak_lookup(),
            session=run.session, cache_dir=run.cache_dir,
        )  # fmt: skip

    return look


def inspect(path: Path, settings: Settings, run: Run) -> Inspection:
    return inspect_local(path, peak_lookup=catalog_peak_lookup(), base_lookup=lookup(settings, run))


def verdict(inspection: Inspection, rule_id: str) -> str:
    report = run_check(inspection, CheckOptions(as_of=TODAY, markets=["EU"])).to_dict()
    return str(next(f for f in report["findings"] if f["rule_id"] == rule_id)["verdict"])


def test_base_found_cumulative_compute_is_base_plus_own(hub: HubServer, run: Run, tmp_path: Path) -> None:
    inspection = inspect(finetune(tmp_path / "agent"), run.settings, run)
    facts = inspection.facts
    total = facts.get("training_compute_flop")
    base = facts.get("base_model_compute_flop")
    own = facts.get("finetune_compute_flop")
    assert total is not None and base is not None and own is not None
    assert own.value == pytest.approx(OWN) and own.method == "hardware"
    assert base.value == pytest.approx(6 * 8_030_261_248 * 15e12)  # Llama 3.1 8B's pre-training, inherited
    assert total.value == pytest.approx(base.value + own.value)
    assert total.method == "lineage" and "plus the modification's" in (total.note or "")
    assert any(e.kind == "lineage" and f"{hub.url}/{BASE}" == e.source for e in total.evidence)
    # The lineage reads as a hub check's: the named base, then its own base.
    assert [(row["depth"], row["model"]) for row in inspection.lineage] == [
        (1, BASE),
        (2, "meta-llama/Llama-3.1-8B"),
    ]
    assert inspection.lineage[0]["sha"] and inspection.lineage[0]["note"].startswith("architecture matches")
    assert inspection.model.source == "local"
    assert any(f.startswith(f"{BASE}@") for f in inspection.files_read)
    assert not any("cumulative training compute unknown" in w for w in inspection.warnings)
    assert verdict(inspection, "eu.gpai.documentation") == "triggered"
    assert {e["path"].split("/resolve/")[0] for e in hub_requests(hub) if "/resolve/" in e["path"]} <= {
        f"/{BASE}",
        "/meta-llama/Llama-3.1-8B",
    }


def test_local_and_hub_checks_of_one_fine_tune_agree(hub: HubServer, run: Run, tmp_path: Path) -> None:
    local = inspect(finetune(tmp_path / "agent"), run.settings, run).facts.get("base_model_compute_flop")
    by_id = run.inspect("demo-labs/Llama-3.1-8B-support-agent").facts.get("base_model_compute_flop")
    assert local is not None and by_id is not None
    assert (local.value, local.low, local.high) == (by_id.value, by_id.low, by_id.high)


def test_the_session_and_the_cache_of_a_hub_check_are_reused(hub: HubServer, run: Run, tmp_path: Path) -> None:
    path = finetune(tmp_path / "agent")
    first = inspect(path, run.settings, run)
    sent = len(hub_requests(hub))
    assert sent > 0
    again = inspect(path, run.settings, run)  # same session: the bases are remembered
    assert len(hub_requests(hub)) == sent
    assert again.facts.value("training_compute_flop") == first.facts.value("training_compute_flop")
    # Offline, with a new session, the disk cache answers: no request, the same compute.
    run.session = type(run.session)()
    offline = inspect(path, run.settings.with_overrides(hub_offline=True), run)
    assert len(hub_requests(hub)) == sent
    assert offline.facts.value("training_compute_flop") == pytest.approx(first.facts.value("training_compute_flop"))


def assert_unknown_cumulative(inspection: Inspection) -> None:
    """Cumulative compute unknown, the fine-tune's own estimate only a floor, findings uncertain."""
    total = inspection.facts.get("training_compute_flop")
    assert total is not None and total.value is None and total.method == "lineage"
    assert total.low == pytest.approx(OWN / 2)  # the estimate's low end (15% utilisation), never its value
    assert total.high is not None and total.high > 1e23
    assert "cumulative compute is unknown" in (total.note or "")
    assert "base + modification" not in (total.note or "")
    assert inspection.facts.get("base_model_compute_flop") is None
    own = inspection.facts.get("finetune_compute_flop")
    assert own is not None and own.value is None and own.high == pytest.approx(OWN * 2)
    assert any("cumulative training compute unknown" in w for w in inspection.warnings)
    assert verdict(inspection, "eu.gpai.documentation") == "uncertain"


def test_base_missing_on_the_hub(hub: HubServer, run: Run, tmp_path: Path) -> None:
    inspection = inspect(finetune(tmp_path / "agent", "demo-labs/no-such-model"), run.settings, run)
    assert_unknown_cumulative(inspection)
    [row] = inspection.lineage
    assert row["model"] == "demo-labs/no-such-model" and row["training_compute_flop"] is None
    assert "not found" in row["note"]
    assert any("could not be read from the hub" in w for w in inspection.warnings)
    # One description request, answered as the hub answers an unknown repository to an anonymous client.
    assert [e["status"] for e in hub_requests(hub)] in ([401], [404])


def test_offline_without_the_base_in_the_cache(hub: HubServer, run: Run, tmp_path: Path) -> None:
    inspection = inspect(finetune(tmp_path / "agent"), run.settings.with_overrides(hub_offline=True), run)
    assert_unknown_cumulative(inspection)
    assert hub_requests(hub) == []
    assert any("offline mode" in w for w in inspection.warnings)
    assert "offline mode" in inspection.lineage[0]["note"]


def test_unreachable_hub(run: Run, tmp_path: Path) -> None:
    closed = run.settings.with_overrides(hf_endpoint="http://127.0.0.1:9", hub_retries=0, hub_budget=3.0)
    inspection = inspect(finetune(tmp_path / "agent"), closed, run)
    assert_unknown_cumulative(inspection)
    assert inspection.lineage[0]["model"] == BASE


def test_without_a_lookup_the_base_is_not_claimed(tmp_path: Path) -> None:
    inspection = inspect_local(finetune(tmp_path / "agent"), peak_lookup=catalog_peak_lookup())
    total = inspection.facts.get("training_compute_flop")
    assert total is not None and total.value is None
    assert any("was not looked up" in w for w in inspection.warnings)


def test_an_upload_naming_a_base_gets_the_same_lineage(hub: HubServer, run: Run, tmp_path: Path) -> None:
    path = finetune(tmp_path / "agent")
    uploaded = {"card": (path / "README.md").read_text(), "config": json.loads((path / "config.json").read_text())}
    inspection = inspect_uploaded("acme/agent", uploaded, declared=[], use_exact=False, settings=run.settings)
    assert inspection.lineage[0]["model"] == BASE
    total = inspection.facts.get("training_compute_flop")
    assert total is not None and total.value is not None and total.value > 7e23
    assert verdict(inspection, "eu.gpai.documentation") == "triggered"


def _cli(args: list[str], hf_home: Path) -> dict[str, Any]:
    """``compliance ARGS`` in a fresh interpreter with its own hub cache; the JSON report."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env["HF_HOME"] = str(hf_home)
    proc = subprocess.run([sys.executable, "-m", "compliance", *args, "--format", "json"], capture_output=True,
                          text=True, env=env, cwd=ROOT, check=False, timeout=120)  # fmt: skip
    assert "Traceback" not in proc.stderr
    assert proc.stdout.startswith("{"), proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def test_cli_check_of_a_local_fine_tune_uses_the_hub_options(hub: HubServer, tmp_path: Path) -> None:
    path = finetune(tmp_path / "agent")
    args = ["check", str(path), "--endpoint", hub.url, "--market", "EU"]
    online = _cli(args, tmp_path / "hf")
    assert [row["model"] for row in online["lineage"]] == [BASE, "meta-llama/Llama-3.1-8B"]
    finding = next(f for f in online["findings"] if f["rule_id"] == "eu.gpai.documentation")
    assert finding["verdict"] == "triggered"
    # --offline answers from the cache the online run filled, and sends nothing.
    hub.clear_log()
    cached = _cli([*args, "--offline"], tmp_path / "hf")
    assert hub_requests(hub) == []
    assert cached["lineage"] == online["lineage"]
    # --offline with an empty cache: the base is unknown and the finding uncertain.
    empty = _cli([*args, "--offline"], tmp_path / "hf-empty")
    assert empty["lineage"][0]["training_compute_flop"] is None
    finding = next(f for f in empty["findings"] if f["rule_id"] == "eu.gpai.documentation")
    assert finding["verdict"] == "uncertain"


def test_a_card_naming_no_base_loads_no_hub_client(tmp_path: Path) -> None:
    path = finetune(tmp_path / "own", base=None)
    code = (
        "import sys\nfrom compliance.cli import run\n"
        f"run(['check', {str(path)!r}, '--format', 'json', '--market', 'EU'])\n"
        "print('LOADED', sorted(m for m in sys.modules if m.startswith(('huggingface_hub', 'compliance.hub'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    *report, loaded = proc.stdout.strip().splitlines()
    assert loaded == "LOADED []"
    assert json.loads("\n".join(report))["lineage"] == []
