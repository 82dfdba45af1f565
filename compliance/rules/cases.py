"""Test cases shipped beside each rule set, and the runner behind ``compliance rules test``.

``rules/<id>.cases.yaml`` is a list of cases::

    - rule: eu.gpai.systemic_risk
      name: just above the presumption
      facts: {training_compute_flop: 1.1e25, output_modalities: [text]}
      as_of: 2026-01-01          # default: the rule's effective_from
      markets: [EU]              # optional, as for a run
      destination: CN            # optional
      expect: triggered          # the verdict
      expect_what_if: triggered  # optional: the what-if verdict of a not_applicable finding

A fact is a plain value, or ``{value, low, high}`` for a numeric interval (``{value: null}``
declares a fact present but unknown). Every rule needs a triggered and a not_triggered case,
and an uncertain one when it compares a number; :func:`coverage_gaps` lists what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance.errors import RuleSetError
from compliance.facts.model import Confidence, Evidence, Fact, FactSet
from compliance.facts.names import FACT_SPECS, Kind
from compliance.rules.book import CompiledRule, RuleBook, RuleSetInfo
from compliance.rules.findings import Verdict
from compliance.rules.loader import CASES_SUFFIXES, read_document, validation_error
from compliance.rules.problems import RAISE, Problems
from compliance.rules.schema import MARKET_PATTERN, VerdictName, as_number, check_fact_name


class CaseSpec(BaseModel):
    """One case as written."""

    model_config = ConfigDict(extra="forbid", strict=True)

    rule: str
    name: Annotated[str, Field(min_length=1)]
    facts: dict[str, Any] = Field(default_factory=dict)
    as_of: date | None = None
    markets: list[Annotated[str, Field(pattern=MARKET_PATTERN)]] | None = None
    destination: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    expect: VerdictName
    expect_what_if: VerdictName | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A validated case, ready to run."""

    ruleset: str
    spec: CaseSpec
    facts: FactSet
    as_of: date
    source: str
    index: int

    @property
    def id(self) -> str:
        """``<rule>: <name>``, unique enough for test ids."""
        return f"{self.spec.rule}: {self.spec.name}"


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case."""

    ruleset: str
    rule: str
    name: str
    source: str
    expected: str
    actual: str
    expected_what_if: str | None
    actual_what_if: str | None
    reason: str | None

    @property
    def passed(self) -> bool:
        """True when the verdict (and the what-if, when expected) matched."""
        return self.expected == self.actual and (
            self.expected_what_if is None or self.expected_what_if == self.actual_what_if
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "ruleset": self.ruleset,
            "rule": self.rule,
            "name": self.name,
            "source": self.source,
            "expected": self.expected,
            "actual": self.actual,
            "expected_what_if": self.expected_what_if,
            "actual_what_if": self.actual_what_if,
            "passed": self.passed,
            "reason": self.reason,
        }


def cases_path(info: RuleSetInfo) -> Path:
    """Where the cases of a rule set live: ``<id>.cases.yaml`` beside the rule-set file."""
    for suffix in CASES_SUFFIXES:
        candidate = info.path.with_name(info.id + suffix)
        if candidate.exists():
            return candidate
    return info.path.with_name(info.id + CASES_SUFFIXES[0])


def load_cases(book: RuleBook, ruleset_id: str, *, problems: Problems = RAISE) -> list[Case]:
    """The cases of one loaded rule set ([] when it has no cases file); each defect goes to
    ``problems`` (raised at once by default; when collected, the faulty case is left out)."""
    compiled = book.ruleset(ruleset_id)
    path = cases_path(compiled.info)
    if not path.exists():
        return []
    source = str(path)
    try:
        raw, _ = read_document(path)
        if not isinstance(raw, list):
            raise RuleSetError("a cases file must be a YAML list of cases", source=source)
    except RuleSetError as exc:
        problems.add(exc)
        return []
    rules = {r.id: r for r in compiled.rules}
    cases: list[Case] = []
    names: set[tuple[str, str]] = set()
    for index, item in enumerate(raw):
        try:
            case = _case(ruleset_id, rules, item, source, index)
            if (case.spec.rule, case.spec.name) in names:
                where = f"case {index} ({case.spec.name})"
                raise RuleSetError("duplicate case name for this rule", source=source, where=where)
        except RuleSetError as exc:
            problems.add(exc)
            continue
        names.add((case.spec.rule, case.spec.name))
        cases.append(case)
    return cases


def _case(ruleset_id: str, rules: dict[str, CompiledRule], item: Any, source: str, index: int) -> Case:
    """One case of a cases file, validated against the rule set's rules; RuleSetError on a defect."""
    where = f"case {index}"
    if not isinstance(item, dict):
        raise RuleSetError("a case must be a mapping", source=source, where=where)
    try:
        spec = CaseSpec.model_validate(item)
    except ValidationError as exc:
        error = validation_error(exc, item, source)
        raise RuleSetError(error.message, source=source, where=f"{where}: {error.where}") from None
    where = f"case {index} ({spec.name})"
    rule = rules.get(spec.rule)
    if rule is None:
        raise RuleSetError(f"rule {spec.rule!r} is not in rule set {ruleset_id!r}", source=source, where=where)
    as_of = spec.as_of or rule.spec.effective_from
    if as_of is None:
        raise RuleSetError(f"needs 'as_of': rule {spec.rule} has no effective_from", source=source, where=where)
    facts = FactSet({n: _fact(n, v, source, f"{where}: facts.{n}") for n, v in spec.facts.items()})
    return Case(ruleset_id, spec, facts, as_of, source, index)


def _fact(name: str, raw: Any, source: str, where: str) -> Fact:
    try:
        check_fact_name(name)
    except ValueError as exc:
        raise RuleSetError(str(exc), source=source, where=where) from None
    kind = FACT_SPECS[name].kind
    evidence = [Evidence("declared", source, where)]
    if isinstance(raw, dict) and kind is not Kind.MAPPING:
        return _interval_fact(name, kind, raw, evidence, source, where)
    if raw is None:
        return Fact(name, None, confidence=Confidence.UNKNOWN, method="declared", evidence=evidence)
    return Fact(name, _typed(kind, raw, source, where), method="declared", evidence=evidence)


def _interval_fact(
    name: str, kind: Kind, raw: dict[str, Any], evidence: list[Evidence], source: str, where: str
) -> Fact:
    extra = set(raw) - {"value", "low", "high"}
    if extra:
        raise RuleSetError(f"unknown key {sorted(extra)[0]!r} (use value, low, high)", source=source, where=where)
    if kind is not Kind.NUMBER and set(raw) != {"value"}:
        raise RuleSetError("only numeric facts take low/high", source=source, where=where)
    value = raw.get("value")
    if value is not None:
        value = _typed(kind, value, source, where)
    bounds: list[float | None] = []
    for key in ("low", "high"):
        bound = raw.get(key)
        number = None if bound is None else as_number(bound)
        if bound is not None and number is None:
            raise RuleSetError(f"{key} must be a number, got {bound!r}", source=source, where=where)
        bounds.append(number)
    low, high = bounds
    if low is not None and high is not None and low > high:
        raise RuleSetError("low is above high", source=source, where=where)
    interval = low is not None or high is not None
    confidence = Confidence.UNKNOWN if value is None else (Confidence.LIKELY if interval else Confidence.CONFIDENT)
    return Fact(name, value, low, high, confidence=confidence, method="declared", evidence=evidence)


_KIND_CHECKS = {
    Kind.BOOL: lambda v: isinstance(v, bool),
    Kind.STRING: lambda v: isinstance(v, str),
    Kind.LIST: lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    Kind.MAPPING: lambda v: isinstance(v, dict),
}


def _typed(kind: Kind, value: Any, source: str, where: str) -> Any:
    ok = as_number(value) if kind is Kind.NUMBER else (value if _KIND_CHECKS[kind](value) else None)
    if ok is None:
        raise RuleSetError(f"expected a {kind.value} value, got {value!r}", source=source, where=where)
    return ok


def run_cases(book: RuleBook, ruleset_ids: list[str] | None = None) -> list[CaseResult]:
    """Run the cases of the given rule sets (default: all in the book), one result per case."""
    results: list[CaseResult] = []
    for info in _chosen(book, ruleset_ids):
        for case in load_cases(book, info.id):
            results.append(run_case(book, case))
    return results


def run_case(book: RuleBook, case: Case) -> CaseResult:
    """Evaluate one case and compare with its expectations."""
    spec = case.spec
    finding = book.evaluate_rule(
        spec.rule, case.facts, as_of=case.as_of, markets=spec.markets, destination=spec.destination
    )
    return CaseResult(
        ruleset=case.ruleset,
        rule=spec.rule,
        name=spec.name,
        source=case.source,
        expected=spec.expect,
        actual=finding.verdict.value,
        expected_what_if=spec.expect_what_if,
        actual_what_if=finding.what_if.value if finding.what_if else None,
        reason=finding.reason,
    )


def coverage_gaps(book: RuleBook, ruleset_ids: list[str] | None = None) -> list[str]:
    """What the cases fail to cover: a missing cases file, or a rule without a triggered,
    a not_triggered or (for numeric rules) an uncertain case. Empty when all is covered."""
    gaps: list[str] = []
    for info in _chosen(book, ruleset_ids):
        path = cases_path(info)
        if not path.exists():
            gaps.append(f"rule set {info.id} has no cases file ({path})")
            continue
        seen: dict[str, set[str]] = {}
        for case in load_cases(book, info.id):
            outcomes = seen.setdefault(case.spec.rule, set())
            outcomes.add(case.spec.expect)
            if case.spec.expect_what_if:
                outcomes.add(case.spec.expect_what_if)
        for rule in book.ruleset(info.id).rules:
            needed = [Verdict.TRIGGERED.value, Verdict.NOT_TRIGGERED.value]
            if rule.numeric:
                needed.append(Verdict.UNCERTAIN.value)
            missing = [v for v in needed if v not in seen.get(rule.id, set())]
            if missing:
                gaps.append(f"rule {rule.id} ({info.id}) has no {' or '.join(missing)} case")
    return gaps


def _chosen(book: RuleBook, ruleset_ids: list[str] | None) -> list[RuleSetInfo]:
    if not ruleset_ids:
        return book.rulesets
    return [book.ruleset(i).info for i in ruleset_ids]
