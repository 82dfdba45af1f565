"""How much work waits: queued, not yet started checks and scans, counted in the database.

The count comes from the service's own tables, not from the broker, so it means the same on
every broker (kombu's SQLAlchemy transport, Redis, RabbitMQ): a check is waiting while its
status is ``queued`` (a worker sets ``running`` when it starts it), a scan likewise. Both
status columns are indexed, so the count stays cheap with many finished rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.storage.tables import CheckRow, CheckStatus, ScanRow, ScanStatus


def queued_checks(session: Session, queue: str) -> int:
    """Checks stored on ``queue`` (``ci``, ``interactive``) that no worker has started yet."""
    query = (
        select(sa.func.count())
        .select_from(CheckRow)
        .where(col(CheckRow.status) == CheckStatus.QUEUED, col(CheckRow.queue) == queue)
    )
    return int(session.exec(query).one())


def queued_scans(session: Session) -> int:
    """Scans and re-evaluations that no worker has started yet."""
    query = select(sa.func.count()).select_from(ScanRow).where(col(ScanRow.status) == ScanStatus.QUEUED)
    return int(session.exec(query).one())
