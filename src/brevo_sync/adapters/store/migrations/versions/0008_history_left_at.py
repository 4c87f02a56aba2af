"""Stage history rows say when the deal left the stage (`left_at`), and the indexes analytics
reads the whole mirror by.

`left_at` is the changed_at of the deal's next row by (changed_at, id), NULL on its last;
the history writer keeps it (bulk.close_stays). Existing rows are filled here by one UPDATE
over a window, on SQLite (3.33 or later: UPDATE ... FROM) and PostgreSQL alike. Indexes
(tables.py says what each is for): the deal and (pipeline, stage) indexes are replaced by
covering ones with the same leading columns; the stays and tombstone indexes are new.

Revision ID: 0008_history_left_at
Revises: 0007_daemon
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from brevo_sync.adapters.store.tables import UTCDateTime

revision = "0008_history_left_at"
down_revision = "0007_daemon"
branch_labels = None
depends_on = None

Stamp = UTCDateTime()

BACKFILL = """
UPDATE stage_history SET left_at = following.next_at
FROM (
    SELECT id, lead(changed_at) OVER (PARTITION BY deal_id ORDER BY changed_at, id) AS next_at
    FROM stage_history
) AS following
WHERE stage_history.id = following.id AND following.next_at IS NOT NULL
"""
CLOSED = "left_at IS NOT NULL"
TOMBSTONE = "deleted_at IS NOT NULL"
DEAL_COLUMNS = ["deal_id", "changed_at", "left_at", "pipeline_id", "to_stage_id", "from_stage_id"]
STAGE_COLUMNS = [
    "pipeline_id", "stage_id", "owner", "currency", "deleted_at", "amount", "created_at",
    "stage_updated_at",
]  # fmt: skip


def upgrade() -> None:
    op.add_column("stage_history", sa.Column("left_at", Stamp))
    # The fill walks each deal's rows by the old index, then the new ones are built once,
    # sorted, instead of being updated row by row.
    op.execute(BACKFILL)
    op.drop_index("ix_stage_history_deal_id_changed_at", table_name="stage_history")
    op.create_index("ix_stage_history_deal", "stage_history", DEAL_COLUMNS)
    op.create_index(
        "ix_stage_history_stays",
        "stage_history",
        ["pipeline_id", "to_stage_id", "deal_id", "changed_at", "left_at"],
        sqlite_where=sa.text(CLOSED),
        postgresql_where=sa.text(CLOSED),
    )
    # A first pull drops the deal indexes until it completes (deal_store.defer_indexes).
    op.drop_index("ix_deals_pipeline_id_stage_id", table_name="deals", if_exists=True)
    op.create_index("ix_deals_by_stage", "deals", STAGE_COLUMNS)
    op.create_index(
        "ix_deals_tombstones",
        "deals",
        ["id", "deleted_at"],
        sqlite_where=sa.text(TOMBSTONE),
        postgresql_where=sa.text(TOMBSTONE),
    )


def downgrade() -> None:
    op.drop_index("ix_deals_tombstones", table_name="deals")
    op.drop_index("ix_deals_by_stage", table_name="deals")
    op.create_index("ix_deals_pipeline_id_stage_id", "deals", ["pipeline_id", "stage_id"])
    op.drop_index("ix_stage_history_stays", table_name="stage_history")
    op.drop_index("ix_stage_history_deal", table_name="stage_history")
    op.create_index(
        "ix_stage_history_deal_id_changed_at", "stage_history", ["deal_id", "changed_at"]
    )
    with op.batch_alter_table("stage_history") as batch:
        batch.drop_column("left_at")
