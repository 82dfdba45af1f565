"""The append-only audit log of changes people make (and the system, as actor ``system``).

Call :func:`record` in the same session and transaction as the change itself. There is no
function to edit or delete an event, and the database refuses it too (see the migration).

Actions are ``<object type>.<verb>``: ``waiver.create``, ``waiver.revoke``, ``waiver.expire``,
``token.create``, ``token.revoke``, ``user.create``, ``user.role``, ``user.password``,
``user.disable``, ``user.enable``, ``target.create``, ``target.update``, ``target.delete``,
``schedule.create``, ``schedule.update``, ``schedule.delete``, ``scan.start``,
``rules.change`` (a re-evaluation found new rule sets).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.errors import UsageError
from compliance.services.paging import Page, page_bounds
from compliance.storage.tables import AuditEventRow, utcnow

SYSTEM_ACTOR = "system"


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    detail: dict[str, Any] | None = None,
) -> AuditEventRow:
    """Add one event to the log (committed with the caller's transaction)."""
    if not actor or not actor.strip():
        raise UsageError("an audited change needs an actor")
    event = AuditEventRow(
        at=utcnow(),
        actor=actor.strip(),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail,
    )
    session.add(event)
    return event


def list_events(
    session: Session,
    *,
    object_type: str | None = None,
    object_id: str | int | None = None,
    actor: str | None = None,
    action: str | None = None,
    page: int = 1,
    per_page: int = 100,
) -> Page[AuditEventRow]:
    """Events, newest first, optionally narrowed to one object, actor or action."""
    offset, limit = page_bounds(page, per_page)
    conditions = []
    if object_type is not None:
        conditions.append(col(AuditEventRow.object_type) == object_type)
    if object_id is not None:
        conditions.append(col(AuditEventRow.object_id) == str(object_id))
    if actor is not None:
        conditions.append(col(AuditEventRow.actor) == actor)
    if action is not None:
        conditions.append(col(AuditEventRow.action) == action)
    total = session.exec(select(sa.func.count()).select_from(AuditEventRow).where(*conditions)).one()
    rows = session.exec(
        select(AuditEventRow).where(*conditions).order_by(col(AuditEventRow.id).desc()).offset(offset).limit(limit)
    ).all()
    return Page(list(rows), int(total), page, per_page)
