"""The one table of condition operators, and their three-valued semantics.

Truth values are Python's ``True`` / ``False`` and ``None`` for unknown (Kleene logic), which
keeps the hot path free of enum look-ups. Numeric facts are intervals ``[low, high]``; a
``None`` bound is open (``low`` None = no lower bound known, ``high`` None = unbounded). A
threshold is an interval too: a constant ``t`` is ``[t, t]`` and a reference to another fact
times a factor is that fact's interval scaled. A comparison is TRUE only when it holds for
every point of both intervals, FALSE only when it fails for every point, else unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from compliance.facts.names import Kind

Tri = bool | None
Bound = float | None


class Operand(StrEnum):
    """What a leaf compares its fact with."""

    NONE = "none"  # is_true, known...: no value
    NUMBER = "number"  # gt/gte/lt/lte: a number, or ``ref`` to another numeric fact
    SCALAR = "scalar"  # eq/ne: a value of the fact's own kind
    LIST = "list"  # in/not_in: a list of values of the fact's kind, or a country group
    STRING = "string"  # contains: one string
    STRINGS = "strings"  # intersects: a list of strings


@dataclass(frozen=True, slots=True)
class OpSpec:
    """One operator: which fact kinds it accepts, what operand it takes, how to print it."""

    name: str
    kinds: frozenset[Kind]
    operand: Operand
    symbol: str


_NUM = frozenset({Kind.NUMBER})
_ORDERED = frozenset({Kind.NUMBER, Kind.BOOL, Kind.STRING})
_ALL = frozenset(Kind)

OPERATORS: dict[str, OpSpec] = {
    spec.name: spec
    for spec in (
        OpSpec("gt", _NUM, Operand.NUMBER, ">"),
        OpSpec("gte", _NUM, Operand.NUMBER, ">="),
        OpSpec("lt", _NUM, Operand.NUMBER, "<"),
        OpSpec("lte", _NUM, Operand.NUMBER, "<="),
        OpSpec("eq", _ORDERED, Operand.SCALAR, "is"),
        OpSpec("ne", _ORDERED, Operand.SCALAR, "is not"),
        OpSpec("in", frozenset({Kind.NUMBER, Kind.STRING}), Operand.LIST, "is one of"),
        OpSpec("not_in", frozenset({Kind.NUMBER, Kind.STRING}), Operand.LIST, "is none of"),
        OpSpec("contains", frozenset({Kind.LIST}), Operand.STRING, "include"),
        OpSpec("intersects", frozenset({Kind.LIST}), Operand.STRINGS, "include any of"),
        OpSpec("is_true", frozenset({Kind.BOOL}), Operand.NONE, "is true"),
        OpSpec("is_false", frozenset({Kind.BOOL}), Operand.NONE, "is false"),
        OpSpec("known", _ALL, Operand.NONE, "is known"),
        OpSpec("unknown", _ALL, Operand.NONE, "is unknown"),
    )
}


# Interval tests: (fact low, fact high, threshold low, threshold high) -> Tri.
# A None low bound is minus infinity and a None high bound plus infinity.


def _gt(alo: Bound, ahi: Bound, tlo: Bound, thi: Bound) -> Tri:
    if alo is not None and thi is not None and alo > thi:
        return True
    if ahi is not None and tlo is not None and ahi <= tlo:
        return False
    return None


def _gte(alo: Bound, ahi: Bound, tlo: Bound, thi: Bound) -> Tri:
    if alo is not None and thi is not None and alo >= thi:
        return True
    if ahi is not None and tlo is not None and ahi < tlo:
        return False
    return None


def _lt(alo: Bound, ahi: Bound, tlo: Bound, thi: Bound) -> Tri:
    if ahi is not None and tlo is not None and ahi < tlo:
        return True
    if alo is not None and thi is not None and alo >= thi:
        return False
    return None


def _lte(alo: Bound, ahi: Bound, tlo: Bound, thi: Bound) -> Tri:
    if ahi is not None and tlo is not None and ahi <= tlo:
        return True
    if alo is not None and thi is not None and alo > thi:
        return False
    return None


def _eq(alo: Bound, ahi: Bound, tlo: Bound, thi: Bound) -> Tri:
    if alo is not None and alo == ahi == tlo == thi:
        return True
    if (alo is not None and thi is not None and alo > thi) or (ahi is not None and tlo is not None and ahi < tlo):
        return False
    return None


def _ne(alo: Bound, ahi: Bound, tlo: Bound, thi: Bound) -> Tri:
    result = _eq(alo, ahi, tlo, thi)
    return None if result is None else not result


INTERVAL_TESTS: dict[str, Callable[[Bound, Bound, Bound, Bound], Tri]] = {
    "gt": _gt,
    "gte": _gte,
    "lt": _lt,
    "lte": _lte,
    "eq": _eq,
    "ne": _ne,
}


def interval_in(alo: Bound, ahi: Bound, members: frozenset[float]) -> Tri:
    """Whether a numeric interval's true value is one of ``members``."""
    if alo is not None and alo == ahi:
        return alo in members
    inside = [m for m in members if (alo is None or m >= alo) and (ahi is None or m <= ahi)]
    return None if inside else False


def tri_not(value: Tri) -> Tri:
    """Kleene negation."""
    return None if value is None else not value


def tri_word(value: Tri) -> str:
    """``true``, ``false`` or ``unknown``: how comparisons record their result."""
    if value is None:
        return "unknown"
    return "true" if value else "false"
