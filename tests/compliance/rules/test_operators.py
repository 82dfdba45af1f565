"""Interval comparisons: exact comparator semantics at the threshold, open bounds, references."""

from __future__ import annotations

import pytest

from compliance.facts.names import FACT_SPECS, Kind
from compliance.rules.operators import INTERVAL_TESTS, OPERATORS, interval_in, tri_not, tri_word

T = 1e25

# (op, fact low, fact high, expected) against the constant threshold T.
CASES = [
    # A value exactly at the threshold: only the inclusive comparators hold.
    ("gt", T, T, False),
    ("gte", T, T, True),
    ("lt", T, T, False),
    ("lte", T, T, True),
    ("eq", T, T, True),
    ("ne", T, T, False),
    # An interval that starts at the threshold: > is undecided (the value may be T itself), >= holds.
    ("gt", T, 2 * T, None),
    ("gte", T, 2 * T, True),
    # An interval that ends at the threshold: < is undecided, <= holds, > fails.
    ("lt", T / 2, T, None),
    ("lte", T / 2, T, True),
    ("gt", T / 2, T, False),
    ("gte", T / 2, T, None),
    # Straddling intervals leave everything undecided.
    ("gt", T / 2, 2 * T, None),
    ("lt", T / 2, 2 * T, None),
    ("eq", T / 2, 2 * T, None),
    ("ne", T / 2, 2 * T, None),
    # Intervals clear of the threshold decide.
    ("gt", 2 * T, 3 * T, True),
    ("lt", 2 * T, 3 * T, False),
    ("eq", 2 * T, 3 * T, False),
    ("ne", 2 * T, 3 * T, True),
    # Open bounds: only a lower bound (high unbounded) or only an upper bound.
    ("gt", 2 * T, None, True),
    ("lt", 2 * T, None, False),
    ("lt", T / 2, None, None),
    ("gt", None, T / 2, False),
    ("gt", None, 2 * T, None),
    ("lte", None, T, True),
    # Nothing known.
    ("gt", None, None, None),
    ("lte", None, None, None),
]


@pytest.mark.parametrize(("op", "low", "high", "expected"), CASES)
def test_interval_against_constant(op: str, low: float | None, high: float | None, expected: bool | None) -> None:
    assert INTERVAL_TESTS[op](low, high, T, T) is expected


def test_interval_against_interval_threshold() -> None:
    gt = INTERVAL_TESTS["gt"]
    # Fact [4, 6] against a reference interval [1, 3]: every point is above.
    assert gt(4.0, 6.0, 1.0, 3.0) is True
    # Against [5, 7]: some points above, some not.
    assert gt(4.0, 6.0, 5.0, 7.0) is None
    # Against [6, 9]: no point is strictly above.
    assert gt(4.0, 6.0, 6.0, 9.0) is False
    # An unknown threshold bound leaves the side it guards undecided.
    assert gt(4.0, 6.0, None, 3.0) is True
    assert gt(4.0, 6.0, 1.0, None) is None


def test_numeric_membership() -> None:
    members = frozenset({1.0, 2.0})
    assert interval_in(1.0, 1.0, members) is True
    assert interval_in(3.0, 3.0, members) is False
    assert interval_in(0.5, 1.5, members) is None
    assert interval_in(2.5, 4.0, members) is False
    assert interval_in(None, 0.5, members) is False


def test_kleene_negation_and_words() -> None:
    assert tri_not(True) is False
    assert tri_not(False) is True
    assert tri_not(None) is None
    assert [tri_word(v) for v in (True, False, None)] == ["true", "false", "unknown"]


def test_operator_table_is_fixed_and_kind_checked() -> None:
    assert set(OPERATORS) == {
        "gt", "gte", "lt", "lte", "eq", "ne", "in", "not_in",
        "contains", "intersects", "is_true", "is_false", "known", "unknown",
    }  # fmt: skip
    assert OPERATORS["gt"].kinds == frozenset({Kind.NUMBER})
    assert Kind.STRING not in OPERATORS["lte"].kinds
    assert OPERATORS["intersects"].kinds == frozenset({Kind.LIST})
    # Every kind a fact can have is usable with known/unknown.
    assert {spec.kind for spec in FACT_SPECS.values()} <= OPERATORS["known"].kinds
