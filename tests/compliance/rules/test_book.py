"""Evaluation: verdicts, exemptions, dates and statuses, scope, what-if, evidence, finding shape."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from compliance.facts.model import Evidence, Fact, FactSet
from compliance.rules.book import RuleBook
from compliance.rules.findings import Finding, Status, Verdict
from compliance.rules.loader import load_rulesets
from tests.compliance.rules.builders import facts, rule, ruleset
from tests.compliance.rules.conftest import WriteSet

IN_FORCE = date(2026, 1, 1)
PUBLISHED = {"fact": "open_weights", "op": "is_true"}


def book_of(write_set: WriteSet, *rules: dict[str, Any], **meta: Any) -> RuleBook:
    return load_rulesets([write_set(ruleset(rules=list(rules) or None, **meta))])


def only(book: RuleBook, fact_set: FactSet, as_of: date = IN_FORCE, **kw: Any) -> Finding:
    findings = book.evaluate(fact_set, as_of=as_of, **kw)
    assert len(findings) == 1
    return findings[0]


@pytest.mark.parametrize(
    ("compute", "verdict"),
    [(2e25, Verdict.TRIGGERED), (1e25, Verdict.NOT_TRIGGERED), ((5e24, 2e25), Verdict.UNCERTAIN)],
)
def test_verdict_follows_the_condition(write_set: WriteSet, compute: Any, verdict: Verdict) -> None:
    finding = only(book_of(write_set), facts(training_compute_flop=compute))
    assert finding.verdict is verdict
    assert finding.what_if is None


def test_uncertain_reason_names_the_straddled_threshold(write_set: WriteSet) -> None:
    finding = only(book_of(write_set), facts(training_compute_flop=(5e24, 2e25)))
    assert finding.reason == "training compute is between 5e24 FLOP and 2e25 FLOP: '> 1e25 FLOP' is undecided"


def test_unknown_fact_makes_the_rule_uncertain(write_set: WriteSet) -> None:
    finding = only(book_of(write_set), FactSet())
    assert finding.verdict is Verdict.UNCERTAIN
    assert finding.reason == "training compute is unknown"


def test_not_triggered_reason_names_the_deciding_comparison(write_set: WriteSet) -> None:
    finding = only(book_of(write_set), facts(training_compute_flop=3e24))
    assert finding.reason == "not met: training compute is 3e24 FLOP: '> 1e25 FLOP' does not hold"


@pytest.mark.parametrize(
    ("compute", "published", "verdict", "reason_start"),
    [
        (2e25, True, Verdict.NOT_TRIGGERED, "exempt: weights published"),
        (2e25, None, Verdict.UNCERTAIN, "an exemption may apply: weights published is unknown"),
        (2e25, False, Verdict.TRIGGERED, None),
        ((5e24, 2e25), True, Verdict.NOT_TRIGGERED, "exempt: "),
        ((5e24, 2e25), False, Verdict.UNCERTAIN, "training compute is between"),
        (3e24, None, Verdict.NOT_TRIGGERED, "not met"),
    ],
)
def test_unless_exempts(
    write_set: WriteSet, compute: Any, published: bool | None, verdict: Verdict, reason_start: str | None
) -> None:
    book = book_of(write_set, rule(unless=PUBLISHED))
    values: dict[str, Any] = {"training_compute_flop": compute}
    if published is not None:
        values["open_weights"] = published
    finding = only(book, facts(**values))
    assert finding.verdict is verdict
    if reason_start is None:
        assert finding.reason is None
    else:
        assert finding.reason is not None and finding.reason.startswith(reason_start)


def test_unless_is_not_evaluated_when_the_condition_fails(write_set: WriteSet) -> None:
    finding = only(book_of(write_set, rule(unless=PUBLISHED)), facts(training_compute_flop=1e20, open_weights=True))
    assert [c["part"] for c in finding.comparisons] == ["when"]


def test_comparisons_of_both_parts_are_recorded(write_set: WriteSet) -> None:
    finding = only(book_of(write_set, rule(unless=PUBLISHED)), facts(training_compute_flop=2e25, open_weights=False))
    assert [(c["fact"], c["part"], c["result"]) for c in finding.comparisons] == [
        ("training_compute_flop", "when", "true"),
        ("open_weights", "unless", "false"),
    ]


# Dates and statuses --------------------------------------------------------------------------

WINDOW: dict[str, Any] = {"effective_from": date(2025, 1, 13), "effective_until": date(2025, 5, 13)}


@pytest.mark.parametrize(
    ("status", "as_of", "applies", "reason_part"),
    [
        ("in_force", date(2025, 1, 12), False, "not yet in effect on 2025-01-12 (applies from 2025-01-13)"),
        ("in_force", date(2025, 1, 13), True, None),
        ("in_force", date(2025, 5, 12), True, None),
        ("in_force", date(2025, 5, 13), False, "ended from 2025-05-13"),
        ("non_enforced", date(2025, 3, 1), True, None),
        ("non_enforced", date(2025, 6, 1), False, "not enforced from 2025-05-13"),
        ("revoked", date(2025, 3, 1), True, None),
        ("revoked", date(2026, 1, 1), False, "revoked from 2025-05-13"),
    ],
)
def test_dated_rules_apply_only_inside_their_window(
    write_set: WriteSet, status: str, as_of: date, applies: bool, reason_part: str | None
) -> None:
    book = book_of(write_set, rule(status=status, **WINDOW))
    finding = only(book, facts(training_compute_flop=2e26), as_of=as_of)
    assert finding.status is Status(status)
    if applies:
        assert finding.verdict is Verdict.TRIGGERED
        assert finding.what_if is None
    else:
        assert finding.verdict is Verdict.NOT_APPLICABLE
        assert finding.what_if is Verdict.TRIGGERED
        assert finding.reason is not None and reason_part is not None and reason_part in finding.reason


@pytest.mark.parametrize("status", ["proposed", "vetoed"])
def test_rules_that_never_became_law_are_what_if_only(write_set: WriteSet, status: str) -> None:
    book = book_of(write_set, rule(status=status, effective_from=None))
    finding = only(book, facts(training_compute_flop=(1e24, 1e26)), as_of=date(2030, 1, 1))
    assert finding.verdict is Verdict.NOT_APPLICABLE
    assert finding.what_if is Verdict.UNCERTAIN
    assert finding.reason == f"{status}: never became law (what-if only)"
    assert finding.comparisons, "the what-if still records its comparisons"


def test_superseded_rule_without_dates_and_with_a_window(write_set: WriteSet) -> None:
    old = rule("x.old", status="superseded", superseded_by="x.new", effective_from=None)
    dated = rule("x.dated", status="superseded", superseded_by="x.new", **WINDOW)
    book = book_of(write_set, old, dated, rule("x.new"))
    by_id = {f.rule_id: f for f in book.evaluate(facts(training_compute_flop=2e26), as_of=date(2025, 2, 1))}
    assert by_id["x.old"].verdict is Verdict.NOT_APPLICABLE
    assert by_id["x.old"].reason == "superseded by x.new before taking effect (what-if only)"
    assert by_id["x.dated"].verdict is Verdict.TRIGGERED
    late = book.evaluate(facts(training_compute_flop=2e26), as_of=date(2025, 6, 1))
    assert "superseded by x.new from 2025-05-13" in (late[1].reason or "")


# Scope -----------------------------------------------------------------------------------------


def test_market_narrowing(write_set: WriteSet) -> None:
    book = book_of(write_set, markets=["US-CA"], jurisdiction="US-CA")
    fact_set = facts(training_compute_flop=2e26)
    assert only(book, fact_set).verdict is Verdict.TRIGGERED
    assert only(book, fact_set, markets=["US"]).verdict is Verdict.TRIGGERED
    assert only(book, fact_set, markets=["us-ca"]).verdict is Verdict.TRIGGERED
    narrowed = only(book, fact_set, markets=["EU", "KR"])
    assert narrowed.verdict is Verdict.NOT_APPLICABLE
    assert narrowed.what_if is Verdict.TRIGGERED
    assert narrowed.reason == "the run covers markets EU, KR; this set covers US-CA"


def test_markets_fact_narrows_when_no_market_is_passed(write_set: WriteSet) -> None:
    book = book_of(write_set)
    fact_set = facts(training_compute_flop=2e26, markets=["KR"])
    assert only(book, fact_set).verdict is Verdict.NOT_APPLICABLE
    assert only(book, fact_set, markets=["EU"]).verdict is Verdict.TRIGGERED


def test_export_sets_ignore_markets_and_skip_domestic_destinations(write_set: WriteSet) -> None:
    book = book_of(write_set, jurisdiction="US", markets=[], scope={"selected_by": "export", "domestic": ["US"]})
    fact_set = facts(training_compute_flop=2e26)
    assert only(book, fact_set, markets=["EU"]).verdict is Verdict.TRIGGERED
    assert only(book, fact_set, destination="ae").verdict is Verdict.TRIGGERED
    domestic = only(book, fact_set, destination="us")
    assert domestic.verdict is Verdict.NOT_APPLICABLE
    assert domestic.reason == "destination US is domestic for this set (nothing is exported)"
    declared = facts(training_compute_flop=2e26, destination_country="US")
    assert only(book, declared).verdict is Verdict.NOT_APPLICABLE


def test_always_sets_apply_to_every_run(write_set: WriteSet) -> None:
    book = book_of(write_set, jurisdiction="ORG", markets=[], scope={"selected_by": "always"})
    assert only(book, facts(training_compute_flop=2e26), markets=["CN"]).verdict is Verdict.TRIGGERED


def test_needs_make_rules_not_applicable_until_the_context_is_given(write_set: WriteSet) -> None:
    when = {"fact": "destination_groups", "op": "contains", "value": "D5"}
    needy = rule(when=when, needs=[["destination_country", "destination_groups"], "hardware_tpp"])
    book = book_of(write_set, needy)
    missing = only(book, FactSet())
    assert missing.verdict is Verdict.NOT_APPLICABLE
    assert missing.reason == (
        "needs destination_country or destination_groups and hardware_tpp, which this run does not give"
    )
    # A destination argument becomes the destination_country fact; the groups are still unknown.
    partial = only(book, facts(hardware_tpp=5000.0), destination="CN")
    assert partial.verdict is Verdict.UNCERTAIN
    assert partial.reason == "destination country groups is unknown"
    full = only(book, facts(hardware_tpp=5000.0, destination_groups=["D5"]), destination="CN")
    assert full.verdict is Verdict.TRIGGERED


def test_scope_needs_at_set_level(write_set: WriteSet) -> None:
    book = book_of(write_set, jurisdiction="US", markets=[], scope={"selected_by": "export", "needs": [["hardware"]]})
    finding = only(book, facts(training_compute_flop=2e26))
    assert finding.verdict is Verdict.NOT_APPLICABLE
    assert finding.what_if is Verdict.TRIGGERED


def test_destination_argument_does_not_override_a_declared_country(write_set: WriteSet) -> None:
    when = {"fact": "destination_country", "op": "eq", "value": "AE"}
    book = book_of(write_set, rule(when=when))
    assert only(book, facts(destination_country="AE"), destination="CN").verdict is Verdict.TRIGGERED
    injected = only(book, FactSet(), destination="ae")
    assert injected.verdict is Verdict.TRIGGERED
    assert injected.evidence["destination_country"] == [{"kind": "declared", "source": "--destination", "detail": "AE"}]


# Finding shape -----------------------------------------------------------------------------------


def test_finding_carries_rule_metadata_evidence_and_serialises(write_set: WriteSet) -> None:
    effect = {"type": "notify_authority", "authority": "AI Office", "deadline_days": 14}
    book = book_of(write_set, rule(effect=effect, unless=PUBLISHED), version="2026.11.0")
    compute = Fact(
        "training_compute_flop", 2e25, 1.5e25, 3e25, evidence=[Evidence("derived", "estimator", "6 N D", None)]
    )
    finding = only(book, FactSet({"training_compute_flop": compute, "open_weights": Fact("open_weights", False)}))
    assert (finding.rule_id, finding.ruleset, finding.ruleset_version) == ("t.rule", "test-set", "2026.11.0")
    assert finding.jurisdiction == "EU"
    assert finding.effect == {"type": "notify_authority", "authority": "AI Office", "deadline_days": 14}
    assert finding.evidence["training_compute_flop"] == [{"kind": "derived", "source": "estimator", "detail": "6 N D"}]
    assert finding.evidence["open_weights"] == []
    assert finding.waived is None
    data = json.loads(json.dumps(finding.to_dict()))
    assert data["verdict"] == "triggered"
    assert data["effective_from"] == "2025-01-01"
    assert data["effective_until"] is None
    assert data["what_if"] is None
    assert data["sourcing"] == "V"
    assert set(data["comparisons"][0]) >= {"fact", "op", "threshold", "value", "low", "high", "result"}


def test_evaluate_rule_matches_evaluate(write_set: WriteSet) -> None:
    book = book_of(write_set, rule("a.one"), rule("a.two", when=PUBLISHED))
    fact_set = facts(training_compute_flop=2e25, open_weights=False)
    single = book.evaluate_rule("a.two", fact_set, as_of=IN_FORCE)
    assert single.to_dict() == book.evaluate(fact_set, as_of=IN_FORCE)[1].to_dict()


def test_shipped_rules_evaluate_a_llama_405b_like_model() -> None:
    book = load_rulesets()
    fact_set = facts(
        training_compute_flop=3.8e25,
        output_modalities=["text"],
        open_weights=True,
        open_source_license=False,
        license="llama3.1",
        developer_revenue_usd=1.3e11,
    )
    by_id = {f.rule_id: f for f in book.evaluate(fact_set, as_of=date(2026, 6, 1), markets=["EU", "US"])}
    assert by_id["eu.gpai.systemic_risk_notification"].verdict is Verdict.TRIGGERED
    assert by_id["eu.gpai.documentation"].verdict is Verdict.TRIGGERED
    assert by_id["us-ca.sb53.frontier_developer"].verdict is Verdict.NOT_TRIGGERED
    assert by_id["us.bis.4e091.classification"].verdict is Verdict.NOT_APPLICABLE
    assert by_id["kr.basic_act.high_performance_safety"].verdict is Verdict.NOT_APPLICABLE
    assert by_id["us.bis.3a090a.classification"].reason is not None
