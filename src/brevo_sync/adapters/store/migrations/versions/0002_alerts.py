"""Alerts raised by the time-rules sweep, and the covering indexes the sweep reads deals by.

Revision ID: 0002_alerts
Revises: 0001_mirror
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from brevo_sync.adapters.store.tables import UTCDateTime

revision = "0002_alerts"
down_revision = "0001_mirror"
branch_labels = None
depends_on = None

Stamp = UTCDateTime()
LIVE = "deleted_at IS NULL"

# (name, columns): the anchor expressions must read exactly as the sweep's statements
# (adapters/store/sweep_sql.py), or the databases will not match them.
SWEEP_INDEXES = (
    (
        "ix_deals_sweep_stage_entry",
        (
            "stage_id",
            "coalesce(stage_updated_at, created_at)",
            "id",
            "stage_updated_at",
            "created_at",
            "deleted_at",
        ),
    ),
    (
        "ix_deals_sweep_activity",
        (
            "stage_id",
            "coalesce(last_activity_at, updated_at, created_at)",
            "id",
            "last_activity_at",
            "updated_at",
            "created_at",
            "deleted_at",
        ),
    ),
    (
        "ix_deals_sweep_update",
        (
            "stage_id",
            "coalesce(updated_at, created_at)",
            "amount",
            "currency",
            "id",
            "updated_at",
            "created_at",
            "deleted_at",
        ),
    ),
)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("deal_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("anchor_at", Stamp, nullable=False),
        sa.Column("due_at", Stamp, nullable=False),
        sa.Column("raised_at", Stamp, nullable=False),
        sa.Column("acknowledged_at", Stamp),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint(
            "anchor_at", "deal_id", "rule", name="uq_alerts_anchor_at_deal_id_rule"
        ),
    )
    for name, columns in SWEEP_INDEXES:
        op.create_index(
            name,
            "deals",
            [sa.text(c) for c in columns],
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )


def downgrade() -> None:
    for name, _ in reversed(SWEEP_INDEXES):
        op.drop_index(name, table_name="deals")
    op.drop_table("alerts")
