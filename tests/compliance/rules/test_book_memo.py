"""What rule evaluation works out once (explanation plans, dates, comparison targets, words for
comparisons without numbers, answers to try and questions) gives the same findings as working
it out afresh for every fact set."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.rules_speed import synthetic_facts
from compliance.rules import book as book_module
from compliance.rules import describe, load_rulesets, settle
from compliance.rules.book import _MAX_MEMO, RuleBook
from compliance.rules.findings import Status, Verdict
from tests.compliance.rules.builders import facts

BOOK = load_rulesets()
AFRESH = load_rulesets()
DATES = [date(2024, 6, 1), date(2025, 3, 1), date(2025, 9, 1), date(2026, 6, 1), date(2027, 3, 1)]
MARKETS = [None, ["US"], ["EU"], ["CN"], ["US-CA"], ["US", "EU"]]
DESTINATIONS = [None, "cn", "DE", "IR"]
MODIFIER = "eu.gpai.downstream_modifier"


def _forget(book: RuleBook) -> None:
    """Drop every memo, so the next evaluation works everything out from the log."""
    for rule in book.rules:
        rule._plans.clear()
        rule._force.clear()
    describe._TARGETS.clear()
    book_module._WORDED.clear()
    settle._TRIES.clear()
    settle._QUESTIONS.clear()


def _findings(book: RuleBook, seed: int, as_of: date, markets: list[str] | None, dest: str | None) -> list[Any]:
    fact_set = synthetic_facts(random.Random(seed))
    return [f.to_dict() for f in book.evaluate(fact_set, as_of=as_of, markets=markets, destination=dest)]


@settings(max_examples=400, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    as_of=st.sampled_from(DATES),
    markets=st.sampled_from(MARKETS),
    dest=st.sampled_from(DESTINATIONS),
)
def test_memoised_findings_equal_findings_worked_out_afresh(
    seed: int, as_of: date, markets: list[str] | None, dest: str | None
) -> None:
    # BOOK keeps its memos from every earlier example; AFRESH starts empty each time.
    remembered = _findings(BOOK, seed, as_of, markets, dest)
    _forget(AFRESH)
    assert remembered == _findings(AFRESH, seed, as_of, markets, dest)


@pytest.mark.parametrize("base", [2.4e24, 6e24, 3e25])
def test_answers_compared_with_a_reference_follow_each_fact_set(base: float) -> None:
    # The modification compute is compared with a third of the base model's: the answers to try
    # depend on that fact, so a memo keyed by the rule alone would repeat the first set's answers.
    modified = facts(base_model="org/base", output_modalities=["text"], base_model_compute_flop=base,
                     finetune_compute_flop=(base / 6, base / 2))  # fmt: skip
    remembered = BOOK.evaluate_rule(MODIFIER, modified, as_of=DATES[3])
    _forget(AFRESH)
    assert remembered.settle, "the interval straddles a third of the base: the finding is uncertain"
    assert remembered.to_dict() == AFRESH.evaluate_rule(MODIFIER, modified, as_of=DATES[3]).to_dict()


def test_each_field_of_a_finding_holds_what_its_name_says() -> None:
    # The book passes a finding's fields by position: each must land in the field of that name.
    fact_set = synthetic_facts(random.Random(3))
    for rule, finding in zip(BOOK.rules, BOOK.evaluate(fact_set, as_of=DATES[3]), strict=True):
        spec, info = rule.spec, rule.ruleset
        expected = [("rule_id", spec.id), ("ruleset", info.id), ("ruleset_version", info.version),
                    ("jurisdiction", info.jurisdiction), ("title", spec.title), ("severity", rule.severity),
                    ("effect", spec.effect), ("citation", spec.citation), ("link", spec.link),
                    ("status", rule.status), ("effective_from", spec.effective_from),
                    ("effective_until", spec.effective_until), ("message", spec.message),
                    ("sourcing", spec.sourcing), ("waived", None)]  # fmt: skip
        assert [(name, getattr(finding, name)) for name, _ in expected] == expected
        assert isinstance(finding.verdict, Verdict) and isinstance(finding.comparisons, list)
        assert finding.what_if is None or finding.reason
        assert set(finding.evidence) <= {c["fact"] for c in finding.comparisons} | {
            c.get("ref") for c in finding.comparisons
        }


def test_the_out_of_force_memo_stays_bounded_and_right() -> None:
    rule = next(r for r in BOOK.rules if r.status is Status.IN_FORCE and r.spec.effective_until is None)
    start = rule.spec.effective_from
    assert start is not None
    days = [start + timedelta(days=d) for d in range(-_MAX_MEMO, _MAX_MEMO)]
    remembered = [rule.out_of_force(day) for day in days]
    assert len(rule._force) <= _MAX_MEMO
    rule._force.clear()
    assert remembered == [rule.out_of_force(day) for day in days]
    assert str(remembered[_MAX_MEMO - 1]).startswith("not yet in effect")
    assert remembered[_MAX_MEMO] is None
