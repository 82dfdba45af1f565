"""Words and grouping for the result page: settle answers, the deciding findings, their order, options."""

from __future__ import annotations

import pytest

from web.dashboard.present import answer_text, because, deciding_findings, group_findings, options_text


@pytest.mark.parametrize(
    ("answer", "fact", "text"),
    [
        ("5e23", "training_compute_flop", "5e23 FLOP"),
        ("0..5e8", "developer_revenue_usd", "0 to 5e8 USD"),
        ("yes", "public_service_cn", "yes"),
        ("D:5", "destination_groups", "D:5"),
        ("not a number", "training_compute_flop", "not a number"),
    ],
)
def test_settle_answers_read_as_quantities(answer: str, fact: str, text: str) -> None:
    assert answer_text(answer, fact) == text


def test_findings_are_grouped_by_verdict_most_severe_first_and_the_deciding_ones_named() -> None:
    findings = [
        {"rule_id": "a", "verdict": "triggered", "severity": "medium"},
        {"rule_id": "b", "verdict": "uncertain", "severity": "high"},
        {"rule_id": "c", "verdict": "triggered", "severity": "critical"},
        {"rule_id": "d", "verdict": "triggered", "severity": "medium"},
    ]
    groups = group_findings(findings)
    assert [f["rule_id"] for f in groups["triggered"]] == ["c", "a", "d"]  # stable within a severity
    assert [f["rule_id"] for f in groups["uncertain"]] == ["b"]
    report = {"findings": findings, "summary": {"deciding": ["c", "gone", "b"]}}
    assert [f["rule_id"] for f in deciding_findings(report)] == ["c", "b"]
    assert deciding_findings({"findings": findings, "summary": {}}) == []  # a report from before summary.deciding


def test_a_finding_is_explained_by_its_reason_else_by_the_comparisons_that_decided_it() -> None:
    assert because({"reason": "offered to the public in China is unknown", "comparisons": []}).startswith("offered")
    decided = {
        "comparisons": [
            {"fact": "open_weights", "op": "is_true", "value": True, "deciding": True},
            {"fact": "training_compute_flop", "op": "gt", "value": 3e24, "threshold": 1e24, "deciding": True},
            {"fact": "output_modalities", "op": "intersects", "value": ["text"], "threshold": ["text"]},
        ]
    }
    assert because(decided) == "weights published yes is true; training compute 3e24 > 1e24"


def test_stored_options_in_words() -> None:
    options = {
        "markets": ["EU", "KR"],
        "open_weights": True,
        "facts": {"public_service_cn": False, "developer_revenue_usd": "0..5e8"},
        "declared_by": {"public_service_cn": "ana@example.com in the dashboard"},
    }
    assert options_text(options) == (
        "markets: EU, KR; open_weights: yes; offered to the public in China: no; "
        "developer's annual revenue: 0 to 5e8 USD"
    )


def test_every_failure_kind_has_words_and_a_rerun_decision() -> None:
    from compliance.errors import ComplianceError
    from compliance.services.checks import INTERNAL_FAILURE, LOST_FAILURE
    from web.dashboard.present import FAILURE_WORDS, RERUN_HELPS

    raised, pending = set(), [ComplianceError]
    while pending:
        cls = pending.pop()
        raised.add(cls.kind)
        pending.extend(cls.__subclasses__())
    kinds = (raised - {ComplianceError.kind}) | {INTERNAL_FAILURE, LOST_FAILURE}
    assert kinds <= FAILURE_WORDS.keys(), kinds - FAILURE_WORDS.keys()
    assert FAILURE_WORDS[LOST_FAILURE] == "worker lost" and LOST_FAILURE in RERUN_HELPS
    assert "not_found" not in RERUN_HELPS and "private" not in RERUN_HELPS
