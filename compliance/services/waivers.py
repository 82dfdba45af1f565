"""Waivers kept in the database: created and revoked by reviewers, expired by a daily job.

A waiver holds through its ``expires`` day. :func:`expire_waivers` marks the ones past that
day as expired (and audits it), so lists and the dashboard show the state without date
arithmetic; a check does not depend on that job having run, because
:func:`compliance.rules.waivers.apply_waivers` compares the dates itself.

Checks use :func:`waivers_for_check`: the live waivers whose glob matches the model, plus those
that expired in the last :data:`EXPIRED_NOTE_DAYS` days, so the report notes "waiver ...
expired on ..." for a while instead of silently blocking again.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.errors import Conflict, UsageError
from compliance.rules.waivers import Waiver
from compliance.services import audit
from compliance.storage.tables import WaiverRow, utcnow

EXPIRED_NOTE_DAYS = 90
WAIVER_SOURCE = "waivers table"
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)*$")

WaiverState = Literal["active", "expired", "revoked", "all"]


def create_waiver(
    session: Session,
    *,
    rule_id: str,
    model_pattern: str,
    reason: str,
    owner: str,
    expires: date,
    approved_by: str,
    actor: str,
    today: date,
) -> WaiverRow:
    """Record a waiver (audited). ``model_pattern`` is a glob over model ids, case-insensitive."""
    if not _RULE_ID.match(rule_id or ""):
        raise UsageError(f"{rule_id!r} is not a rule id")
    pattern = (model_pattern or "").strip()
    if not pattern or len(pattern) > 200 or any(c.isspace() for c in pattern):
        raise UsageError("model pattern must be a glob like 'acme/*' without spaces, at most 200 characters")
    for name, value in (("reason", reason), ("owner", owner), ("approved_by", approved_by)):
        if not value or not value.strip():
            raise UsageError(f"a waiver needs a non-blank {name}")
    if expires < today:
        raise UsageError(f"expiry {expires.isoformat()} is in the past")
    row = WaiverRow(
        rule_id=rule_id,
        model_pattern=pattern,
        reason=reason.strip(),
        owner=owner.strip(),
        expires=expires,
        approved_by=approved_by.strip(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="waiver.create",
        object_type="waiver",
        object_id=_id(row),
        detail={
            "rule_id": rule_id,
            "model_pattern": pattern,
            "reason": row.reason,
            "owner": row.owner,
            "expires": expires.isoformat(),
            "approved_by": row.approved_by,
        },
    )
    return row


def revoke_waiver(session: Session, waiver_id: int, *, actor: str, reason: str | None = None) -> WaiverRow:
    """End a waiver now (audited). Revoking twice is an error."""
    row = session.get(WaiverRow, waiver_id)
    if row is None:
        raise UsageError(f"no waiver {waiver_id}")
    if row.revoked_at is not None:
        raise Conflict(f"waiver {waiver_id} is already revoked")
    row.revoked_at = utcnow()
    row.revoked_by = actor
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="waiver.revoke",
        object_type="waiver",
        object_id=waiver_id,
        detail={"reason": reason},
    )
    return row


def get_waiver(session: Session, waiver_id: int) -> WaiverRow | None:
    """One waiver by id."""
    return session.get(WaiverRow, waiver_id)


def list_waivers(
    session: Session, *, today: date, state: WaiverState = "active", rule_id: str | None = None
) -> list[WaiverRow]:
    """Waivers in ``state`` (``active`` means not revoked and not past its day), newest first."""
    query = select(WaiverRow)
    if rule_id is not None:
        query = query.where(col(WaiverRow.rule_id) == rule_id)
    if state == "active":
        query = query.where(col(WaiverRow.revoked_at).is_(None), col(WaiverRow.expires) >= today)
    elif state == "expired":
        query = query.where(col(WaiverRow.revoked_at).is_(None), col(WaiverRow.expires) < today)
    elif state == "revoked":
        query = query.where(col(WaiverRow.revoked_at).is_not(None))
    elif state != "all":
        raise UsageError(f"unknown waiver state {state!r}")
    return list(session.exec(query.order_by(col(WaiverRow.id).desc())).all())


def active_for(session: Session, model_id: str, *, today: date) -> list[WaiverRow]:
    """The live waivers whose pattern matches ``model_id``."""
    return [w for w in list_waivers(session, today=today, state="active") if _matches(w, model_id)]


def waivers_for_check(session: Session, model_id: str, *, today: date) -> list[Waiver]:
    """The waivers a check of ``model_id`` should apply, as rule-engine waivers (see module doc)."""
    return waivers_for_checks(session, [model_id], today=today)[model_id]


def waivers_for_checks(session: Session, model_ids: Iterable[str], *, today: date) -> dict[str, list[Waiver]]:
    """:func:`waivers_for_check` for several models, with one query."""
    since = today - timedelta(days=EXPIRED_NOTE_DAYS)
    rows = session.exec(
        select(WaiverRow)
        .where(col(WaiverRow.revoked_at).is_(None), col(WaiverRow.expires) >= since)
        .order_by(col(WaiverRow.id))
    ).all()
    return {model_id: to_rule_waivers(r for r in rows if _matches(r, model_id)) for model_id in model_ids}


def to_rule_waivers(rows: Iterable[WaiverRow]) -> list[Waiver]:
    """Database waivers as :class:`compliance.rules.waivers.Waiver` (the entry index is the row id)."""
    return [Waiver(r.rule_id, r.model_pattern, r.reason, r.owner, r.expires, WAIVER_SOURCE, _id(r)) for r in rows]


def expire_waivers(session: Session, *, today: date, actor: str = audit.SYSTEM_ACTOR) -> int:
    """Mark waivers past their day as expired, auditing each; returns how many."""
    rows = session.exec(
        select(WaiverRow).where(
            col(WaiverRow.expires) < today,
            col(WaiverRow.expired_at).is_(None),
            col(WaiverRow.revoked_at).is_(None),
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.expired_at = now
        session.add(row)
        audit.record(
            session,
            actor=actor,
            action="waiver.expire",
            object_type="waiver",
            object_id=_id(row),
            detail={"expires": row.expires.isoformat(), "rule_id": row.rule_id, "model_pattern": row.model_pattern},
        )
    return len(rows)


def count_active(session: Session, *, today: date) -> int:
    """How many waivers are live today."""
    query = (
        select(sa.func.count())
        .select_from(WaiverRow)
        .where(col(WaiverRow.revoked_at).is_(None), col(WaiverRow.expires) >= today)
    )
    return int(session.exec(query).one())


def _matches(row: WaiverRow, model_id: str) -> bool:
    return fnmatch.fnmatchcase(model_id.casefold(), row.model_pattern.casefold())


def _id(row: WaiverRow) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id
