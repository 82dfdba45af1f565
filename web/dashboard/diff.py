"""A comparison of two checks of one model: facts, findings, and whether the law or the model changed.

The causes come from :func:`compliance.services.changes.change_flags`, the same test the
scans use to explain a change, so the model page and the scan history agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from compliance.services.changes import cause_of, change_flags
from compliance.storage.tables import CheckRow

FLAG_WORDS = {
    "sha_changed": "the model changed (a different commit)",
    "options_changed": "the check's options changed (destination, markets, hardware, declared facts…)",
    "rules_changed": "the law changed (different rule-set versions)",
    "date_changed": "the law is read at a different date",
    "estimator_changed": "the fact extraction changed (estimator version)",
}


@dataclass(slots=True)
class FactChange:
    """One fact that differs."""

    name: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(slots=True)
class FindingChange:
    """One rule whose verdict or waiver differs."""

    rule_id: str
    title: str
    before: str | None
    after: str | None
    waived_before: bool
    waived_after: bool


@dataclass(slots=True)
class CheckDiff:
    """What differs between check ``a`` (earlier) and check ``b`` (later)."""

    a: CheckRow
    b: CheckRow
    flags: dict[str, bool]
    cause: str
    facts: list[FactChange] = field(default_factory=list)
    findings: list[FindingChange] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """The flags that are set, in words, plus waivers that began or ended between the two checks."""
        out = [FLAG_WORDS[k] for k, v in self.flags.items() if v and k in FLAG_WORDS]
        waived = sum(1 for f in self.findings if f.waived_after and not f.waived_before)
        unwaived = sum(1 for f in self.findings if f.waived_before and not f.waived_after)
        if waived:
            out.append(f"a waiver now covers {waived} finding{'s' if waived > 1 else ''}")
        if unwaived:
            out.append(f"a waiver no longer covers {unwaived} finding{'s' if unwaived > 1 else ''}")
        return out

    @property
    def model_or_law_changed(self) -> bool:
        """Whether the model, the options, the law or the estimator differ (not only waivers)."""
        return any(self.flags.values())


def _fact_key(fact: Mapping[str, Any] | None) -> tuple[Any, ...]:
    if fact is None:
        return (None,)
    return (repr(fact.get("value")), fact.get("low"), fact.get("high"), fact.get("confidence"))


def diff_checks(
    session: Session, a: CheckRow, b: CheckRow, report_a: Mapping[str, Any], report_b: Mapping[str, Any]
) -> CheckDiff:
    """Compare two finished checks (``a`` before ``b``)."""
    flags = change_flags(session, previous=a, current=b, previous_sha=a.sha, current_sha=b.sha)
    out = CheckDiff(a, b, flags, cause_of(flags).value)
    facts_a, facts_b = report_a.get("facts") or {}, report_b.get("facts") or {}
    for name in sorted(set(facts_a) | set(facts_b)):
        before, after = facts_a.get(name), facts_b.get(name)
        if _fact_key(before) != _fact_key(after):
            out.facts.append(FactChange(name, before, after))
    found_a = {f["rule_id"]: f for f in report_a.get("findings") or []}
    found_b = {f["rule_id"]: f for f in report_b.get("findings") or []}
    for rule_id in sorted(set(found_a) | set(found_b)):
        fa, fb = found_a.get(rule_id), found_b.get(rule_id)
        va, vb = (fa or {}).get("verdict"), (fb or {}).get("verdict")
        wa, wb = bool((fa or {}).get("waived")), bool((fb or {}).get("waived"))
        if va != vb or wa != wb:
            title = str((fb or fa or {}).get("title", ""))
            out.findings.append(FindingChange(rule_id, title, va, vb, wa, wb))
    return out
