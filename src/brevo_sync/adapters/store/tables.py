"""Every table and index of the mirror, in SQLAlchemy Core, on one MetaData.

Core rather than ORM classes: the pull path writes pages of rows with one set-based upsert,
and the rules sweep works in SQL over the whole table; neither wants identity-mapped objects.
Every schema change also needs an Alembic revision in `migrations/versions/`; the migration
test holds the two to the same schema on SQLite and PostgreSQL.
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


def big_id() -> sa.Column[int]:
    """A generated key for tables that grow by the hundred thousand (alerts, rule events):
    BIGINT on PostgreSQL; on SQLite only a plain INTEGER primary key is the cheap rowid."""
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


Money = sa.Numeric(18, 2, asdecimal=False)

pipelines = sa.Table(
    "pipelines",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("fetched_at", Stamp, nullable=False),
)

# Keyed by (pipeline, stage): Brevo stage ids are unique in practice, but nothing documents
# it, and a catalogue that repeats one across pipelines must still be stored.
stages = sa.Table(
    "stages",
    metadata,
    sa.Column("pipeline_id", sa.String(64), sa.ForeignKey("pipelines.id"), primary_key=True),
    sa.Column("id", sa.String(64), primary_key=True),
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
    # By stage, then owner and currency, carrying what the reports sum: a search by
    # (pipeline, stage) as before, and analytics' per-stage groups stream off it in order
    # instead of sorting a million rows on SQLite (analytics_sql.deal_groups). Its width
    # costs SQLite ~0.5 ms a 100-deal page over the (pipeline, stage) index it replaced.
    sa.Index(
        "ix_deals_by_stage",
        "pipeline_id",
        "stage_id",
        "owner",
        "currency",
        "deleted_at",
        "amount",
        "created_at",
        "stage_updated_at",
    ),
)
# Tombstones only (a few rows): what analytics leaves out of the whole mirror.
sa.Index(
    "ix_deals_tombstones",
    deals.c.id,
    deals.c.deleted_at,
    sqlite_where=deals.c.deleted_at.is_not(None),
    postgresql_where=deals.c.deleted_at.is_not(None),
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
    # When the deal left this stage: the changed_at of its next row (by changed_at, id),
    # written with that row (bulk.insert_stage_moves); NULL on a deal's last row. Analytics
    # reads stays and "where was it on day X" from it, without a window over the history.
    sa.Column("left_at", Stamp),
    # A deal's rows in order, carrying what analytics reads of them (its stays, the row at
    # a given time, the last row), so those searches never visit the table.
    sa.Index(
        "ix_stage_history_deal",
        "deal_id",
        "changed_at",
        "left_at",
        "pipeline_id",
        "to_stage_id",
        "from_stage_id",
    ),
)
# Completed stays by stage, in stage order: the whole mirror's time in stage is one walk of
# this index (analytics_history.stage_stays). Partial, and it carries left_at for SQLite (see
# _sweep_index).
sa.Index(
    "ix_stage_history_stays",
    stage_history.c.pipeline_id,
    stage_history.c.to_stage_id,
    stage_history.c.deal_id,
    stage_history.c.changed_at,
    stage_history.c.left_at,
    sqlite_where=stage_history.c.left_at.is_not(None),
    postgresql_where=stage_history.c.left_at.is_not(None),
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
    sa.Column("budget_source", sa.String(8)),  # "brevo" (headers) or "local" (our ceiling)
    # What the account showed about page sizes (domain.sync.PageSizeFacts).
    sa.Column("page_floor", sa.Integer),  # the most deals one page ever held
    sa.Column("page_ceiling", sa.Integer),  # the most it gives or accepts, once learned
    sa.Column("page_ceiling_reason", sa.String(16)),  # "clamped" or "refused"
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
    sa.Column("outcome", sa.String(16), nullable=False),  # running, ok, failed, interrupted
    sa.Column("pid", sa.Integer),  # the process, for "another run holds the mirror"
    sa.Column("requests", sa.JSON, nullable=False),  # {"GET /crm/deals": 3, ...}
    sa.Column("requests_total", sa.Integer, nullable=False, default=0),
    sa.Column("deals_written", sa.Integer, nullable=False, default=0),
    sa.Column("detail", sa.Text),
)

# The reconcile walk (domain/reconcile.py): one row per resource ("deals"), written with every
# page it reads, so a run resumes the walk where the last one stopped.
reconcile_state = sa.Table(
    "reconcile_state",
    metadata,
    sa.Column("resource", sa.String(32), primary_key=True),
    sa.Column("walk_started_at", Stamp),  # NULL: no walk in progress
    sa.Column("walk_offset", sa.Integer),
    sa.Column("walk_pages", sa.Integer),
    sa.Column("walk_deals", sa.Integer),
    sa.Column("walk_phase", sa.String(16)),  # "walk", then "confirm" (suspects asked for)
    sa.Column("walk_runs", sa.Integer),
    sa.Column("walk_missing", sa.Integer),
    sa.Column("walk_drifted", sa.Integer),
    sa.Column("walk_gone", sa.Integer),
    sa.Column("walk_repaired", sa.Integer),
    sa.Column("walk_tombstoned", sa.Integer),
    sa.Column("last_completed_at", Stamp),
    sa.Column("last_total", sa.Integer),
    sa.Column("walks_completed", sa.Integer, nullable=False, default=0),
)

# The ids the current walk accounted for: seen in Brevo, or confirmed gone (`gone`) by a run
# that does not repair. "Gone" is decided only against a complete walk's set.
reconcile_seen = sa.Table(
    "reconcile_seen",
    metadata,
    sa.Column("deal_id", sa.String(64), primary_key=True),
    sa.Column("gone", sa.Boolean, nullable=False, default=False),
)

# People as the rules and operators name them (e-mail) and as Brevo stores them on deals
# (`deal_owner`, a user id). Learned from Brevo (one filtered list request per e-mail) or
# taken from the rules file; `user_id` is NULL when Brevo had no deal of that person.
people = sa.Table(
    "people",
    metadata,
    sa.Column("email", sa.String(255), primary_key=True),  # lower case
    sa.Column("user_id", sa.String(64)),
    sa.Column("source", sa.String(16), nullable=False),  # "rules" or "brevo"
    sa.Column("learned_at", Stamp, nullable=False),
    sa.Index(None, "user_id"),
)

# What the rules decided and nothing has carried out yet: the domain events of a move seen by
# a pull (tasks, notes, loyalty points, probability and close date to write back, ...). The
# key is the event's own (a pure function of deal, stage, time of the move, action), so the
# same decision is recorded once however often it is made. The write path sends them.
rule_events = sa.Table(
    "rule_events",
    metadata,
    big_id(),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("deal_id", sa.String(64)),
    sa.Column("kind", sa.String(64), nullable=False),  # the event class, e.g. TaskRequested
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),  # "pull" (seen in Brevo) or "local"
    sa.Column("state", sa.String(16), nullable=False),  # "pending", later "sent", "failed"
    sa.Column("decided_at", Stamp, nullable=False),
    sa.Index(None, "state", "id"),
)

# Alerts raised by the time-rules sweep (adapters/store/sweep_sql.py), and the covering
# indexes on deals that the sweep reads by.
alerts = sa.Table(
    "alerts",
    metadata,
    big_id(),
    # No foreign key to deals: deals are never deleted (tombstones), and the check would cost
    # on every row of a sweep that may raise hundreds of thousands of alerts at once.
    sa.Column("deal_id", sa.String(64), nullable=False),
    sa.Column("rule", sa.String(128), nullable=False),  # e.g. "inactivity:14"
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("anchor_at", Stamp, nullable=False),
    sa.Column("due_at", Stamp, nullable=False),
    sa.Column("raised_at", Stamp, nullable=False),
    sa.Column("acknowledged_at", Stamp),
    # The identity of a crossing, which makes "raised once per crossing" hold. Anchor first:
    # a sweep statement yields deals in anchor order (per stage), and the rules sharing an
    # anchor land next to each other, so inserts and conflict probes walk this index almost
    # sequentially; with deal_id first, inserting them took twice as long.
    sa.UniqueConstraint("anchor_at", "deal_id", "rule"),
    # No index for consumers yet: whoever polls unacknowledged alerts adds the one their
    # query needs; each index costs the first sweep of a big mirror ~10% (bench/).
)
ALERT_KEY = ("anchor_at", "deal_id", "rule")


def stage_entry() -> sa.ColumnElement[datetime]:
    """As `timing.stage_entry`: a deal never moved has been in its stage since creation."""
    return sa.func.coalesce(deals.c.stage_updated_at, deals.c.created_at)


def last_activity() -> sa.ColumnElement[datetime]:
    """As `timing.last_activity`."""
    return sa.func.coalesce(deals.c.last_activity_at, deals.c.updated_at, deals.c.created_at)


def last_update() -> sa.ColumnElement[datetime]:
    """As `timing.last_update`."""
    return sa.func.coalesce(deals.c.updated_at, deals.c.created_at)


LIVE = deals.c.deleted_at.is_(None)


def _sweep_index(name: str, *columns: sa.ColumnElement[Any]) -> sa.Index:
    # Partial: tombstones never raise. deleted_at and the raw columns of the anchor are
    # carried although the anchor expression is indexed, because SQLite (3.40) counts an
    # index as covering only if it holds every column the statement names; covering keeps
    # a sweep from reading the wide deal rows at all.
    return sa.Index(name, *columns, deals.c.deleted_at, sqlite_where=LIVE, postgresql_where=LIVE)


# One index per anchor, led by the stage: every statement is a range search
# (stage_id = ?, anchor <= cutoff) per stage. The anchor expressions must stay the ones the
# statements use (the functions above), or the databases will not match them.
SWEEP_INDEXES = (
    _sweep_index(
        "ix_deals_sweep_stage_entry",
        deals.c.stage_id,
        stage_entry(),
        deals.c.id,
        deals.c.stage_updated_at,
        deals.c.created_at,
    ),
    _sweep_index(
        "ix_deals_sweep_activity",
        deals.c.stage_id,
        last_activity(),
        deals.c.id,
        deals.c.last_activity_at,
        deals.c.updated_at,
        deals.c.created_at,
    ),
    _sweep_index(
        "ix_deals_sweep_update",
        deals.c.stage_id,
        last_update(),
        deals.c.amount,
        deals.c.currency,  # the stale rule's threshold is per currency
        deals.c.id,
        deals.c.updated_at,
        deals.c.created_at,
    ),
)


# The write path (domain/outbox.py): every effect meant for Brevo, written in the transaction
# of the decision that caused it; `key` (the decision's own key) makes a repeated decision a
# no-op. Rows are never deleted: done, dead and dropped rows are the record of what was sent.
outbox = sa.Table(
    "outbox",
    metadata,
    big_id(),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("deal_id", sa.String(64)),  # Brevo's id of the deal concerned, once known
    sa.Column("deal_ref", sa.String(255)),  # the key of the creation it waits for
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("base", sa.JSON),  # update_deal: the mirror's values when decided
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", Stamp, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("origin", sa.String(16), nullable=False),  # pull, local, orders, automation
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("sent_at", Stamp),
    sa.Column("done_at", Stamp),
    sa.Column("result_id", sa.String(64)),
    sa.Column("via", sa.String(8)),  # "single" or "import"
    sa.Column("process_id", sa.BigInteger),
    # A push that took the row (a daemon replica, `push`): others skip it until the claim
    # expires, so a replica that dies leaves nothing stuck.
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_until", Stamp),
    sa.Index(None, "state", "next_attempt_at"),
    sa.Index(None, "deal_id", "state"),
    sa.Index(None, "deal_ref"),
)

# One award per (deal, milestone), whatever happens to the outbox row that carries it: a deal
# that moves back and forth, a crash, a retry. `transaction_id` is Brevo's (credit in two
# steps: a pending transaction credits nothing until completed, so an unclear first step is
# simply repeated, and only a stored id is ever completed).
loyalty_ledger = sa.Table(
    "loyalty_ledger",
    metadata,
    sa.Column("deal_id", sa.String(64), primary_key=True),
    sa.Column("milestone", sa.String(255), primary_key=True),
    sa.Column("contact_id", sa.String(64), nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("outbox_key", sa.String(255), nullable=False),
    sa.Column("transaction_id", sa.String(64)),
    sa.Column("state", sa.String(16), nullable=False),  # queued, begun, completed
    sa.Column("recorded_at", Stamp, nullable=False),
    sa.Column("completed_at", Stamp),
)

# Fields changed on both sides before our update reached Brevo (domain.outbox.three_way).
conflicts = sa.Table(
    "conflicts",
    metadata,
    big_id(),
    sa.Column("deal_id", sa.String(64), nullable=False),
    sa.Column("field", sa.String(128), nullable=False),
    sa.Column("base", sa.JSON),
    sa.Column("ours", sa.JSON),
    sa.Column("theirs", sa.JSON),
    sa.Column("resolution", sa.String(16), nullable=False),
    sa.Column("outbox_key", sa.String(255), nullable=False),
    sa.Column("detected_at", Stamp, nullable=False),
    sa.Index(None, "deal_id"),
)

# Orders and subscriptions received (file import, webhooks): identified by shop and id, so the
# same order twice, from two files or two routes, is one row and at most one deal.
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("shop", sa.String(255), primary_key=True),
    sa.Column("order_id", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # order, subscription
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),  # file name, route
    sa.Column("received_at", Stamp, nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),  # deal, none, waiting
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("deal_key", sa.String(255)),  # the outbox key of the deal's creation
    sa.Column("expires_at", Stamp),  # subscriptions
    sa.Column("renewal_due_at", Stamp),  # subscriptions: when the renewal deal is due
)

# Brevo's task types (GET /crm/tasktypes), read once: tasks name theirs by title.
task_types = sa.Table(
    "task_types",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("fetched_at", Stamp, nullable=False),
)


# The HTTP side's inbox: every webhook delivery accepted (answered 2xx only once written here),
# processed after the answer. `delivery_key` (route + the sender's delivery id) drops a
# redelivery; `dedupe_key` (kind + shop + order id) drops the same order sent twice or through
# two routes. Headers are kept without signatures or tokens.
inbox = sa.Table(
    "inbox",
    metadata,
    big_id(),
    sa.Column("route", sa.String(32), nullable=False),  # shopify, woocommerce, orders, ...
    sa.Column("kind", sa.String(16), nullable=False),  # order, subscription, brevo_hint
    sa.Column("delivery_key", sa.String(255), unique=True),
    sa.Column("dedupe_key", sa.String(255), unique=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("headers", sa.JSON, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending, done, dead
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", Stamp, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("received_at", Stamp, nullable=False),
    sa.Column("processed_at", Stamp),
    sa.Column("outcome", sa.Text),  # what processing decided, in words
    sa.Index(None, "state", "next_attempt_at"),
)

# Bearer tokens of the ops API, stored as SHA-256 hashes (the token itself is shown once).
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_email", sa.String(255), nullable=False),
    sa.Column("team", sa.String(128)),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("revoked_at", Stamp),
    sa.Column("last_used_at", Stamp),
)


# The daemon (`brevo-sync run`): one row per job, shared by every replica on the database.
# A replica runs a job only after claiming its row (a conditional UPDATE: one wins), and the
# claim expires, so a replica that dies mid-job holds nothing for long (domain/jobs.py).
job_slots = sa.Table(
    "job_slots",
    metadata,
    sa.Column("job", sa.String(32), primary_key=True),
    sa.Column("next_due_at", Stamp),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claim_expires_at", Stamp),
    sa.Column("runs", sa.Integer, nullable=False, default=0),
    sa.Column("last_started_at", Stamp),
    sa.Column("last_finished_at", Stamp),
    sa.Column("last_outcome", sa.String(16)),
    sa.Column("last_detail", sa.Text),
    sa.Column("interval_seconds", sa.Float),
    sa.Column("failures", sa.Integer, nullable=False, default=0),
)

# Every claimed run of a job, once: (job, seq) is unique, seq being the slot's claim count.
job_runs = sa.Table(
    "job_runs",
    metadata,
    big_id(),
    sa.Column("job", sa.String(32), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("replica", sa.String(64), nullable=False),
    sa.Column("started_at", Stamp, nullable=False),
    sa.Column("finished_at", Stamp),
    sa.Column("outcome", sa.String(16)),
    sa.Column("requests", sa.Integer, nullable=False, default=0),
    sa.Column("detail", sa.Text),
    sa.UniqueConstraint("job", "seq"),
    sa.Index(None, "started_at"),
)
