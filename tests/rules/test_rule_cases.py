"""Every shipped rule set's cases, one test per case, plus a guard that every rule has cases.

Cases are discovered from the rules directory, so a new rule set or a new case needs no edit here,
and a rule without a triggered and a not_triggered case (and an uncertain one when it compares a
number) fails the run.
"""

from __future__ import annotations

import pytest

from compliance.rules.book import RuleBook
from compliance.rules.cases import Case, coverage_gaps, load_cases, run_case
from compliance.rules.loader import load_rulesets

BOOK: RuleBook = load_rulesets()
CASES: list[Case] = [case for info in BOOK.rulesets for case in load_cases(BOOK, info.id)]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.ruleset}:{c.id}" for c in CASES])
def test_case(case: Case) -> None:
    result = run_case(BOOK, case)
    expected = (result.expected, result.expected_what_if or result.actual_what_if)
    assert (result.actual, result.actual_what_if) == expected, f"{case.source} case {case.index}: {result.reason}"


def test_every_rule_has_cases() -> None:
    assert coverage_gaps(BOOK) == []


def test_cases_exist() -> None:
    assert len(CASES) >= 2 * len(BOOK)
