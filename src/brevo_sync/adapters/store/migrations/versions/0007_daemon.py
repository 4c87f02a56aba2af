"""The daemon: shared job slots and their run log; outbox rows claimed by one push at a time.

Revision ID: 0007_daemon
Revises: 0006_http
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from brevo_sync.adapters.store.tables import UTCDateTime

revision = "0007_daemon"
down_revision = "0006_http"
branch_labels = None
depends_on = None

Stamp = UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "job_slots",
        sa.Column("job", sa.String(32), nullable=False),
        sa.Column("next_due_at", Stamp),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claim_expires_at", Stamp),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("last_started_at", Stamp),
        sa.Column("last_finished_at", Stamp),
        sa.Column("last_outcome", sa.String(16)),
        sa.Column("last_detail", sa.Text),
        sa.Column("interval_seconds", sa.Float),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("job", name="pk_job_slots"),
    )
    op.create_table(
        "job_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("job", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("replica", sa.String(64), nullable=False),
        sa.Column("started_at", Stamp, nullable=False),
        sa.Column("finished_at", Stamp),
        sa.Column("outcome", sa.String(16)),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_job_runs"),
        sa.UniqueConstraint("job", "seq", name="uq_job_runs_job_seq"),
    )
    op.create_index("ix_job_runs_started_at", "job_runs", ["started_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64)))
        batch.add_column(sa.Column("claimed_until", Stamp))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
    op.drop_index("ix_job_runs_started_at", table_name="job_runs")
    op.drop_table("job_runs")
    op.drop_table("job_slots")
