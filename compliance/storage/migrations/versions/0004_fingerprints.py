"""Structural fingerprints of the models the service inspects: ``fingerprints``.

One row per model and revision (architecture, config hyper-parameters, tensor layout and the
weight files' LFS sha256), so that a check compares its model with every model the service has
seen, whichever process saw it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_ref", sa.String(length=200), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=False),
        sa.Column("architecture", sa.String(length=200), nullable=True),
        sa.Column("model_type", sa.String(length=100), nullable=True),
        sa.Column("layout", sa.String(length=32), nullable=True),
        sa.Column("dims", sa.JSON(), nullable=True),
        sa.Column("parameters", sa.BigInteger(), nullable=True),
        sa.Column("shapes", sa.String(length=32), nullable=True),
        sa.Column("names", sa.String(length=32), nullable=True),
        sa.Column("tensors", sa.JSON(), nullable=True),
        sa.Column("weights", sa.JSON(), nullable=True),
        sa.Column("bases", sa.JSON(), nullable=True),
        sa.Column("created", sa.String(length=32), nullable=True),
        sa.Column("gated", sa.Boolean(), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=True),
        sa.Column("viewer", sa.String(length=32), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fingerprints")),
        sa.UniqueConstraint("model_ref", "revision", name=op.f("uq_fingerprints_model_ref_revision")),
    )
    op.create_index("ix_fingerprints_layout_id", "fingerprints", ["layout", "id"])
    op.create_index("ix_fingerprints_parameters_id", "fingerprints", ["parameters", "id"])
    op.create_index("ix_fingerprints_names_id", "fingerprints", ["names", "id"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_fingerprints_names_id", table_name="fingerprints")
    op.drop_index("ix_fingerprints_parameters_id", table_name="fingerprints")
    op.drop_index("ix_fingerprints_layout_id", table_name="fingerprints")
    op.drop_table("fingerprints")
