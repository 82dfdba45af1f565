"""Which clauses decided a condition: the evaluation log replayed over the condition's shape.

A compiled condition logs one comparison per leaf it evaluated, in depth-first order, and
``all``/``any`` stop at the first decisive child (Kleene logic). Replaying the log over the
rule's condition tree with the same short-circuit gives every node its three-valued result
without touching the evaluation itself; from there the clauses that decided the result are:

* a leaf: itself;
* ``all`` that holds, or ``any`` that fails: every child (each one was needed);
* ``all`` that fails: its first false child; ``any`` that holds: its first true child;
* an undecided ``all``/``any``: its undecided children (deciding those decides it);
* ``not``: what decided its child (the result is flipped, the reason is the same clause).

A leaf under an odd number of ``not`` is *negated*: it counts against the rule when it holds.
The tree is flattened once per rule into a :data:`Shape` of tuples (named conditions
resolved), so a replay costs a few microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from compliance.rules.operators import Tri
from compliance.rules.plain import Condition

Shape = tuple[Any, ...]
"""``("leaf", fact)``, ``("not", shape)``, ``("all", (shapes…))`` or ``("any", (shapes…))``."""

_TRI: dict[Any, Tri] = {"true": True, "false": False, "unknown": None}


class Clause(NamedTuple):
    """A leaf that decided a result, and whether a ``not`` above it inverts its sense."""

    entry: dict[str, Any]
    negated: bool


def shape_of(cond: Condition, named: Mapping[str, Condition]) -> Shape:
    """The condition as nested tuples, with ``use`` references replaced by what they name."""
    if cond.is_leaf:
        return ("leaf", cond.fact)
    if cond.not_ is not None:
        return ("not", shape_of(cond.not_, named))
    if cond.use is not None:
        return shape_of(named[cond.use], named)
    if cond.any_ is not None:
        return ("any", tuple(shape_of(c, named) for c in cond.any_))
    assert cond.all_ is not None
    return ("all", tuple(shape_of(c, named) for c in cond.all_))


def deciding(shape: Shape, log: list[dict[str, Any]], part: str) -> tuple[Tri, list[Clause]]:
    """The result of the ``part`` (``when`` or ``unless``) entries of ``log`` replayed over
    ``shape``, and the clauses that decided it (see the module docstring), in rule order.

    Raises ValueError when the log does not match the shape.
    """
    entries = (
        log if part == "when" and (not log or log[-1]["part"] == "when") else [e for e in log if e["part"] == part]
    )
    # A one-comparison condition (most exemptions) needs no replay.
    if shape[0] == "leaf" and len(entries) == 1 and entries[0]["fact"] == shape[1]:
        return _TRI[entries[0]["result"]], [Clause(entries[0], False)]
    value, clauses, used = _replay(shape, entries, 0, False)
    if used != len(entries):
        raise ValueError(f"the {part} log has {len(entries)} comparisons; the condition read {used}")
    return value, clauses


def _replay(shape: Shape, entries: list[dict[str, Any]], at: int, negated: bool) -> tuple[Tri, list[Clause], int]:
    kind = shape[0]
    if kind == "leaf":
        if at >= len(entries) or entries[at]["fact"] != shape[1]:
            raise ValueError(f"the log does not match the condition at leaf {shape[1]!r}")
        entry = entries[at]
        return _TRI[entry["result"]], [Clause(entry, negated)], at + 1
    if kind == "not":
        value, clauses, at = _replay(shape[1], entries, at, not negated)
        return (None if value is None else not value), clauses, at
    decisive = kind == "any"
    undecided: list[Clause] = []
    everything: list[Clause] = []
    unknown = False
    for child in shape[1]:
        value, clauses, at = _replay(child, entries, at, negated)
        if value is decisive:
            return decisive, clauses, at
        if value is None:
            unknown = True
            undecided.extend(clauses)
        everything.extend(clauses)
    return (None, undecided, at) if unknown else (not decisive, everything, at)


Place = tuple[int, bool]
"""A clause by its index in the log, and whether it is negated."""


class Plan(NamedTuple):
    """How a rule's verdict is explained, worked out from the shapes alone.

    A compiled condition is deterministic: which leaf it reads next depends only on the results
    of the leaves before, so the sequence of results in a log fixes which comparisons the log
    holds and every conclusion drawn from them. A plan is therefore the same for every log with
    that sequence, and a rule keeps one per sequence seen. ``head`` starts the reason (None: no
    reason); ``explained`` are the clauses whose words follow it, ``; ``-separated (None: the head
    is the whole reason); ``decisive`` are the clauses that decided the verdict; ``reads`` are the
    facts the comparisons read (each compared fact, then its reference), each once, in log order.
    """

    head: str | None
    explained: tuple[Place, ...] | None
    decisive: tuple[Place, ...]
    reads: tuple[str, ...]


def plan(
    when_shape: Shape, unless_shape: Shape | None, log: list[dict[str, Any]], when: Tri, exempt: Tri, exemption: str
) -> Plan:
    """The plan explaining ``log`` (``when`` and ``exempt`` are its results; ``exemption`` the
    ``unless`` condition in words).

    Raises ValueError when the log does not match the shapes.
    """
    _, when_clauses = deciding(when_shape, log, "when")
    unless_clauses: list[Clause] = []
    if unless_shape is not None and when is not False:
        _, unless_clauses = deciding(unless_shape, log, "unless")
    index = {id(entry): at for at, entry in enumerate(log)}

    def places(clauses: list[Clause]) -> tuple[Place, ...]:
        return tuple((index[id(c.entry)], c.negated) for c in clauses)

    names = (name for entry in log for name in (entry["fact"], entry.get("ref")) if name is not None)
    reads = tuple(dict.fromkeys(names))
    if when is False:
        return Plan("not met: ", places(when_clauses), places(when_clauses), reads)
    if exempt is True:
        return Plan(f"exempt: {exemption}", None, places(unless_clauses), reads)
    if when is None:
        # Undecided "when" clauses explain it; deciding them may still leave the exemption open.
        decisive = when_clauses + (unless_clauses if exempt is None else [])
        return Plan("", places(when_clauses), places(decisive), reads)
    if exempt is None:
        return Plan("an exemption may apply: ", places(unless_clauses), places(unless_clauses), reads)
    # Every comparison of a triggered rule holds as it should: they are marked, not explained.
    return Plan(None, None, places(when_clauses + unless_clauses), reads)
