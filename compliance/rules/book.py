"""The compiled rule book, and evaluation of a fact set against it.

Scope decides whether a rule applies to this run at all (``not_applicable`` otherwise); the
compiled conditions decide the verdict. Both are always computed, so a rule that is out of
scope still reports what it *would* have said (``what_if``): nothing silently vanishes, and
back-testing an old date or a revoked regime works the same way as a live check.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from compliance.errors import UsageError
from compliance.facts.model import Evidence, Fact, FactSet
from compliance.rules.compiler import Compiled
from compliance.rules.decision import Clause, Place, Plan, Shape, plan, shape_of
from compliance.rules.describe import explain_comparison
from compliance.rules.findings import NEVER_IN_FORCE, Finding, Severity, Status, Verdict
from compliance.rules.memo import remembered
from compliance.rules.operators import Tri
from compliance.rules.plain import Condition, RuleSpec, SetMeta, unmet_needs
from compliance.rules.settle import settle as settle_questions


@dataclass(frozen=True, slots=True)
class RuleSetInfo:
    """Identity of one loaded rule-set file: what ``--rules`` selected, pinned by version and hash."""

    id: str
    version: str
    title: str
    jurisdiction: str
    markets: tuple[str, ...]
    selected_by: str
    sha256: str
    path: Path
    description: str = ""
    sources: tuple[dict[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "jurisdiction": self.jurisdiction,
            "markets": list(self.markets),
            "selected_by": self.selected_by,
            "sha256": self.sha256,
            "path": str(self.path),
            "description": self.description,
            "sources": [dict(s) for s in self.sources],
        }


# Module constants: reading an enum member off its class costs several dictionary look-ups.
_TRIGGERED, _NOT_TRIGGERED = Verdict.TRIGGERED, Verdict.NOT_TRIGGERED
_UNCERTAIN, _NOT_APPLICABLE = Verdict.UNCERTAIN, Verdict.NOT_APPLICABLE
_MAX_MEMO = 512  # entries per rule in each memo below; past that a memo stops growing or starts afresh
_WORDED: dict[Hashable, str] = {}  # comparisons without numbers, in words, across runs


@dataclass(frozen=True, slots=True, eq=False)
class CompiledRule:
    """One rule ready to evaluate: its validated spec plus compiled conditions."""

    spec: RuleSpec
    ruleset: RuleSetInfo
    named: Mapping[str, Condition]
    when: Compiled
    unless: Compiled | None
    exemption: str  # the ``unless`` condition in words, for "exempt" reasons
    numeric: bool  # compares a numeric fact, so an interval can leave it uncertain
    status: Status = field(init=False)
    severity: Severity = field(init=False)
    effect: dict[str, Any] = field(init=False)
    when_shape: Shape = field(init=False)
    unless_shape: Shape | None = field(init=False)
    # What the facts do not change, worked out once: the explanation plan per sequence of
    # comparison results (see :class:`~compliance.rules.decision.Plan`) and why the rule is out
    # of force, per date.
    _plans: dict[tuple[str, ...], Plan] = field(init=False, repr=False)
    _force: dict[date, str | None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "when_shape", shape_of(self.spec.when, self.named))
        unless = self.spec.unless
        object.__setattr__(self, "unless_shape", None if unless is None else shape_of(unless, self.named))
        object.__setattr__(self, "status", Status(self.spec.status))
        object.__setattr__(self, "severity", Severity(self.spec.severity))
        object.__setattr__(self, "effect", self.spec.effect)
        object.__setattr__(self, "_plans", {})
        object.__setattr__(self, "_force", {})

    @property
    def id(self) -> str:
        """The rule's stable id."""
        return self.spec.id

    def out_of_force(self, as_of: date) -> str | None:
        """Why the rule is not law on ``as_of``, or None when it is."""
        try:
            return self._force[as_of]
        except KeyError:
            pass
        why = self._out_of_force(as_of)
        if len(self._force) >= _MAX_MEMO:  # a long-lived book sees a new date every day
            self._force.clear()
        self._force[as_of] = why
        return why

    def _out_of_force(self, as_of: date) -> str | None:
        spec = self.spec
        if self.status in NEVER_IN_FORCE:
            return f"{self.status.value}: never became law (what-if only)"
        if spec.effective_from is None:
            return f"superseded by {spec.superseded_by} before taking effect (what-if only)"
        if as_of < spec.effective_from:
            return f"not yet in effect on {as_of.isoformat()} (applies from {spec.effective_from.isoformat()})"
        if spec.effective_until is not None and as_of >= spec.effective_until:
            ended = {
                Status.NON_ENFORCED: "not enforced",
                Status.REVOKED: "revoked",
                Status.SUPERSEDED: f"superseded by {spec.superseded_by}",
            }.get(self.status, "ended")
            return f"no longer in effect on {as_of.isoformat()} ({ended} from {spec.effective_until.isoformat()})"
        return None

    def decide(self, facts: Mapping[str, Fact], log: list[dict[str, Any]]) -> tuple[Tri, Tri]:
        """The three-valued results of ``when`` and of ``unless`` (False when there is none or
        ``when`` already fails), logging every comparison evaluated."""
        when = self.when(facts, log)
        exempt: Tri = False
        if when is not False and self.unless is not None:
            exempt = self.unless(facts, log)
        return when, exempt

    def decided(self, facts: Mapping[str, Fact]) -> bool:
        """Whether the rule is triggered or not triggered (not uncertain) over ``facts``."""
        when, exempt = self.decide(facts, [])
        return when is False or exempt is True or (when is True and exempt is False)

    def evaluate(self, run: EvaluationRun, scope_reason: str | None) -> Finding:
        """The finding for this rule in ``run``; ``scope_reason`` is the rule set's own exclusion."""
        facts = run.facts
        log: list[dict[str, Any]] = []
        when, exempt = self.decide(facts, log)
        if when is False or exempt is True:
            verdict = _NOT_TRIGGERED
        elif when is None or exempt is None:
            verdict = _UNCERTAIN
        else:
            verdict = _TRIGGERED
        what_if: Verdict | None = None
        reason: str | None = None
        settle: list[dict[str, Any]] = []
        excluded = [r for r in (scope_reason, self.out_of_force(run.as_of), self._missing_needs(facts)) if r]
        if excluded:
            # Out of scope: the what-if verdict is kept, but its clauses are not worked out.
            what_if, verdict, reason = verdict, _NOT_APPLICABLE, "; ".join(excluded)
            evidence = run.evidence_for(log)
        else:
            reason, found = self._explain(run, log, when, exempt)
            if verdict is _UNCERTAIN:
                clauses = [Clause(log[at], negated) for at, negated in found.decisive]
                settle = settle_questions(clauses, log, facts, self.decided)
            evidence = run.evidence_of(found.reads)
        spec, info = self.spec, self.ruleset
        # By position, in field order: a dataclass of this size costs twice as much called by keyword.
        return Finding(
            spec.id, info.id, info.version, info.jurisdiction, spec.title, verdict, self.severity, self.effect,
            spec.citation, spec.link, self.status, spec.effective_from, spec.effective_until, spec.message,
            spec.sourcing, reason, what_if, scope_reason, log, evidence, settle=settle,
        )  # fmt: skip

    def _explain(
        self, run: EvaluationRun, log: list[dict[str, Any]], when: Tri, exempt: Tri
    ) -> tuple[str | None, Plan]:
        """The reason for the verdict, naming the clauses that decided it, and the plan it follows
        (each comparison in ``log`` is marked ``deciding`` or not)."""
        key = tuple([entry["result"] for entry in log])
        found = self._plans.get(key)
        if found is None:
            found = plan(self.when_shape, self.unless_shape, log, when, exempt, self.exemption)
            if len(self._plans) < _MAX_MEMO:  # a deep condition could have many result sequences
                self._plans[key] = found
        for at, _ in found.decisive:
            log[at]["deciding"] = True
        if found.explained is None:
            return found.head, found
        return f"{found.head}{run.explain_all(log, found.explained)}", found

    def _missing_needs(self, facts: Mapping[str, Fact]) -> str | None:
        return unmet_needs(self.spec.needs, facts) if self.spec.needs else None


@dataclass(slots=True, eq=False)
class CompiledSet:
    """One rule-set file, compiled."""

    info: RuleSetInfo
    meta: SetMeta
    named: dict[str, Condition]
    rules: list[CompiledRule]

    def scope_reason(self, run: EvaluationRun) -> str | None:
        """Why this whole set does not apply to ``run``, or None when it does."""
        scope = self.meta.scope
        reasons: list[str] = []
        if scope.selected_by == "market" and run.markets is not None:
            if not any(_market_matches(m, sm) for m in run.markets for sm in self.meta.markets):
                reasons.append(
                    f"the run covers markets {', '.join(run.markets)}; this set covers {', '.join(self.meta.markets)}"
                )
        elif scope.selected_by == "export" and run.destination in scope.domestic:
            reasons.append(f"destination {run.destination} is domestic for this set (nothing is exported)")
        unmet = unmet_needs(scope.needs, run.facts) if scope.needs else None
        if unmet:
            reasons.append(unmet)
        return "; ".join(reasons) or None


def _market_matches(run_market: str, set_market: str) -> bool:
    # "US" selects the federal set and every state set ("US-CA", "US-NY").
    return set_market == run_market or set_market.startswith(run_market + "-")


class EvaluationRun:
    """The per-call context: fact look-up, date, narrowed markets and destination, evidence cache."""

    __slots__ = ("_evidence", "_explained", "as_of", "destination", "facts", "markets")

    def __init__(self, facts: FactSet, *, as_of: date, markets: Sequence[str] | None, destination: str | None) -> None:
        lookup: dict[str, Fact] = {f.name: f for f in facts}
        if not markets:
            declared = lookup.get("markets")
            value = declared.value if declared is not None else None
            markets = [str(m) for m in value] if isinstance(value, list | tuple) and value else None
        self.markets: tuple[str, ...] | None = tuple(m.upper() for m in markets) if markets else None
        if destination:
            destination = destination.upper()
            if "destination_country" not in lookup:
                lookup["destination_country"] = Fact(
                    "destination_country",
                    destination,
                    method="declared",
                    evidence=[Evidence("declared", "--destination", destination)],
                )
        else:
            declared_destination = lookup.get("destination_country")
            value = declared_destination.value if declared_destination is not None else None
            destination = value.upper() if isinstance(value, str) else None
        self.destination = destination
        self.facts = lookup
        self.as_of = as_of
        self._evidence: dict[str, list[dict[str, Any]] | None] = {}
        self._explained: dict[tuple[Any, ...], str] = {}

    def explain(self, entry: dict[str, Any], *, negated: bool = False) -> str:
        """:func:`explain_comparison`, memoised: within one run a leaf's explanation depends only
        on the leaf (the facts are fixed), and many rules share leaves."""
        threshold = entry["threshold"]
        key = (
            entry["fact"],
            entry["op"],
            entry["result"],
            tuple(threshold) if isinstance(threshold, list) else threshold,
            entry.get("ref"),
            entry.get("factor"),
            negated,
        )
        text = self._explained.get(key)
        if text is None:
            value = entry["value"]
            if entry["low"] is None and entry["high"] is None and "ref" not in entry:
                # No number in it: the words depend on the leaf and the value alone, and the same
                # few (a flag, a licence, country groups) recur in every run.
                words = (key, value.__class__, tuple(value) if isinstance(value, list) else value)
                text = remembered(_WORDED, words, lambda: explain_comparison(entry, negated=negated))
            else:
                text = explain_comparison(entry, negated=negated)
            self._explained[key] = text
        return text

    def explain_all(self, log: list[dict[str, Any]], places: Iterable[Place]) -> str:
        """The clauses at ``places`` of ``log`` in words, ``; ``-separated (each distinct text once)."""
        parts = [self.explain(log[at], negated=negated) for at, negated in places]
        return "; ".join(dict.fromkeys(parts)) or "undecided"

    def evidence_for(self, log: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """Evidence of the facts the logged comparisons read, keyed by fact name."""
        out: dict[str, list[dict[str, Any]]] = {}
        known = self._evidence
        for entry in log:
            name = entry["fact"]
            if name not in out:
                found = known[name] if name in known else self._evidence_of(name)
                if found is not None:
                    out[name] = found
            ref = entry.get("ref")
            if ref is not None and ref not in out:
                found = self._evidence_of(ref)
                if found is not None:
                    out[ref] = found
        return out

    def evidence_of(self, names: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Evidence of the facts ``names``, keyed by fact name (the same as :meth:`evidence_for`
        when ``names`` are the facts its log reads, in order)."""
        out: dict[str, list[dict[str, Any]]] = {}
        known = self._evidence
        for name in names:
            found = known[name] if name in known else self._evidence_of(name)
            if found is not None:
                out[name] = found
        return out

    def _evidence_of(self, name: str) -> list[dict[str, Any]] | None:
        """The evidence of one fact as dicts, once per run (None, remembered too, when it is absent)."""
        if name not in self._evidence:
            fact = self.facts.get(name)
            self._evidence[name] = None if fact is None else [e.to_dict() for e in fact.evidence]
        return self._evidence[name]


class RuleBook:
    """Every loaded rule set, compiled and ready to evaluate.

    Build one with :func:`compliance.rules.loader.load_rulesets`. A book is immutable;
    :meth:`select` returns a narrower book.
    """

    def __init__(self, sets: Sequence[CompiledSet]) -> None:
        self._sets = list(sets)
        self._rules: dict[str, CompiledRule] = {r.id: r for s in self._sets for r in s.rules}

    @property
    def rulesets(self) -> list[RuleSetInfo]:
        """Identity (id, version, sha256, path, title...) of each loaded rule set, in load order."""
        return [s.info for s in self._sets]

    @property
    def rules(self) -> list[CompiledRule]:
        """Every rule, in rule-set then file order."""
        return list(self._rules.values())

    def ruleset(self, ruleset_id: str) -> CompiledSet:
        """One compiled rule set by id; UsageError if it is not loaded."""
        for s in self._sets:
            if s.info.id == ruleset_id:
                return s
        raise UsageError(f"no loaded rule set {ruleset_id!r}; loaded: {', '.join(self._ids())}")

    def rule(self, rule_id: str) -> CompiledRule:
        """One rule by id (for ``rules show``); UsageError if no loaded set has it."""
        try:
            return self._rules[rule_id]
        except KeyError:
            raise UsageError(f"no loaded rule {rule_id!r}") from None

    def select(self, ids_or_paths: Iterable[str | Path]) -> RuleBook:
        """A book holding only the named rule sets (by id, or by the path they were loaded from)."""
        chosen: list[CompiledSet] = []
        for item in ids_or_paths:
            match = self._find(item)
            if match is None:
                raise UsageError(f"no loaded rule set {str(item)!r}; loaded: {', '.join(self._ids())}")
            if match not in chosen:
                chosen.append(match)
        return RuleBook(chosen)

    def where(self, keep: Callable[[SetMeta, RuleSpec], bool]) -> RuleBook:
        """A book holding only the rules ``keep`` accepts, given their set's metadata and their spec;
        a set left with no rule is dropped."""
        sets = []
        for s in self._sets:
            rules = [r for r in s.rules if keep(s.meta, r.spec)]
            if rules:
                sets.append(s if len(rules) == len(s.rules) else replace(s, rules=rules))
        return RuleBook(sets)

    def _find(self, item: str | Path) -> CompiledSet | None:
        for s in self._sets:
            if isinstance(item, str) and item == s.info.id:
                return s
        resolved = Path(item).resolve()
        for s in self._sets:
            if s.info.path.resolve() == resolved:
                return s
        return None

    def _ids(self) -> list[str]:
        return [s.info.id for s in self._sets]

    def evaluate(
        self,
        facts: FactSet,
        *,
        as_of: date,
        markets: Sequence[str] | None = None,
        destination: str | None = None,
    ) -> list[Finding]:
        """One finding per rule, in book order.

        ``markets`` narrows market-selected sets (``US`` also selects ``US-CA`` and ``US-NY``);
        None or empty falls back to the ``markets`` fact, and without that every set applies.
        ``destination`` (ISO code) narrows export sets and, when the facts have no
        ``destination_country``, is added as that fact.
        """
        run = EvaluationRun(facts, as_of=as_of, markets=markets, destination=destination)
        findings: list[Finding] = []
        for s in self._sets:
            scope_reason = s.scope_reason(run)
            findings.extend(rule.evaluate(run, scope_reason) for rule in s.rules)
        return findings

    def evaluate_rule(
        self,
        rule_id: str,
        facts: FactSet,
        *,
        as_of: date,
        markets: Sequence[str] | None = None,
        destination: str | None = None,
    ) -> Finding:
        """The finding of a single rule (same semantics as :meth:`evaluate`)."""
        rule = self.rule(rule_id)
        run = EvaluationRun(facts, as_of=as_of, markets=markets, destination=destination)
        owner = next(s for s in self._sets if any(r is rule for r in s.rules))
        return rule.evaluate(run, owner.scope_reason(run))

    def __len__(self) -> int:
        return len(self._rules)
