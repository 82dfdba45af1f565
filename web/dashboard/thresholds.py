"""Training-compute thresholds of every regime, read from the rule sets, and where a model sits.

A threshold is a rule leaf ``training_compute_flop > N`` (or ``>=``) in a rule's ``when``.
Thresholds are grouped by rule set (a regime); the distinct values across all regimes cut the
compute axis into bands (below 1e23, 1e23 to 1e25, ...). A model's position uses its compute
value; a model known only by bounds ("at most 1e25") has a band only when its whole interval
lies inside one, and is otherwise "compute unknown" (counted there too), since any band named
for it could be wrong. An interval that crosses a threshold is flagged, since the rules then
answer "uncertain".
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compliance.rules.describe import format_number
from compliance.rules.plain import Condition
from compliance.rules.schema import as_number

COMPUTE_FACT = "training_compute_flop"
_UPWARD_OPS = ("gt", "gte")


@dataclass(frozen=True, slots=True)
class Threshold:
    """One compute threshold of one regime, with the rules that use it."""

    value: float
    rule_ids: tuple[str, ...]
    statuses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Regime:
    """A rule set with compute thresholds."""

    id: str
    title: str
    jurisdiction: str
    thresholds: tuple[Threshold, ...]


@dataclass(frozen=True, slots=True)
class Band:
    """A stretch of the compute axis between two consecutive thresholds."""

    key: str
    label: str
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class Compute:
    """A model's training compute as stored in a check's facts."""

    value: float | None
    low: float | None
    high: float | None
    confidence: str = "unknown"

    @property
    def point(self) -> float | None:
        """The number placed on the axis and sorted by: the value, else the upper bound, else None."""
        return self.value if self.value is not None else self.high

    def text(self) -> str:
        """``3.1e24``; without a value, what the bounds say: ``unknown, at most 1e25``."""
        low = self.low if self.low is not None and self.low > 0 else None
        if self.value is not None:
            return format_number(self.value)
        if low is not None and self.high is not None:
            return f"unknown, {format_number(low)} to {format_number(self.high)}"
        if self.high is not None:
            return f"unknown, at most {format_number(self.high)}"
        if low is not None:
            return f"unknown, at least {format_number(low)}"
        return "unknown"

    @classmethod
    def from_fact(cls, fact: Mapping[str, Any] | None) -> Compute:
        """From a report's ``facts["training_compute_flop"]`` entry (None: unknown)."""
        if not fact:
            return cls(None, None, None)
        value = fact.get("value")
        return cls(
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None,
            _num(fact.get("low")),
            _num(fact.get("high")),
            str(fact.get("confidence") or "unknown"),
        )


@dataclass(frozen=True, slots=True)
class Position:
    """Where a compute figure sits: its band, the next threshold up and how far away it is."""

    band: Band
    next_threshold: float | None
    factor: float | None  # next threshold / point; None when unknown or above every threshold
    crosses: tuple[float, ...] = field(default_factory=tuple)  # thresholds inside the interval


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def leaves(cond: Condition, named: Mapping[str, Condition], seen: tuple[str, ...] = ()) -> Iterator[Condition]:
    """Every leaf of a condition, spelling out named conditions (cycles are cut)."""
    if cond.is_leaf:
        yield cond
        return
    for child in (cond.all_ or []) + (cond.any_ or []):
        yield from leaves(child, named, seen)
    if cond.not_ is not None:
        return  # a negated threshold is an upper limit, not a line a model crosses upwards
    if cond.use is not None and cond.use not in seen and cond.use in named:
        yield from leaves(named[cond.use], named, (*seen, cond.use))


def regimes(book: Any) -> list[Regime]:
    """Rule sets with at least one compute threshold, in book order."""
    found: dict[str, dict[float, tuple[list[str], list[str]]]] = {}
    infos: dict[str, Any] = {}
    for rule in book.rules:
        for leaf in leaves(rule.spec.when, rule.named):
            value = as_number(leaf.value) if leaf.fact == COMPUTE_FACT and leaf.op in _UPWARD_OPS else None
            if value is None or leaf.ref is not None:
                continue
            infos[rule.ruleset.id] = rule.ruleset
            ids, statuses = found.setdefault(rule.ruleset.id, {}).setdefault(value, ([], []))
            if rule.id not in ids:
                ids.append(rule.id)
                statuses.append(str(rule.spec.status))
    out = []
    for ruleset_id, values in found.items():
        info = infos[ruleset_id]
        thresholds = tuple(Threshold(v, tuple(ids), tuple(st)) for v, (ids, st) in sorted(values.items()))
        out.append(Regime(ruleset_id, info.title, info.jurisdiction, thresholds))
    return out


def threshold_values(found: Sequence[Regime]) -> list[float]:
    """The distinct threshold values of all regimes, ascending."""
    return sorted({t.value for r in found for t in r.thresholds})


def bands(values: Sequence[float]) -> list[Band]:
    """The bands the thresholds cut the axis into, lowest first, then ``unknown``."""
    return list(_bands(tuple(values)))


@functools.lru_cache(maxsize=32)
def _bands(values: tuple[float, ...]) -> tuple[Band, ...]:
    # Every row of the models table asks; the answer depends only on the rule sets.
    out: list[Band] = []
    edges: list[float | None] = [None, *values, None]
    for low, high in itertools.pairwise(edges):
        if low is None and high is None:
            out.append(Band("all", "any compute", None, None))
        elif low is None:
            assert high is not None
            out.append(Band(f"lt{format_number(high)}", f"below {format_number(high)} FLOP", None, high))
        elif high is None:
            out.append(Band(f"ge{format_number(low)}", f"{format_number(low)} FLOP or more", low, None))
        else:
            out.append(Band(f"{format_number(low)}-{format_number(high)}",
                            f"{format_number(low)} to {format_number(high)} FLOP", low, high))  # fmt: skip
    out.append(UNKNOWN_BAND)
    return tuple(out)


UNKNOWN_BAND = Band("unknown", "compute unknown", None, None)


def band_index(compute: Compute, values: Sequence[float]) -> int | None:
    """Which band (an index into :func:`bands`) holds ``compute``; None when it is unknown.

    A band is ``(lower threshold, upper threshold]``, as the rules' "> N" draw it. Without a
    value, the interval must lie inside one band: "at most 1e25" could be anywhere below 1e25.
    """
    if compute.value is not None:
        return bisect.bisect_left(values, compute.value) if compute.value > 0 else None
    if compute.high is None or compute.high <= 0:
        return None
    top = bisect.bisect_left(values, compute.high)
    bottom = bisect.bisect_left(values, compute.low) if compute.low is not None and compute.low > 0 else 0
    return top if bottom == top else None


def position(compute: Compute, values: Sequence[float]) -> Position:
    """Band, next threshold and distance of ``compute`` on the axis cut at ``values``."""
    all_bands = _bands(tuple(values))
    point = compute.point
    if point is None or point <= 0:
        return Position(UNKNOWN_BAND, None, None)
    low = compute.low if compute.low is not None else (point if compute.value is not None else 0.0)
    high = compute.high if compute.high is not None else math.inf
    crosses = tuple(v for v in values if low <= v < high)
    index = band_index(compute, values)
    if index is None:
        return Position(UNKNOWN_BAND, None, None, crosses)
    following = [v for v in values if v >= point]
    upcoming = following[0] if following else None
    factor = upcoming / point if upcoming is not None else None
    return Position(all_bands[index], upcoming, factor, crosses)
