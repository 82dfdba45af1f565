"""The Finding record."""

from __future__ import annotations

import json
from datetime import date

from compliance.rules.findings import Finding, Severity, Status, Verdict


def make(verdict: Verdict = Verdict.NOT_APPLICABLE) -> Finding:
    return Finding(
        rule_id="r", ruleset="s", ruleset_version="1", jurisdiction="US", title="t", verdict=verdict,
        severity=Severity.CRITICAL, effect={"type": "obligations", "obligations": ["x"]}, citation="c",
        link="https://x", status=Status.NON_ENFORCED, effective_from=date(2025, 1, 13),
        effective_until=date(2025, 5, 13), message="m", sourcing="C", reason="no longer in effect",
        what_if=Verdict.TRIGGERED,
    )  # fmt: skip


def test_to_dict_is_json_ready_and_copies_mutable_parts() -> None:
    finding = make()
    data = finding.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["status"] == "non_enforced"
    assert data["effective_until"] == "2025-05-13"
    assert data["what_if"] == "triggered"
    data["comparisons"].append({})
    assert finding.comparisons == []


def test_blocking() -> None:
    assert make(Verdict.TRIGGERED).blocking
    assert make(Verdict.UNCERTAIN).blocking
    assert not make(Verdict.NOT_APPLICABLE).blocking
    waived = make(Verdict.TRIGGERED)
    waived.waived = {"reason": "r", "owner": "o", "expires": "2030-01-01"}
    assert not waived.blocking
