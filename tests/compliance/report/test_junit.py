"""JUnit XML: parses back, one suite per rule set, counts match the verdicts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from compliance.report.junit import clean
from compliance.report.render import render
from tests.compliance.report import factories as F


def _parse(report: dict[str, Any]) -> ET.Element:
    text = render(report, "junit")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text.encode("utf-8"))


def _case(root: ET.Element, rule_id: str) -> ET.Element:
    cases = [c for c in root.iter("testcase") if c.get("name", "").startswith(rule_id + ":")]
    assert len(cases) == 1, rule_id
    return cases[0]


def _counts(el: ET.Element) -> dict[str, int]:
    return {k: int(el.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped")}


@pytest.mark.parametrize("build", [F.passing, F.failing, F.inconclusive, F.waived, F.hostile])
def test_counts_agree_with_the_testcases(build: Any) -> None:
    report = build()
    root = _parse(report)
    assert root.tag == "testsuites"
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        seen = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        assert _counts(suite) == seen
        assert all(c.get("classname") == suite.get("name") for c in cases)
        for key in total:
            total[key] += seen[key]
    assert _counts(root) == total
    assert total["tests"] == len(report["findings"])


def test_failing_report() -> None:
    root = _parse(F.failing())
    assert [s.get("name") for s in root.findall("testsuite")] == ["eu-ai-act", "us-bis"]
    assert _counts(root) == {"tests": 4, "failures": 1, "errors": 0, "skipped": 1}
    gpai = _case(root, "eu-gpai-systemic-risk")
    assert gpai.get("name") == "eu-gpai-systemic-risk: General-purpose AI model presumed to have systemic risk"
    failure = gpai.find("failure")
    assert failure is not None
    assert failure.get("type") == "triggered:high"
    assert failure.get("message") == "training_compute_flop 3.8e25 [3e25 – 4.9e25] > 1e25"
    assert "citation: Regulation (EU) 2024/1689, Art. 21" in (failure.text or "")
    low = _case(root, "eu-transparency")
    assert low.find("failure") is None and low.find("skipped") is None
    out = low.find("system-out")
    assert out is not None and "below --fail-on high" in (out.text or "")
    na = _case(root, "us-ear-4e091").find("skipped")
    assert na is not None and na.get("message") == "not applicable: no destination given"


def test_suite_properties_and_timestamp() -> None:
    suite = _parse(F.failing()).find("testsuite")
    assert suite is not None
    assert suite.get("timestamp") == "2026-01-15T09:30:00"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["ruleset.version"] == "2025.08"
    assert props["ruleset.sha256"] == F.SHA
    assert props["model.id"] == "acme/llama-70b"


def test_uncertain_is_an_error_when_it_blocks_and_skipped_when_allowed() -> None:
    root = _parse(F.inconclusive())
    error = _case(root, "eu-gpai-systemic-risk").find("error")
    assert error is not None
    assert error.get("message") == "uncertain: the compute interval straddles the threshold"
    assert error.get("type") == "uncertain:high"
    assert _counts(root)["errors"] == 1 and _counts(root)["failures"] == 0
    allowed = F.inconclusive()
    allowed["summary"]["fail_on_uncertain"] = False
    root = _parse(allowed)
    skipped = _case(root, "eu-gpai-systemic-risk").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == (
        "uncertain (allowed by --allow-uncertain): the compute interval straddles the threshold"
    )
    assert _counts(root)["errors"] == 0


def test_uncertain_below_fail_on_does_not_block() -> None:
    report = F.report([F.gpai_finding("uncertain", severity="low", reason="compute unknown")], outcome="pass")
    case = _case(_parse(report), "eu-gpai-systemic-risk")
    skipped = case.find("skipped")
    assert case.find("error") is None and skipped is not None
    assert skipped.get("message") == "uncertain (below --fail-on high): compute unknown"


def test_waived_is_skipped_with_reason_owner_and_expiry() -> None:
    root = _parse(F.waived())
    skipped = _case(root, "eu-gpai-systemic-risk").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "waived: notified the AI Office (legal@acme.example, until 2026-06-30)"
    assert _counts(root)["failures"] == 0


def test_rulesets_without_findings_and_findings_without_rulesets_get_suites() -> None:
    rulesets = [{"id": "empty-set", "version": "1", "sha256": F.SHA, "path": "x", "title": "Empty"}]
    report = F.report([F.gpai_finding("triggered")], outcome="fail", rulesets=rulesets)
    suites = {s.get("name"): s for s in _parse(report).findall("testsuite")}
    assert list(suites) == ["empty-set", "eu-ai-act"]
    assert _counts(suites["empty-set"]) == {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    assert _counts(suites["eu-ai-act"])["failures"] == 1


def test_hostile_card_text_round_trips_without_breaking_the_xml() -> None:
    root = _parse(F.hostile())
    case = _case(root, "eu-license-check")
    name = case.get("name") or ""
    assert "<script>alert(1)</script>" in name and "]]>" in name
    assert "\x00" not in name and "\x1b" not in name and "\ud800" not in name
    failure = case.find("failure")
    assert failure is not None and "&" in (failure.get("message") or "")


def test_clean_keeps_legal_characters_only() -> None:
    assert clean("a\x00b\x08c\td\ne\r\ufffe\U0001f600") == "abc\td\ne\r\U0001f600"


def test_facts_only_report_has_no_suites() -> None:
    report = F.report([], outcome="not_checked", rulesets=[])
    root = _parse(report)
    assert root.findall("testsuite") == []
    assert _counts(root) == {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}


def test_suites_name_what_decided_the_outcome_and_errors_say_how_to_settle() -> None:
    report = F.inconclusive()
    report["findings"][0]["settle"] = [
        {"fact": "training_compute_flop", "question": "What is the training compute?", "answers": ["5e24", "2e25"]}
    ]
    report["summary"]["caveats"] = [{"kind": "gated", "message": "gated, no token"}]
    root = _parse(report)
    suite = root.find("testsuite")
    assert suite is not None
    props = [(p.get("name"), p.get("value")) for p in suite.iter("property")]
    assert ("outcome.deciding", "eu-gpai-systemic-risk") in props and ("caveat", "gated: gated, no token") in props
    error = _case(root, "eu-gpai-systemic-risk").find("error")
    assert error is not None and error.text is not None
    assert "--fact training_compute_flop=5e24 or --fact training_compute_flop=2e25" in error.text


def test_not_triggered_cases_say_which_comparison_failed() -> None:
    out = _case(_parse(F.failing()), "eu-prohibited").find("system-out")
    assert out is not None and out.text == "not triggered: parameters 70.6B is not > 1e15"
