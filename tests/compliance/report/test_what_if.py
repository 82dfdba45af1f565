"""Law not in force (bills, vetoed, revoked, not yet or no longer in effect) shows the verdict it
would give in every output: text, Markdown and JUnit, not only JSON."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from compliance.check import CheckOptions, run_check
from compliance.demo import build
from compliance.facts.declared import parse_fact_option
from compliance.inspection import catalog_peak_lookup, inspect_local
from compliance.report import junit, markdown, text
from compliance.report.findings import NOT_IN_FORCE_HEADING, out_of_force, what_if_findings
from tests.compliance.report import factories as F

TODAY = date(2026, 11, 21)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("demo") / "assistant-8b")


def check(path: Path, **options: Any) -> dict[str, Any]:
    """The demo model declared at 2e26 FLOP: above the revoked EO 14110 trigger and the bills' thresholds."""
    declared = [parse_fact_option("training_compute_flop=2e26")]
    inspection = inspect_local(path, declared=declared, peak_lookup=catalog_peak_lookup())
    return run_check(inspection, CheckOptions(as_of=TODAY, **options)).to_dict()


@pytest.fixture(scope="module")
def frontier(demo: Path) -> dict[str, Any]:
    return check(demo)


def by_id(report: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["rule_id"] == rule_id)


def test_the_engine_gives_revoked_and_proposed_rules_a_what_if_verdict(frontier: dict[str, Any]) -> None:
    revoked = by_id(frontier, "us.eo14110.model_report")
    proposed = by_id(frontier, "us.bis.702_7.training_run_notice")
    assert (revoked["verdict"], revoked["what_if"]) == ("not_applicable", "triggered")
    assert (proposed["verdict"], proposed["what_if"]) == ("not_applicable", "triggered")
    listed = [f["rule_id"] for f in what_if_findings(frontier)]
    assert {"us.eo14110.model_report", "us.bis.702_7.training_run_notice"} <= set(listed)
    # Would-trigger first.
    verdicts = [f["what_if"] for f in what_if_findings(frontier)]
    assert verdicts == sorted(verdicts, key=["triggered", "uncertain", "not_triggered"].index)


def test_text_has_a_section_with_what_each_would_say(frontier: dict[str, Any]) -> None:
    out = text.render(frontier)
    assert NOT_IN_FORCE_HEADING in out
    section = out.split(NOT_IN_FORCE_HEADING, 1)[1].split("\nOutcome:")[0]
    line = next(x for x in section.splitlines() if "us.eo14110.model_report" in x)
    assert line.split()[:3] == ["WOULD", "TRIGGER", "high"]
    assert "not in force: no longer in effect on 2026-11-21 (revoked from 2025-01-20)" in section
    assert "training_compute_flop 2e26 > 1e26  → true" in section
    # Without --verbose the rules that would not trigger or stay undecided are counted, not listed.
    quiet = [f for f in what_if_findings(frontier) if f["what_if"] != "triggered"]
    assert quiet and not any(f" {f['rule_id']}  " in section for f in quiet)
    undecided = sum(1 for f in quiet if f["what_if"] == "uncertain")
    assert f"({undecided} undecided" in section and "; --verbose lists them)" in section
    loud = text.render(frontier, verbose=True).split(NOT_IN_FORCE_HEADING, 1)[1]
    assert all(f" {f['rule_id']}  " in loud for f in quiet)


def test_markdown_folds_the_section_with_each_verdict(frontier: dict[str, Any]) -> None:
    out = markdown.render(frontier)
    assert f"<details><summary>{NOT_IN_FORCE_HEADING} (" in out
    section = out.split(NOT_IN_FORCE_HEADING, 1)[1].split("</details>")[0]
    assert "us.eo14110.model\\_report" in section
    assert "would be triggered \\(no longer in effect on 2026-11-21 \\(revoked from 2025-01-20\\)\\)" in section
    counts = section.split("</summary>")[0]
    assert "would trigger" in counts and "undecided" in counts


def test_junit_skips_law_not_in_force_with_the_what_if_verdict_as_message(frontier: dict[str, Any]) -> None:
    root = ET.fromstring(junit.render(frontier).encode("utf-8"))
    cases = {c.get("name", "").split(":")[0]: c for c in root.iter("testcase")}
    skipped = cases["us.eo14110.model_report"].find("skipped")
    assert skipped is not None
    message = skipped.get("message", "")
    assert message.startswith("law not in force, would be triggered (no longer in effect on 2026-11-21")
    assert message.endswith("(revoked from 2025-01-20)): training_compute_flop 2e26 > 1e26")
    assert "what-if verdict (were it law): triggered" in (skipped.text or "")


def test_naming_a_market_narrows_the_section_to_it(demo: Path) -> None:
    report = check(demo, markets=["US-CA"])
    listed = {f["rule_id"] for f in what_if_findings(report)}
    assert "us-ca.sb1047.covered_model" in listed
    assert not any(r.startswith("us-ny.") for r in listed)  # New York's rules are outside the view
    raise_act = by_id(report, "us-ny.raise.frontier_developer")
    assert raise_act["what_if"] == "triggered" and raise_act["scope_reason"]
    assert "us-ny.raise.frontier_developer" not in text.render(report).split(NOT_IN_FORCE_HEADING)[1]


def test_only_law_not_in_force_within_the_view_is_in_the_section() -> None:
    scoped = F.finding(
        "us-ny-x", "not_applicable", status="revoked", effective_until="2025-01-01", what_if="triggered",
        reason="the run covers markets EU; this set covers US-NY", scope_reason="the run covers markets EU",
    )  # fmt: skip
    in_force = F.finding("eu-y", "not_applicable", reason="needs destination", what_if="triggered")
    bill = F.finding(
        "us-bill", "not_applicable", status="proposed", effective_from=None, reason="proposed", what_if="uncertain"
    )
    report = F.report([scoped, in_force, bill])
    assert [f["rule_id"] for f in what_if_findings(report)] == ["us-bill"]
    assert NOT_IN_FORCE_HEADING in text.render(report)
    junit_out = junit.render(report)
    assert "not applicable: needs destination" in junit_out
    assert "not applicable: the run covers markets EU; this set covers US-NY" in junit_out
    assert "law not in force, would be uncertain (proposed)" in junit_out


@pytest.mark.parametrize(
    ("status", "start", "end", "as_of", "expected"),
    [
        ("in_force", "2025-08-02", None, "2026-01-15", False),
        ("in_force", "2027-01-01", None, "2026-01-15", True),  # not yet in effect
        ("revoked", "2023-10-30", "2025-01-20", "2026-01-15", True),
        ("revoked", "2023-10-30", "2025-01-20", "2024-06-01", False),  # in force that day
        ("non_enforced", "2025-01-13", "2025-05-13", "2025-05-13", True),  # the end day is excluded
        ("proposed", None, None, "2026-01-15", True),
        ("vetoed", None, None, "2026-01-15", True),
        ("superseded", None, None, "2026-01-15", True),
    ],
)
def test_out_of_force_reads_status_and_dates(
    status: str, start: str | None, end: str | None, as_of: str, expected: bool
) -> None:
    finding = {"status": status, "effective_from": start, "effective_until": end}
    assert out_of_force(finding, as_of) is expected
