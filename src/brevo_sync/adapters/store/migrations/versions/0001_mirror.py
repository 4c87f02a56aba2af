"""The mirror: pipelines, stages, deal attributes, deals, stage history, sync state,
quarantine and runs.

Revision ID: 0001_mirror
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from brevo_sync.adapters.store.tables import UTCDateTime

revision = "0001_mirror"
down_revision = None
branch_labels = None
depends_on = None

Stamp = UTCDateTime()
Money = sa.Numeric(18, 2, asdecimal=False)


def upgrade() -> None:
    op.create_table(
        "pipelines",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("fetched_at", Stamp, nullable=False),
    )
    op.create_table(
        "stages",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "pipeline_id",
            sa.String(64),
            sa.ForeignKey("pipelines.id", name="fk_stages_pipeline_id_pipelines"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "deal_attributes",
        sa.Column("internal_name", sa.String(128), primary_key=True),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("is_required", sa.Boolean, nullable=False),
        sa.Column("is_readonly", sa.Boolean, nullable=False),
        sa.Column("fetched_at", Stamp, nullable=False),
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(512)),
        sa.Column("pipeline_id", sa.String(64)),
        sa.Column("stage_id", sa.String(64)),
        sa.Column("owner", sa.String(255)),
        sa.Column("amount", Money),
        sa.Column("currency", sa.String(8)),
        sa.Column("close_date", sa.Date),
        sa.Column("created_at", Stamp),
        sa.Column("updated_at", Stamp),
        sa.Column("stage_updated_at", Stamp),
        sa.Column("last_activity_at", Stamp),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("contact_ids", sa.JSON, nullable=False),
        sa.Column("company_ids", sa.JSON, nullable=False),
        sa.Column("pulled_at", Stamp, nullable=False),
        sa.Column("deleted_at", Stamp),
    )
    op.create_index("ix_deals_pipeline_id_stage_id", "deals", ["pipeline_id", "stage_id"])
    op.create_table(
        "stage_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deal_id", sa.String(64), nullable=False),
        sa.Column("pipeline_id", sa.String(64)),
        sa.Column("from_stage_id", sa.String(64)),
        sa.Column("to_stage_id", sa.String(64)),
        sa.Column("changed_at", Stamp, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(255)),
        sa.Column("recorded_at", Stamp, nullable=False),
    )
    op.create_index(
        "ix_stage_history_deal_id_changed_at", "stage_history", ["deal_id", "changed_at"]
    )
    op.create_table(
        "sync_state",
        sa.Column("resource", sa.String(32), primary_key=True),
        sa.Column("cursor", Stamp),
        sa.Column("run_since", Stamp),
        sa.Column("run_offset", sa.Integer),
        sa.Column("run_full", sa.Boolean),
        sa.Column("run_max_seen", Stamp),
        sa.Column("run_server_start", Stamp),
        sa.Column("run_started_at", Stamp),
        sa.Column("last_success_at", Stamp),
        sa.Column("last_full_at", Stamp),
        sa.Column("catalog_fetched_at", Stamp),
        sa.Column("budget_limit", sa.Integer),
        sa.Column("budget_remaining", sa.Integer),
        sa.Column("budget_reset_at", Stamp),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(64)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("seen_at", Stamp, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("command", sa.String(32), nullable=False),
        sa.Column("started_at", Stamp, nullable=False),
        sa.Column("finished_at", Stamp),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("requests", sa.JSON, nullable=False),
        sa.Column("requests_total", sa.Integer, nullable=False),
        sa.Column("deals_written", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text),
    )


def downgrade() -> None:
    for table in (
        "runs",
        "quarantine",
        "sync_state",
        "stage_history",
        "deals",
        "deal_attributes",
        "stages",
        "pipelines",
    ):
        op.drop_table(table)
