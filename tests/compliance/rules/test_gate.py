"""The gate's outcome and exit-code contract, and verdict counts."""

from __future__ import annotations

from datetime import date

import pytest

from compliance.errors import ExitCode
from compliance.rules.findings import Finding, Severity, Status, Verdict
from compliance.rules.gate import decide, tally


def finding(verdict: Verdict, severity: Severity = Severity.HIGH, *, waived: bool = False) -> Finding:
    out = Finding(
        rule_id=f"t.{verdict.value}.{severity.value}", ruleset="s", ruleset_version="1", jurisdiction="EU",
        title="t", verdict=verdict, severity=severity, effect={"type": "info"}, citation="c", link="https://x",
        status=Status.IN_FORCE, effective_from=date(2025, 1, 1), effective_until=None, message="m", sourcing="V",
    )  # fmt: skip
    if waived:
        out.waived = {"reason": "r", "owner": "o", "expires": "2030-01-01"}
    return out


T, N, U, NA = Verdict.TRIGGERED, Verdict.NOT_TRIGGERED, Verdict.UNCERTAIN, Verdict.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("findings", "fail_on", "fail_on_uncertain", "expected"),
    [
        ([], Severity.HIGH, True, ("pass", 0)),
        ([finding(N), finding(NA, Severity.CRITICAL)], Severity.INFO, True, ("pass", 0)),
        ([finding(T)], Severity.HIGH, False, ("fail", 1)),
        ([finding(T, Severity.CRITICAL)], Severity.HIGH, True, ("fail", 1)),
        ([finding(T, Severity.MEDIUM)], Severity.HIGH, True, ("pass", 0)),
        ([finding(T, Severity.MEDIUM)], "medium", True, ("fail", 1)),
        ([finding(U)], Severity.HIGH, True, ("inconclusive", 2)),
        ([finding(U)], Severity.HIGH, False, ("inconclusive", 0)),
        ([finding(U, Severity.LOW)], Severity.HIGH, True, ("pass", 0)),
        ([finding(U), finding(T)], Severity.HIGH, True, ("fail", 1)),
        ([finding(T, waived=True)], Severity.INFO, True, ("pass", 0)),
        ([finding(T, waived=True), finding(U)], Severity.INFO, True, ("inconclusive", 2)),
        ([finding(U, waived=True)], Severity.INFO, True, ("pass", 0)),
    ],
)
def test_decide(
    findings: list[Finding], fail_on: Severity | str, fail_on_uncertain: bool, expected: tuple[str, int]
) -> None:
    assert decide(findings, fail_on=fail_on, fail_on_uncertain=fail_on_uncertain) == expected


def test_exit_codes_are_the_documented_ones() -> None:
    assert decide([finding(T)], fail_on=Severity.INFO, fail_on_uncertain=True)[1] == ExitCode.FAIL
    assert decide([finding(U)], fail_on=Severity.INFO, fail_on_uncertain=True)[1] == ExitCode.INCONCLUSIVE


def test_severity_order() -> None:
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    assert Severity.HIGH >= Severity.HIGH
    assert sorted([Severity.CRITICAL, Severity.INFO, Severity.MEDIUM]) == [
        Severity.INFO,
        Severity.MEDIUM,
        Severity.CRITICAL,
    ]


def test_tally_counts_waived_apart() -> None:
    counts = tally([finding(T), finding(T, waived=True), finding(U), finding(U, waived=True), finding(N), finding(NA)])
    assert counts == {"triggered": 1, "not_triggered": 1, "uncertain": 1, "not_applicable": 1, "waived": 2}
