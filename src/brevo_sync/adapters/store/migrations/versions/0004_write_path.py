"""The write path's tables: outbox, loyalty ledger, conflicts, orders, task types.

Revision ID: 0004_write_path
Revises: 0003_service_layer
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from brevo_sync.adapters.store.tables import UTCDateTime

revision = "0004_write_path"
down_revision = "0003_service_layer"
branch_labels = None
depends_on = None

Stamp = UTCDateTime()


def _big_id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def upgrade() -> None:
    op.create_table(
        "outbox",
        _big_id(),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("deal_id", sa.String(64)),
        sa.Column("deal_ref", sa.String(255)),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("base", sa.JSON),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", Stamp, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("sent_at", Stamp),
        sa.Column("done_at", Stamp),
        sa.Column("result_id", sa.String(64)),
        sa.Column("via", sa.String(8)),
        sa.Column("process_id", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_state_next_attempt_at", "outbox", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_deal_id_state", "outbox", ["deal_id", "state"])
    op.create_index("ix_outbox_deal_ref", "outbox", ["deal_ref"])
    op.create_table(
        "loyalty_ledger",
        sa.Column("deal_id", sa.String(64), nullable=False),
        sa.Column("milestone", sa.String(255), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("outbox_key", sa.String(255), nullable=False),
        sa.Column("transaction_id", sa.String(64)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("recorded_at", Stamp, nullable=False),
        sa.Column("completed_at", Stamp),
        sa.PrimaryKeyConstraint("deal_id", "milestone", name="pk_loyalty_ledger"),
    )
    op.create_table(
        "conflicts",
        _big_id(),
        sa.Column("deal_id", sa.String(64), nullable=False),
        sa.Column("field", sa.String(128), nullable=False),
        sa.Column("base", sa.JSON),
        sa.Column("ours", sa.JSON),
        sa.Column("theirs", sa.JSON),
        sa.Column("resolution", sa.String(16), nullable=False),
        sa.Column("outbox_key", sa.String(255), nullable=False),
        sa.Column("detected_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conflicts"),
    )
    op.create_index("ix_conflicts_deal_id", "conflicts", ["deal_id"])
    op.create_table(
        "orders",
        sa.Column("shop", sa.String(255), nullable=False),
        sa.Column("order_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("received_at", Stamp, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("deal_key", sa.String(255)),
        sa.Column("expires_at", Stamp),
        sa.Column("renewal_due_at", Stamp),
        sa.PrimaryKeyConstraint("shop", "order_id", name="pk_orders"),
    )
    op.create_table(
        "task_types",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("fetched_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_task_types"),
    )


def downgrade() -> None:
    op.drop_table("task_types")
    op.drop_table("orders")
    op.drop_index("ix_conflicts_deal_id", table_name="conflicts")
    op.drop_table("conflicts")
    op.drop_table("loyalty_ledger")
    for index in (
        "ix_outbox_deal_ref",
        "ix_outbox_deal_id_state",
        "ix_outbox_state_next_attempt_at",
    ):
        op.drop_index(index, table_name="outbox")
    op.drop_table("outbox")
