"""The reconcile walk: its position (reconcile_state) and the ids it accounted for
(reconcile_seen).

Revision ID: 0005_reconcile
Revises: 0004_write_path
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from brevo_sync.adapters.store.tables import UTCDateTime

revision = "0005_reconcile"
down_revision = "0004_write_path"
branch_labels = None
depends_on = None

Stamp = UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "reconcile_state",
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("walk_started_at", Stamp),
        sa.Column("walk_offset", sa.Integer),
        sa.Column("walk_pages", sa.Integer),
        sa.Column("walk_deals", sa.Integer),
        sa.Column("walk_phase", sa.String(16)),
        sa.Column("walk_runs", sa.Integer),
        sa.Column("walk_missing", sa.Integer),
        sa.Column("walk_drifted", sa.Integer),
        sa.Column("walk_gone", sa.Integer),
        sa.Column("walk_repaired", sa.Integer),
        sa.Column("walk_tombstoned", sa.Integer),
        sa.Column("last_completed_at", Stamp),
        sa.Column("last_total", sa.Integer),
        sa.Column("walks_completed", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("resource", name="pk_reconcile_state"),
    )
    op.create_table(
        "reconcile_seen",
        sa.Column("deal_id", sa.String(64), nullable=False),
        sa.Column("gone", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("deal_id", name="pk_reconcile_seen"),
    )


def downgrade() -> None:
    op.drop_table("reconcile_seen")
    op.drop_table("reconcile_state")
