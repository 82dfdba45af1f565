"""Waivers: loading with exact error places, glob matching, expiry, what they may cover."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.errors import RuleSetError
from compliance.rules.findings import Finding, Severity, Status, Verdict
from compliance.rules.waivers import Waiver, apply_waivers, load_waivers

TODAY = date(2026, 6, 1)


def entry(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "rule": "eu.gpai.systemic_risk_notification",
        "model": "acme/*",
        "reason": "Notified the AI Office on 2026-03-02 (ref 123)",
        "owner": "legal@acme.example",
        "expires": date(2026, 12, 31),
    }
    body.update(overrides)
    return body


def write(tmp_path: Path, entries: Any) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    return path


def finding(rule_id: str = "eu.gpai.systemic_risk_notification", verdict: Verdict = Verdict.TRIGGERED) -> Finding:
    return Finding(
        rule_id=rule_id, ruleset="eu-ai-act-gpai", ruleset_version="1", jurisdiction="EU", title="t",
        verdict=verdict, severity=Severity.HIGH, effect={"type": "info"}, citation="c", link="https://x",
        status=Status.IN_FORCE, effective_from=date(2025, 8, 2), effective_until=None, message="m", sourcing="V",
    )  # fmt: skip


def test_load_waivers(tmp_path: Path) -> None:
    path = write(tmp_path, [entry(), entry(rule="us-ca.sb53.frontier_developer", model="acme/llm-70b")])
    waivers = load_waivers(path)
    assert [w.rule for w in waivers] == ["eu.gpai.systemic_risk_notification", "us-ca.sb53.frontier_developer"]
    assert waivers[1].index == 1
    assert waivers[0].source == str(path)
    assert waivers[0].expires == date(2026, 12, 31)


def test_empty_file_has_no_waivers(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text("", encoding="utf-8")
    assert load_waivers(path) == []


@pytest.mark.parametrize(
    ("bad", "place", "words"),
    [
        ({"reason": None}, "entry 1: reason", "missing required key"),
        ({"owner": "  "}, "entry 1: owner", "at least 1"),
        ({"expires": "next year"}, "entry 1: expires", "date"),
        ({"ticket": "JIRA-1"}, "entry 1: ticket", "unknown key"),
        ({"rule": "Not A Rule"}, "entry 1: rule", "pattern"),
    ],
)
def test_malformed_waiver_names_file_and_entry(tmp_path: Path, bad: dict[str, Any], place: str, words: str) -> None:
    broken = {k: v for k, v in entry(**bad).items() if v is not None}
    path = write(tmp_path, [entry(), broken])
    with pytest.raises(RuleSetError) as info:
        load_waivers(path)
    assert info.value.source == str(path)
    assert info.value.where == place
    assert words in info.value.message


def test_missing_field_and_wrong_shapes(tmp_path: Path) -> None:
    missing = entry()
    del missing["owner"]
    with pytest.raises(RuleSetError, match="missing required key") as info:
        load_waivers(write(tmp_path, [missing]))
    assert info.value.where == "entry 0: owner"
    with pytest.raises(RuleSetError, match="YAML list"):
        load_waivers(write(tmp_path, {"waivers": []}))
    with pytest.raises(RuleSetError, match="must be a mapping") as info:
        load_waivers(write(tmp_path, ["just a string"]))
    assert info.value.where == "entry 0"


def make(
    rule: str = "eu.gpai.systemic_risk_notification", model: str = "acme/*", expires: date = date(2026, 12, 31)
) -> Waiver:
    return Waiver(rule, model, "accepted risk", "owner@acme.example", expires, "waivers.yaml", 0)


def test_matching_waiver_marks_finding_and_keeps_verdict() -> None:
    findings = [finding(), finding("us-ca.sb53.frontier_developer")]
    notes = apply_waivers(findings, "Acme/LLM-70B", [make()], TODAY)
    assert notes == []
    assert findings[0].verdict is Verdict.TRIGGERED
    assert findings[0].waived == {"reason": "accepted risk", "owner": "owner@acme.example", "expires": "2026-12-31"}
    assert findings[1].waived is None
    assert findings[0].to_dict()["waived"] == findings[0].waived


@pytest.mark.parametrize(
    ("glob", "model_id", "matches"),
    [
        ("acme/*", "acme/llm-70b", True),
        ("acme/llm-*b", "acme/llm-7b", True),
        ("acme/llm-?b", "acme/llm-70b", False),
        ("*", "other/model", True),
        ("acme/*", "acme-labs/model", False),
    ],
)
def test_model_glob(glob: str, model_id: str, matches: bool) -> None:
    findings = [finding()]
    apply_waivers(findings, model_id, [make(model=glob)], TODAY)
    assert (findings[0].waived is not None) is matches


def test_uncertain_findings_can_be_waived_but_others_are_left_alone() -> None:
    findings = [finding(verdict=v) for v in Verdict]
    apply_waivers(findings, "acme/x", [make()], TODAY)
    waived = {f.verdict for f in findings if f.waived is not None}
    assert waived == {Verdict.TRIGGERED, Verdict.UNCERTAIN}


def test_expired_waiver_is_ignored_with_a_note() -> None:
    findings = [finding()]
    notes = apply_waivers(findings, "acme/x", [make(expires=date(2026, 5, 31))], TODAY)
    assert findings[0].waived is None
    assert len(notes) == 1
    assert "expired on 2026-05-31 and was ignored" in notes[0]
    assert "waivers.yaml entry 0" in notes[0]


def test_waiver_holds_through_its_expiry_day() -> None:
    findings = [finding()]
    assert apply_waivers(findings, "acme/x", [make(expires=TODAY)], TODAY) == []
    assert findings[0].waived is not None


def test_waiver_for_a_rule_not_in_the_run_gives_a_note() -> None:
    notes = apply_waivers([finding()], "acme/x", [make(rule="kr.basic_act.typo")], TODAY)
    assert notes == ["waiver for kr.basic_act.typo (waivers.yaml entry 0) names a rule this run did not evaluate"]


def test_waiver_for_another_model_is_silent() -> None:
    findings = [finding()]
    assert apply_waivers(findings, "other/x", [make(expires=date(2020, 1, 1))], TODAY) == []
    assert findings[0].waived is None
