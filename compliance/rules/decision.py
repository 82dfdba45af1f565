"""Which clauses decided a condition: the evaluation log replayed over the condition tree.

A compiled condition logs one comparison per leaf it evaluated, in depth-first order, and
``all``/``any`` stop at the first decisive child (Kleene logic). Replaying the log over the
rule's :class:`~compliance.rules.schema.Condition` tree with the same short-circuit gives
every node its three-valued result without touching the hot path; from there the clauses
that decided the result are:

* a leaf: itself;
* ``all`` that holds, or ``any`` that fails: every child (each one was needed);
* ``all`` that fails: its first false child; ``any`` that holds: its first true child;
* an undecided ``all``/``any``: its undecided children (deciding those decides it);
* ``not``: what decided its child (the result is flipped, the reason is the same clause).

A leaf under an odd number of ``not`` is *negated*: it counts against the rule when it holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.rules.operators import Tri, tri_not
from compliance.rules.schema import Condition

_TRI = {"true": True, "false": False, "unknown": None}


@dataclass(slots=True)
class Node:
    """One replayed condition node: its result and, for a leaf, the logged comparison."""

    kind: str  # "leaf", "all", "any" or "not"
    value: Tri
    entry: dict[str, Any] | None = None
    children: list[Node] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Clause:
    """A leaf that decided a result, and whether a ``not`` above it inverts its sense."""

    entry: dict[str, Any]
    negated: bool


def replay(cond: Condition, named: Mapping[str, Condition], entries: Iterator[dict[str, Any]]) -> Node:
    """Rebuild the evaluated tree of ``cond`` from its log ``entries`` (consumed in order).

    Raises ValueError when the log does not match the tree (a caller passed the wrong part).
    """
    if cond.is_leaf:
        entry = next(entries, None)
        if entry is None or entry.get("fact") != cond.fact:
            raise ValueError(f"the log does not match the condition at leaf {cond.fact!r}")
        return Node("leaf", _TRI.get(str(entry.get("result"))), entry)
    if cond.not_ is not None:
        child = replay(cond.not_, named, entries)
        return Node("not", tri_not(child.value), children=[child])
    if cond.use is not None:
        return replay(named[cond.use], named, entries)
    decisive = cond.any_ is not None
    members = cond.any_ if cond.any_ is not None else cond.all_
    assert members is not None
    children: list[Node] = []
    value: Tri = not decisive
    for member in members:
        child = replay(member, named, entries)
        children.append(child)
        if child.value is decisive:
            value = decisive
            break
        if child.value is None:
            value = None
    return Node("any" if decisive else "all", value, children=children)


def deciding(node: Node, *, negated: bool = False) -> list[Clause]:
    """The leaves that decided ``node``'s result (see the module docstring), in rule order."""
    if node.kind == "leaf":
        assert node.entry is not None
        return [Clause(node.entry, negated)]
    if node.kind == "not":
        return deciding(node.children[0], negated=not negated)
    if node.value is None:
        chosen = [c for c in node.children if c.value is None]
    elif node.value is (node.kind == "any"):
        # an any() that holds or an all() that fails: the child that settled it (the last one evaluated)
        chosen = node.children[-1:]
    else:
        chosen = node.children
    out: list[Clause] = []
    for child in chosen:
        out.extend(deciding(child, negated=negated))
    return out


def part_tree(cond: Condition, named: Mapping[str, Condition], log: list[dict[str, Any]], part: str) -> Node:
    """The replayed tree of the ``part`` (``when`` or ``unless``) entries of ``log``."""
    return replay(cond, named, iter([e for e in log if e.get("part", "when") == part]))
