"""What a compiled rule works out once (explanation plans, dates, targets) gives the same findings
as working it out afresh for every fact set."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.rules_speed import synthetic_facts
from compliance.rules import describe, load_rulesets
from compliance.rules.book import _MAX_MEMO, RuleBook
from compliance.rules.findings import Status, Verdict

BOOK = load_rulesets()
AFRESH = load_rulesets()
DATES = [date(2024, 6, 1), date(2025, 3, 1), date(2025, 9, 1), date(2026, 6, 1), date(2027, 3, 1)]
MARKETS = [None, ["US"], ["EU"], ["CN"], ["US-CA"], ["US", "EU"]]
DESTINATIONS = [None, "cn", "DE", "IR"]


def _forget(book: RuleBook) -> None:
    """Drop every memo, so the next evaluation works everything out from the log."""
    for rule in book.rules:
        rule._plans.clear()
        rule._force.clear()
    describe._TARGETS.clear()


def _findings(book: RuleBook, seed: int, as_of: date, markets: list[str] | None, dest: str | None) -> list[Any]:
    facts = synthetic_facts(random.Random(seed))
    return [f.to_dict() for f in book.evaluate(facts, as_of=as_of, markets=markets, destination=dest)]


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


def test_each_field_of_a_finding_holds_what_its_name_says() -> None:
    # The book passes a finding's fields by position: each must land in the field of that name.
    facts = synthetic_facts(random.Random(3))
    for rule, finding in zip(BOOK.rules, BOOK.evaluate(facts, as_of=DATES[3]), strict=True):
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
