"""Turn validated conditions into nested closures, once per run.

A compiled condition is a function ``(facts, log) -> True | False | None``: ``facts`` maps fact
names to :class:`~compliance.facts.model.Fact` and ``log`` collects one comparison record per
leaf evaluated. Thresholds, country groups and case-folded strings are all resolved here, so
evaluation does no parsing and no look-ups beyond the fact itself. ``all`` and ``any``
short-circuit on a decisive child (Kleene logic), so ``log`` holds the leaves that decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from compliance.errors import ComplianceError, RuleSetError
from compliance.facts.model import Fact
from compliance.facts.names import FACT_SPECS, Kind
from compliance.rules.operators import INTERVAL_TESTS, Tri, interval_in, tri_not
from compliance.rules.plain import Condition, group_of
from compliance.rules.problems import RAISE, Problems

Log = list[dict[str, Any]]
Compiled = Callable[[Mapping[str, Fact], Log], Tri]
GroupResolver = Callable[[str], Iterable[str]]
"""Maps a country-group name (``D5``) to the ISO codes in it; raises KeyError (or a ComplianceError)
for unknown names."""

_WORDS = {True: "true", False: "false", None: "unknown"}


class ConditionCompiler:
    """Compiles the conditions of one rule-set file.

    Named conditions are compiled once per part (``when`` / ``unless``) and shared by every rule
    that uses them. Missing and circular ``use`` references and unresolvable country groups are
    :class:`RuleSetError` naming ``source`` and the place.
    """

    def __init__(
        self, named: Mapping[str, Condition], *, source: str, group_resolver: GroupResolver | None = None
    ) -> None:
        self._named = named
        self._source = source
        self._resolver = group_resolver
        self._memo: dict[tuple[str, str], Compiled] = {}
        self._stack: list[str] = []

    def compile(self, cond: Condition, *, part: str, where: str) -> Compiled:
        """Compile ``cond``; ``part`` labels its comparison records, ``where`` places errors."""
        if cond.is_leaf:
            return self._leaf(cond, part, where)
        if cond.all_ is not None:
            return _all([self.compile(c, part=part, where=f"{where}.all[{i}]") for i, c in enumerate(cond.all_)])
        if cond.any_ is not None:
            return _any([self.compile(c, part=part, where=f"{where}.any[{i}]") for i, c in enumerate(cond.any_)])
        if cond.not_ is not None:
            return _not(self.compile(cond.not_, part=part, where=f"{where}.not"))
        assert cond.use is not None
        return self._use(cond.use, part, f"{where}.use")

    def compile_named(self, problems: Problems = RAISE) -> None:
        """Compile every named condition, so defects in unused ones are reported too (to
        ``problems``: raised at once, or collected one per condition)."""
        for name in self._named:
            try:
                self._use(name, "when", f"conditions.{name}")
            except RuleSetError as exc:
                problems.add(exc)

    def _use(self, name: str, part: str, where: str) -> Compiled:
        key = (name, part)
        if key in self._memo:
            return self._memo[key]
        if name not in self._named:
            known = ", ".join(sorted(self._named)) or "none defined"
            raise RuleSetError(f"unknown named condition {name!r} (known: {known})", source=self._source, where=where)
        if name in self._stack:
            cycle = " -> ".join([*self._stack[self._stack.index(name) :], name])
            raise RuleSetError(f"circular use of named conditions: {cycle}", source=self._source, where=where)
        self._stack.append(name)
        try:
            compiled = self.compile(self._named[name], part=part, where=f"conditions.{name}")
        finally:
            self._stack.pop()
        self._memo[key] = compiled
        return compiled

    def _leaf(self, cond: Condition, part: str, where: str) -> Compiled:
        assert cond.fact is not None and cond.op is not None
        fact, op = cond.fact, cond.op
        kind = FACT_SPECS[fact].kind
        if cond.ref is not None:
            return _ref_leaf(fact, op, cond.ref, cond.factor or 1.0, part)
        if op in ("known", "unknown"):
            return _known_leaf(fact, op == "known", part)
        if op in ("is_true", "is_false"):
            return _bool_leaf(fact, op, op == "is_true", part)
        if kind is Kind.NUMBER:
            if op in ("in", "not_in"):
                members = frozenset(float(v) for v in cond.value)
                return _number_in_leaf(fact, op, members, part)
            return _number_leaf(fact, op, float(cond.value), part)
        if kind is Kind.BOOL:
            return _bool_eq_leaf(fact, op, bool(cond.value), part)
        if kind is Kind.LIST:
            wanted = [cond.value] if op == "contains" else list(cond.value)
            return _list_leaf(fact, op, wanted, part)
        # Kind.STRING
        if op in ("in", "not_in"):
            return _string_in_leaf(fact, op, self._members(cond.value, where), part)
        return _string_eq_leaf(fact, op, str(cond.value), part)

    def _members(self, values: list[Any], where: str) -> list[str]:
        out: list[str] = []
        for item in values:
            group = group_of(item)
            if group is None:
                out.append(str(item))
                continue
            if self._resolver is None:
                raise RuleSetError(
                    f"country group {group!r} needs a group resolver, and none was given to the loader",
                    source=self._source,
                    where=f"{where}.value",
                )
            try:
                out.extend(str(code) for code in self._resolver(group))
            except (LookupError, ComplianceError) as exc:
                # The resolver may raise KeyError or its own error; either way the rule file is at fault.
                detail = exc.message if isinstance(exc, ComplianceError) else f"unknown country group {group!r}"
                raise RuleSetError(detail, source=self._source, where=f"{where}.value") from None
        return out


def _all(children: list[Compiled]) -> Compiled:
    return _kleene(children, decisive=False)


def _any(children: list[Compiled]) -> Compiled:
    return _kleene(children, decisive=True)


def _kleene(children: list[Compiled], *, decisive: bool) -> Compiled:
    """Three-valued AND (``decisive`` False) or OR (True): one child with the decisive value
    settles it; otherwise any unknown child makes the whole unknown."""

    def evaluate(facts: Mapping[str, Fact], log: Log) -> Tri:
        result: Tri = not decisive
        for child in children:
            value = child(facts, log)
            if value is decisive:
                return decisive
            if value is None:
                result = None
        return result

    return evaluate


def _not(child: Compiled) -> Compiled:
    def evaluate(facts: Mapping[str, Fact], log: Log) -> Tri:
        return tri_not(child(facts, log))

    return evaluate


def _record(fact: str, op: str, threshold: Any, f: Fact | None, result: Tri, part: str) -> dict[str, Any]:
    if f is None:
        return {
            "fact": fact,
            "op": op,
            "threshold": threshold,
            "value": None,
            "low": None,
            "high": None,
            "result": _WORDS[result],
            "part": part,
            "deciding": False,  # set by the book on the comparisons that decided the verdict
        }
    return {
        "fact": fact,
        "op": op,
        "threshold": threshold,
        "value": f.value,
        "low": f.low,
        "high": f.high,
        "result": _WORDS[result],
        "part": part,
        "deciding": False,
    }


def _number_leaf(fact: str, op: str, threshold: float, part: str) -> Compiled:
    test = INTERVAL_TESTS[op]

    def evaluate(facts: Mapping[str, Fact], log: Log) -> Tri:
        f = facts.get(fact)
        result = None if f is None else test(f.low, f.high, threshold, threshold)
        log.append(_record(fact, op, threshold, f, result, part))
        return result

    return evaluate


def _number_in_leaf(fact: str, op: str, members: frozenset[float], part: str) -> Compiled:
    negate = op == "not_in"
    shown = sorted(members)

    def evaluate(facts: Mapping[str, Fact], log: Log) -> Tri:
        f = facts.get(fact)
        result: Tri = None
        if f is not None and (f.low is not None or f.high is not None):
            result = interval_in(f.low, f.high, members)
            if negate:
                result = tri_not(result)
        log.append(_record(fact, op, shown, f, result, part))
        return result

    return evaluate


def _ref_leaf(fact: str, op: str, ref: str, factor: float, part: str) -> Compiled:
    test = INTERVAL_TESTS[op]

    def evaluate(facts: Mapping[str, Fact], log: Log) -> Tri:
        f = facts.get(fact)
        r = facts.get(ref)
        tlo = r.low * factor if r is not None and r.low is not None else None
        thi = r.high * factor if r is not None and r.high is not None else None
        if f is None or (tlo is None and thi is None):
            result: Tri = None
        else:
            result = test(f.low, f.high, tlo, thi)
        entry = _record(fact, op, tlo if tlo is not None and tlo == thi else None, f, result, part)
        entry["ref"] = ref
        entry["factor"] = factor
        entry["threshold_low"] = tlo
        entry["threshold_high"] = thi
        log.append(entry)
        return result

    return evaluate


def _known_leaf(fact: str, want_known: bool, part: str) -> Compiled:
    op = "known" if want_known else "unknown"

    def evaluate(facts: Mapping[str, Fact], log: Log) -> Tri:
        f = facts.get(fact)
        known = f is not None and (f.value is not None or f.low is not None or f.high is not None)
        result = known if want_known else not known
        log.append(_record(fact, op, None, f, result, part))
        return result

    return evaluate


def _bool_leaf(fact: str, op: str, want: bool, part: str) -> Compiled:
    def evaluate(facts: Mapping[str, Fact], log: Log) -> Tri:
        f = facts.get(fact)
        value = None if f is None else f.value
        result = (value is want) if isinstance(value, bool) else None
        log.append(_record(fact, op, None, f, result, part))
        return result

    return evaluate


def _bool_eq_leaf(fact: str, op: str, wanted: bool, part: str) -> Compiled:
    negate = op == "ne"

    def evaluate(facts: Mapping[str, Fact], log: Log) -> Tri:
        f = facts.get(fact)
        value = None if f is None else f.value
        result = ((value is wanted) != negate) if isinstance(value, bool) else None
        log.append(_record(fact, op, wanted, f, result, part))
        return result

    return evaluate


def _string_eq_leaf(fact: str, op: str, wanted: str, part: str) -> Compiled:
    folded = wanted.casefold()
    negate = op == "ne"

    def evaluate(facts: Mapping[str, Fact], log: Log) -> Tri:
        f = facts.get(fact)
        value = None if f is None else f.value
        result = ((value.casefold() == folded) != negate) if isinstance(value, str) else None
        log.append(_record(fact, op, wanted, f, result, part))
        return result

    return evaluate


def _string_in_leaf(fact: str, op: str, members: list[str], part: str) -> Compiled:
    folded = frozenset(m.casefold() for m in members)
    shown = sorted(set(members))
    negate = op == "not_in"

    def evaluate(facts: Mapping[str, Fact], log: Log) -> Tri:
        f = facts.get(fact)
        value = None if f is None else f.value
        result = ((value.casefold() in folded) != negate) if isinstance(value, str) else None
        log.append(_record(fact, op, shown, f, result, part))
        return result

    return evaluate


def _list_leaf(fact: str, op: str, wanted: list[str], part: str) -> Compiled:
    folded = frozenset(w.casefold() for w in wanted)
    threshold: Any = wanted[0] if op == "contains" else wanted

    def evaluate(facts: Mapping[str, Fact], log: Log) -> Tri:
        f = facts.get(fact)
        value = None if f is None else f.value
        result: Tri = None
        if isinstance(value, list | tuple | set | frozenset):
            result = any(isinstance(v, str) and v.casefold() in folded for v in value)
        log.append(_record(fact, op, threshold, f, result, part))
        return result

    return evaluate


def has_numeric_leaf(cond: Condition, named: Mapping[str, Condition], _seen: frozenset[str] = frozenset()) -> bool:
    """True when ``cond`` compares a numeric fact with a threshold (so intervals can leave it undecided)."""
    if cond.is_leaf:
        assert cond.fact is not None
        return FACT_SPECS[cond.fact].kind is Kind.NUMBER and cond.op not in ("known", "unknown")
    children: list[Condition] = []
    if cond.all_ is not None:
        children = cond.all_
    elif cond.any_ is not None:
        children = cond.any_
    elif cond.not_ is not None:
        children = [cond.not_]
    elif cond.use is not None and cond.use in named and cond.use not in _seen:
        children = [named[cond.use]]
        _seen = _seen | {cond.use}
    return any(has_numeric_leaf(c, named, _seen) for c in children)


def facts_read(cond: Condition, named: Mapping[str, Condition], _seen: frozenset[str] = frozenset()) -> set[str]:
    """Every fact name a condition may read (through named conditions too)."""
    if cond.is_leaf:
        assert cond.fact is not None
        return {cond.fact} | ({cond.ref} if cond.ref else set())
    children: list[Condition] = []
    if cond.all_ is not None:
        children = cond.all_
    elif cond.any_ is not None:
        children = cond.any_
    elif cond.not_ is not None:
        children = [cond.not_]
    elif cond.use is not None and cond.use in named and cond.use not in _seen:
        children = [named[cond.use]]
        _seen = _seen | {cond.use}
    out: set[str] = set()
    for child in children:
        out |= facts_read(child, named, _seen)
    return out
