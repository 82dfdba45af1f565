"""What changed for one model between two checks, and why.

Kinds: ``new_model`` (no earlier check), ``new_revision`` (a new commit), ``new_finding`` (a
rule became triggered or uncertain, i.e. blocking unless waived), ``cleared_finding`` (it
stopped being so) and ``verdict_changed`` (any other verdict move, such as triggered to
uncertain or not_triggered to not_applicable). Waivers do not count: a waived finding keeps its
verdict.

The cause is the first that applies of: ``model`` (the commit changed), ``context`` (the check
options changed, e.g. a target's markets were edited), ``law`` (the rule sets' hashes or the
date the rules are read at changed: an amendment, or a rule coming into force), ``estimator``
(same model, options and law; new fact extraction). ``detail`` records every flag, so a change
with several causes is not hidden behind the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.storage.tables import ChangeCause, ChangeKind, ChangeRow, CheckRow, FindingRow

ACTIVE_VERDICTS = frozenset({"triggered", "uncertain"})


@dataclass(frozen=True, slots=True)
class FindingChange:
    """One rule whose verdict moved."""

    kind: ChangeKind
    rule_id: str
    before: str | None
    after: str | None


def diff_verdicts(previous: Mapping[str, str], current: Mapping[str, str]) -> list[FindingChange]:
    """Compare two ``{rule_id: verdict}`` maps, in rule order.

    A rule that appears or disappears without being active (a new rule that does not trigger)
    is not a change worth a row.
    """
    out = []
    for rule_id in sorted(set(previous) | set(current)):
        before, after = previous.get(rule_id), current.get(rule_id)
        if before == after:
            continue
        was, now = before in ACTIVE_VERDICTS, after in ACTIVE_VERDICTS
        if now and not was:
            out.append(FindingChange(ChangeKind.NEW_FINDING, rule_id, before, after))
        elif was and not now:
            out.append(FindingChange(ChangeKind.CLEARED_FINDING, rule_id, before, after))
        elif before is not None and after is not None:
            out.append(FindingChange(ChangeKind.VERDICT_CHANGED, rule_id, before, after))
    return out


def change_flags(
    session: Session, *, previous: CheckRow, current: CheckRow, previous_sha: str | None, current_sha: str | None
) -> dict[str, bool]:
    """Which of model, options, law and estimator differ between two checks of one model."""
    return {
        "sha_changed": previous_sha != current_sha,
        "options_changed": _options(session, previous.id) != _options(session, current.id),
        "rules_changed": previous.rules_hash != current.rules_hash,
        "date_changed": previous.as_of != current.as_of,
        "estimator_changed": previous.estimator_version != current.estimator_version,
    }


def cause_of(flags: Mapping[str, bool]) -> ChangeCause:
    """The primary cause for a set of flags (see the module docstring for the order)."""
    if flags.get("sha_changed"):
        return ChangeCause.MODEL
    if flags.get("options_changed"):
        return ChangeCause.CONTEXT
    if flags.get("rules_changed") or flags.get("date_changed"):
        return ChangeCause.LAW
    if flags.get("estimator_changed"):
        return ChangeCause.ESTIMATOR
    return ChangeCause.LAW


def record_changes(
    session: Session,
    *,
    scan_id: int,
    model_id: str,
    previous: CheckRow | None,
    current: CheckRow,
    previous_sha: str | None,
    current_sha: str | None,
    current_verdicts: Mapping[str, str] | None = None,
) -> int:
    """Store the changes between ``previous`` (None for a new model) and ``current``; returns how many.

    Replaces whatever this scan recorded for this model before, so a re-delivered task does
    not record anything twice. ``current_verdicts`` (``{rule_id: verdict}`` of ``current``, when
    the caller has just written them) saves reading them back.
    """
    session.exec(sa.delete(ChangeRow).where(col(ChangeRow.scan_id) == scan_id, col(ChangeRow.model_id) == model_id))
    rows = change_rows(
        session,
        scan_id=scan_id,
        model_id=model_id,
        previous=previous,
        current=current,
        previous_sha=previous_sha,
        current_sha=current_sha,
        current_verdicts=current_verdicts,
    )
    if rows:
        session.exec(sa.insert(ChangeRow), params=rows)
    return len(rows)


def change_rows(
    session: Session,
    *,
    scan_id: int,
    model_id: str,
    previous: CheckRow | None,
    current: CheckRow,
    previous_sha: str | None,
    current_sha: str | None,
    current_verdicts: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The :class:`ChangeRow` values :func:`record_changes` stores, without touching the table
    (a scan's batch deletes and inserts the rows of many models at once)."""
    rows: list[dict[str, Any]] = []

    def add(kind: ChangeKind, cause: ChangeCause, detail: dict[str, Any] | None = None, **kw: Any) -> None:
        rows.append({
            "scan_id": scan_id, "model_id": model_id, "kind": kind.value, "cause": cause.value,
            "check_id": current.id, "previous_check_id": previous.id if previous else None,
            "rule_id": kw.get("rule_id"), "before": kw.get("before"), "after": kw.get("after"),
            "detail": detail, "created_at": current.finished_at or current.created_at,
        })  # fmt: skip

    now = dict(current_verdicts) if current_verdicts is not None else _verdicts(session, current.id)
    if previous is None:
        add(ChangeKind.NEW_MODEL, ChangeCause.MODEL, after=current_sha)
        for change in diff_verdicts({}, now):
            add(change.kind, ChangeCause.MODEL, rule_id=change.rule_id, before=change.before, after=change.after)
    else:
        flags = change_flags(
            session, previous=previous, current=current, previous_sha=previous_sha, current_sha=current_sha
        )
        if flags["sha_changed"] and current_sha is not None:
            add(ChangeKind.NEW_REVISION, ChangeCause.MODEL, before=previous_sha, after=current_sha)
        cause = cause_of(flags)
        detail = {k: v for k, v in flags.items() if v}
        for change in diff_verdicts(_verdicts(session, previous.id), now):
            add(change.kind, cause, detail, rule_id=change.rule_id, before=change.before, after=change.after)
    return rows


def _verdicts(session: Session, check_id: str) -> dict[str, str]:
    rows = session.exec(
        select(FindingRow.rule_id, FindingRow.verdict).where(col(FindingRow.check_id) == check_id)
    ).all()
    return {rule_id: verdict for rule_id, verdict in rows}


def _options(session: Session, check_id: str) -> dict[str, Any]:
    from compliance.services.checks import get_options

    options = get_options(session, check_id)
    options.pop("as_of", None)  # the date is the law's concern, counted under date_changed
    return options
