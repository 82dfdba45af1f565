"""Why a check failed, for machines: ``checks.failure``.

The kind of the error that stopped a check (:attr:`compliance.errors.ComplianceError.kind`):
``not_found``, ``private``, ``gated``, ``unreachable``, ``input``, ``service`` or ``internal``.
The dashboard and the API show each as its own state rather than one "failed". Checks that
failed before this revision have none.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("checks", sa.Column("failure", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    # Batch mode: SQLite rebuilds the table where it cannot drop the column in place.
    with op.batch_alter_table("checks") as batch:
        batch.drop_column("failure")
