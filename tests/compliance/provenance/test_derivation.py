"""Undeclared derivation end to end: the CLI on the test hub and on local directories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compliance.cli import main
from compliance.provenance.derivation import compare_with_known
from compliance.provenance.known import Layout
from tests.factories import model_dir
from tests.hubfixtures import HubServer
from web.hubserver.demo import DemoRegistry

MINICPM = "openbmb/MiniCPM-Llama3-V-2_5"
RULE = "org.release.undeclared_derivation"


def _check(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    with pytest.raises(SystemExit) as info:
        main(["check", *args, "--format", "json"])
    out, _ = capsys.readouterr()
    return int(info.value.code or 0), json.loads(out)


def _finding(report: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["rule_id"] == RULE)


def _config(model_id: str) -> dict[str, Any]:
    repo = DemoRegistry().get(model_id)
    assert repo is not None
    config = repo.main.config()
    assert config is not None
    return config


def test_llama3v_on_the_hub_is_flagged_against_minicpm_with_no_reference(
    hub: HubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _check(["mustafaaljadery/llama3v", "--endpoint", hub.url], capsys)
    assert code == 1 and RULE in report["summary"]["deciding"]
    assert _finding(report)["verdict"] == "triggered"
    fact = report["facts"]["undeclared_derivation"]
    assert fact["value"] is True and any(MINICPM in e["source"] for e in fact["evidence"])
    assert [(r["model"], r["relation"]) for r in report["lineage"]] == [(MINICPM, "undeclared")]


def test_a_local_directory_with_a_rare_known_layout_and_no_card_is_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = model_dir(tmp_path / "new-vl", config=_config(MINICPM), card=None)
    code, report = _check([str(target)], capsys)
    assert _finding(report)["verdict"] == "triggered" and code == 1
    assert "known since 2024-05-19" in report["lineage"][0]["note"]


def test_a_local_llama_with_no_base_declared_is_named_a_llama_and_passes_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = model_dir(tmp_path / "own-8b", config=_config("meta-llama/Llama-3.1-8B"), card=None)
    _, report = _check([str(target)], capsys)
    assert _finding(report)["verdict"] == "not_triggered" and report["lineage"] == []
    assert report["facts"]["undeclared_derivation"]["value"] is False
    assert report["facts"]["architecture_family"]["value"].startswith("Llama (same layout as ")


def test_a_declaration_overrides_the_comparison(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = model_dir(tmp_path / "new-vl", config=_config(MINICPM), card=None)
    _, report = _check([str(target), "--fact", "undeclared_derivation=no"], capsys)
    assert _finding(report)["verdict"] == "not_triggered"


def test_nothing_is_concluded_without_a_layout() -> None:
    derived = compare_with_known("someone/card-only", Layout({}), bases=(), created="2025-01-01")
    assert derived.facts == [] and derived.lineage == [] and derived.match is None
