"""What an evaluation produces: verdicts, severities, statuses and the :class:`Finding` record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """The outcome of one rule for one model.

    ``uncertain`` means the facts do not decide the rule (a threshold lies inside an interval, or
    a fact the rule needs is unknown). ``not_applicable`` means the rule is out of scope for this
    run (date, status, market, destination); the finding then carries the ``what_if`` verdict.
    """

    TRIGGERED = "triggered"
    NOT_TRIGGERED = "not_triggered"
    UNCERTAIN = "uncertain"
    NOT_APPLICABLE = "not_applicable"


class Severity(StrEnum):
    """How much a triggered rule matters, lowest first."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info up to 4 for critical."""
        return _SEVERITY_RANK[self]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class Status(StrEnum):
    """The current legal status of a rule.

    ``non_enforced``, ``revoked`` and ``superseded`` rules were law for a while: inside
    ``[effective_from, effective_until)`` they are evaluated as in force, which is what makes
    back-testing possible. ``proposed`` and ``vetoed`` rules never became law and only ever
    give a what-if verdict. ``superseded`` without dates means replaced before taking effect.
    """

    IN_FORCE = "in_force"
    NON_ENFORCED = "non_enforced"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    PROPOSED = "proposed"
    VETOED = "vetoed"


NEVER_IN_FORCE = frozenset({Status.PROPOSED, Status.VETOED})


@dataclass(slots=True)
class Finding:
    """The verdict of one rule for one model, with everything needed to explain it.

    ``comparisons`` lists every condition leaf that was evaluated (``when`` and ``unless``), with
    the resolved threshold, the fact's value and interval and the three-valued result.
    ``evidence`` holds the evidence of the facts those leaves read, keyed by fact name.
    ``waived`` is set by :func:`compliance.rules.waivers.apply_waivers`; the verdict is kept.
    A comparison that decided the verdict carries ``"deciding": True``. ``settle`` (uncertain
    findings only) lists ``{"fact", "question", "answers"}``: declaring one answer per listed
    fact (``--fact FACT=ANSWER``) makes the finding triggered or not triggered.
    """

    rule_id: str
    ruleset: str
    ruleset_version: str
    jurisdiction: str
    title: str
    verdict: Verdict
    severity: Severity
    effect: dict[str, Any]
    citation: str
    link: str
    status: Status
    effective_from: date | None
    effective_until: date | None
    message: str
    sourcing: str
    reason: str | None = None
    what_if: Verdict | None = None
    # Why the rule set is outside this run's markets or destination (None when in scope): kept
    # apart from ``reason`` so that a report can list law not in force within the view asked for.
    scope_reason: str | None = None
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    waived: dict[str, Any] | None = None
    settle: list[dict[str, Any]] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        """True for a triggered or uncertain finding that no waiver covers."""
        return self.waived is None and self.verdict in (Verdict.TRIGGERED, Verdict.UNCERTAIN)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO strings, enums as their values)."""
        return {
            "rule_id": self.rule_id,
            "ruleset": self.ruleset,
            "ruleset_version": self.ruleset_version,
            "jurisdiction": self.jurisdiction,
            "title": self.title,
            "verdict": self.verdict.value,
            "severity": self.severity.value,
            "effect": self.effect,
            "citation": self.citation,
            "link": self.link,
            "status": self.status.value,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "effective_until": self.effective_until.isoformat() if self.effective_until else None,
            "message": self.message,
            "sourcing": self.sourcing,
            "reason": self.reason,
            "what_if": self.what_if.value if self.what_if else None,
            "scope_reason": self.scope_reason,
            "comparisons": [dict(c) for c in self.comparisons],
            "evidence": {name: list(ev) for name, ev in self.evidence.items()},
            "waived": dict(self.waived) if self.waived else None,
            "settle": [dict(s, answers=list(s["answers"])) for s in self.settle],
        }
