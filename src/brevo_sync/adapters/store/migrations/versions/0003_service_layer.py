"""The service layer's tables: people, rule events; stage ids unique per pipeline only;
what the account showed about page sizes and its budget; the process of a run.

Revision ID: 0003_service_layer
Revises: 0002_alerts
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from brevo_sync.adapters.store.tables import UTCDateTime

revision = "0003_service_layer"
down_revision = "0002_alerts"
branch_labels = None
depends_on = None

Stamp = UTCDateTime()


def _stages_key(columns: list[str]) -> None:
    """Re-key `stages`: PostgreSQL swaps the constraint; SQLite rebuilds the table from the
    new definition (given whole, so the rebuild does not start from the old key)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        name = sa.inspect(bind).get_pk_constraint("stages").get("name") or "pk_stages"
        op.drop_constraint(name, "stages", type_="primary")
        op.create_primary_key("pk_stages", "stages", columns)
        return
    table = sa.Table(
        "stages",
        sa.MetaData(),
        sa.Column(
            "pipeline_id",
            sa.String(64),
            sa.ForeignKey("pipelines.id", name="fk_stages_pipeline_id_pipelines"),
            nullable=False,
        ),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint(*columns, name="pk_stages"),
    )
    with op.batch_alter_table("stages", copy_from=table, recreate="always"):
        pass


def upgrade() -> None:
    _stages_key(["pipeline_id", "id"])
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(sa.Column("budget_source", sa.String(8)))
        batch.add_column(sa.Column("page_floor", sa.Integer))
        batch.add_column(sa.Column("page_ceiling", sa.Integer))
        batch.add_column(sa.Column("page_ceiling_reason", sa.String(16)))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("pid", sa.Integer))
    op.create_table(
        "people",
        sa.Column("email", sa.String(255), primary_key=True),
        sa.Column("user_id", sa.String(64)),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("learned_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("email", name="pk_people"),
    )
    op.create_index("ix_people_user_id", "people", ["user_id"])
    op.create_table(
        "rule_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("deal_id", sa.String(64)),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rule_events"),
        sa.UniqueConstraint("key", name="uq_rule_events_key"),
    )
    op.create_index("ix_rule_events_state_id", "rule_events", ["state", "id"])


def downgrade() -> None:
    op.drop_index("ix_rule_events_state_id", table_name="rule_events")
    op.drop_table("rule_events")
    op.drop_index("ix_people_user_id", table_name="people")
    op.drop_table("people")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("pid")
    with op.batch_alter_table("sync_state") as batch:
        for column in ("page_ceiling_reason", "page_ceiling", "page_floor", "budget_source"):
            batch.drop_column(column)
    _stages_key(["id"])
