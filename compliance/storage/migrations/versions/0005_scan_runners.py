"""Scan runners with leases: ``scan_runners``, ``scan_items.runner_id``, ``scans.dispatched_at``.

A runner renews a short lease while it works; one whose lease ran out is known dead in seconds,
and only the models it held go back to the queue. The upgrade also settles rows that earlier
versions left behind: items and their checks still ``pending``, ``queued`` or ``running`` in a
scan that had already finished are failed, saying the scan ended before they were checked.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LEFT = "not checked: the scan ended before this model was"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "scan_runners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_requested", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_scan_runners_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_runners")),
        sa.UniqueConstraint("task_id", name=op.f("uq_scan_runners_task_id")),
    )
    op.create_index("ix_scan_runners_scan_id_state", "scan_runners", ["scan_id", "state"])
    op.add_column("scan_items", sa.Column("runner_id", sa.Integer(), nullable=True))
    op.add_column("scans", sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
    _settle_finished_scans()


def _settle_finished_scans() -> None:
    now = datetime.now(UTC)
    scans = sa.table("scans", sa.column("id"), sa.column("status"))
    items = sa.table(
        "scan_items", sa.column("scan_id"), sa.column("status"), sa.column("check_id"), sa.column("error"),
        sa.column("finished_at"),
    )  # fmt: skip
    checks = sa.table(
        "checks", sa.column("id"), sa.column("status"), sa.column("error"), sa.column("failure"),
        sa.column("exit_code"), sa.column("finished_at"),
    )  # fmt: skip
    finished = sa.select(scans.c.id).where(scans.c.status.in_(["done", "failed"]))
    left = sa.and_(items.c.scan_id.in_(finished), items.c.status.in_(["pending", "running"]))
    op.execute(
        checks.update()
        .where(
            checks.c.id.in_(sa.select(items.c.check_id).where(left, items.c.check_id.is_not(None))),
            checks.c.status.in_(["queued", "running"]),
        )
        .values(status="failed", error=_LEFT, failure="lost", exit_code=2, finished_at=now)
    )
    op.execute(items.update().where(left).values(status="failed", error=_LEFT, finished_at=now))


def downgrade() -> None:
    """Undo this revision (the settled rows stay failed)."""
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("dispatched_at")
    with op.batch_alter_table("scan_items") as batch:
        batch.drop_column("runner_id")
    op.drop_index("ix_scan_runners_scan_id_state", table_name="scan_runners")
    op.drop_table("scan_runners")
