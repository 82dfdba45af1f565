"""Revocable dashboard sessions: ``users.session_generation``.

Each dashboard session carries the generation its account had at log-in; moving the number on
(log-out, new password, new role, account disabled) ends every session of that account. The
column starts at 0 for existing accounts; sessions issued before this revision carry no
generation and are refused, so everyone logs in once more after the upgrade.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("users", sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Undo this revision."""
    # Batch mode: SQLite rebuilds the table where it cannot drop the column in place.
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_generation")
