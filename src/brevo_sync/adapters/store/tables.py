"""The mirror's tables, in SQLAlchemy Core.

Core rather than ORM classes: the pull path writes pages of rows with one set-based upsert,
and the rules sweep works in SQL over the whole table; neither wants identity-mapped objects.
Every schema change also needs an Alembic revision in `migrations/versions/`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database.

    SQLite has no time zones: SQLAlchemy would store an aware value's wall clock and hand back
    a naive one. We store naive UTC (ISO text that sorts right, so SQL range filters work)
    and attach UTC on the way out. PostgreSQL gets `timestamptz` and behaves the same.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime given to the mirror: {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


Stamp = UTCDateTime()
Money = sa.Numeric(18, 2, asdecimal=False)

pipelines = sa.Table(
    "pipelines",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("fetched_at", Stamp, nullable=False),
)

stages = sa.Table(
    "stages",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("pipeline_id", sa.String(64), sa.ForeignKey("pipelines.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
)

deal_attributes = sa.Table(
    "deal_attributes",
    metadata,
    sa.Column("internal_name", sa.String(128), primary_key=True),
    sa.Column("label", sa.String(255), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("is_required", sa.Boolean, nullable=False),
    sa.Column("is_readonly", sa.Boolean, nullable=False),
    sa.Column("fetched_at", Stamp, nullable=False),
)

deals = sa.Table(
    "deals",
    metadata,
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
    # A tombstone: Brevo no longer has the deal. Rows are never silently removed.
    sa.Column("deleted_at", Stamp),
    # Few indexes on purpose: every page a pull writes updates each of them, and at 100
    # deals a page an index costs about a millisecond of a ~10 ms page. `deals list` filters
    # on owner or dates scan instead (a fraction of a second at 200,000 deals); the rules
    # sweep's indexes are defined with it (alerts.py).
    sa.Index(None, "pipeline_id", "stage_id"),
)

stage_history = sa.Table(
    "stage_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("deal_id", sa.String(64), nullable=False),
    sa.Column("pipeline_id", sa.String(64)),
    sa.Column("from_stage_id", sa.String(64)),
    sa.Column("to_stage_id", sa.String(64)),
    # When the stage changed: Brevo's stage_updated_at when it has one, else when we saw it.
    sa.Column("changed_at", Stamp, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),  # "pull", "local", ...
    sa.Column("owner", sa.String(255)),
    sa.Column("recorded_at", Stamp, nullable=False),
    sa.Index(None, "deal_id", "changed_at"),
)

# One row per synced resource ("deals"). The cursor and an unfinished run's position live
# here and are written in the same transaction as the rows they cover.
sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("resource", sa.String(32), primary_key=True),
    sa.Column("cursor", Stamp),  # next incremental read starts at cursor - overlap
    sa.Column("run_since", Stamp),  # an unfinished run: its modifiedSince ...
    sa.Column("run_offset", sa.Integer),  # ... how far it got ...
    sa.Column("run_full", sa.Boolean),  # ... whether it is a full read ...
    sa.Column("run_max_seen", Stamp),  # ... the newest last_updated_date it saw ...
    sa.Column("run_server_start", Stamp),  # ... and the server clock when it began
    sa.Column("run_started_at", Stamp),
    sa.Column("last_success_at", Stamp),
    sa.Column("last_full_at", Stamp),
    sa.Column("catalog_fetched_at", Stamp),
    sa.Column("budget_limit", sa.Integer),
    sa.Column("budget_remaining", sa.Integer),
    sa.Column("budget_reset_at", Stamp),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("resource", sa.String(32), nullable=False),
    sa.Column("record_id", sa.String(64)),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw", sa.JSON, nullable=False),
    sa.Column("seen_at", Stamp, nullable=False),
)

# One row per command that spent Brevo requests: what `status` reports as spent.
runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("command", sa.String(32), nullable=False),
    sa.Column("started_at", Stamp, nullable=False),
    sa.Column("finished_at", Stamp),
    sa.Column("outcome", sa.String(16), nullable=False),  # running, ok, failed
    sa.Column("requests", sa.JSON, nullable=False),  # {"GET /crm/deals": 3, ...}
    sa.Column("requests_total", sa.Integer, nullable=False, default=0),
    sa.Column("deals_written", sa.Integer, nullable=False, default=0),
    sa.Column("detail", sa.Text),
)
