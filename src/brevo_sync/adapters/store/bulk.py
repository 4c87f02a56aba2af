"""The pull's hot write: one page of deals upserted with a single driver-level executemany.

SQLAlchemy Core spends most of a page's write in per-value bind processing (eight timestamps,
three JSON documents per deal). Here the values are converted once, by hand, into exactly what
each driver takes and what SQLAlchemy itself would have stored (so its reads and the SQL
comparisons of the rules sweep see the same values), and the statement text is built once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.tables import deals, stage_history
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.moves import MirroredDeal, StageMove

# The order `upsert_deals` builds its tuples in. Checked against the table at import, so a new
# column cannot silently shift values into the wrong place.
COLUMNS = (
    "id", "name", "pipeline_id", "stage_id", "owner", "amount", "currency", "close_date",
    "created_at", "updated_at", "stage_updated_at", "last_activity_at", "attributes",
    "contact_ids", "company_ids", "pulled_at", "deleted_at",
)  # fmt: skip
if tuple(c.name for c in deals.columns) != COLUMNS:
    raise RuntimeError("bulk.COLUMNS no longer matches the deals table: update upsert_deals")
_KEY = "id"
# Compact and without the circularity check: these are plain JSON documents from Brevo.
_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False, ensure_ascii=False)
HISTORY_COLUMNS = (
    "deal_id", "pipeline_id", "from_stage_id", "to_stage_id", "changed_at", "source", "owner",
    "recorded_at",
)  # fmt: skip
if set(HISTORY_COLUMNS) != {c.name for c in stage_history.columns} - {"id"}:
    raise RuntimeError("bulk.HISTORY_COLUMNS no longer matches stage_history")


def sqlite_stamp(value: datetime | None) -> str | None:
    """What SQLAlchemy's SQLite DATETIME stores for our UTCDateTime: naive UTC, microseconds."""
    if value is None:
        return None
    v = value if value.tzinfo is UTC else value.astimezone(UTC)
    # isoformat is C code; "microseconds" keeps the fixed width even when they are zero, and
    # the first 26 characters leave out the "+00:00".
    return v.isoformat(" ", "microseconds")[:26]


def _sqlite_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _keep(value: Any) -> Any:
    return value


@cache
def _statement(dialect: str) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    cast = "" if dialect == "sqlite" else "::json"
    json_columns = {"attributes", "contact_ids", "company_ids"}
    values = ", ".join(mark + (cast if c in json_columns else "") for c in COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != _KEY)
    return (
        f"INSERT INTO deals ({', '.join(COLUMNS)}) VALUES ({values}) "
        f"ON CONFLICT ({_KEY}) DO UPDATE SET {updates}"
    )


def _converters(dialect: str) -> tuple[Callable[[datetime | None], Any], Callable[[Any], Any]]:
    if dialect == "sqlite":
        return sqlite_stamp, _sqlite_date
    return _keep, _keep  # psycopg takes aware datetimes and dates as they are


def upsert_deals(conn: Connection, batch: Sequence[Deal], now: datetime) -> None:
    """Insert or replace every column of `batch` (the deleted_at tombstone is cleared)."""
    if not batch:
        return
    dialect = conn.dialect.name
    stamp, day = _converters(dialect)
    pulled = stamp(now)
    dumps = _ENCODER.encode
    rows = [
        (
            d.id,
            d.name,
            d.pipeline_id,
            d.stage_id,
            d.owner,
            float(d.amount) if d.amount is not None else None,
            d.currency,
            day(d.close_date),
            stamp(d.created_at),
            stamp(d.updated_at),
            stamp(d.stage_updated_at),
            stamp(d.last_activity_at),
            dumps(d.attributes),
            dumps(list(d.contact_ids)),
            dumps(list(d.company_ids)),
            pulled,
            None,
        )
        for d in batch
    ]
    conn.exec_driver_sql(_statement(dialect), rows)


@cache
def _history_statement(dialect: str) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    return (
        f"INSERT INTO stage_history ({', '.join(HISTORY_COLUMNS)}) "
        f"VALUES ({', '.join(mark for _ in HISTORY_COLUMNS)})"
    )


def insert_stage_moves(conn: Connection, moves: Sequence[StageMove], now: datetime) -> None:
    """Append stage history rows, in HISTORY_COLUMNS order."""
    if not moves:
        return
    dialect = conn.dialect.name
    stamp, _ = _converters(dialect)
    recorded = stamp(now)
    rows = [
        (m.deal_id, m.pipeline_id, m.from_stage_id, m.to_stage_id, stamp(m.changed_at), m.source,
         m.owner, recorded)
        for m in moves
    ]  # fmt: skip
    conn.exec_driver_sql(_history_statement(dialect), rows)


@cache
def _row_upsert_statement(dialect: str, table: str, columns: tuple[str, ...], key: str) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(mark for _ in columns)}) ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


def upsert_row(conn: Connection, table: str, row: dict[str, Any], *, key: str) -> None:
    """One row upserted at driver level (the per-page sync state write). Values may be None,
    str, int, bool or aware datetimes; nothing else is converted."""
    dialect = conn.dialect.name
    stamp, _ = _converters(dialect)
    columns = tuple(row)
    values = tuple(stamp(v) if isinstance(v, datetime) else v for v in row.values())
    conn.exec_driver_sql(_row_upsert_statement(dialect, table, columns, key), values)


def _read_stamp(dialect: str) -> Callable[[Any], datetime | None]:
    """The inverse of `sqlite_stamp` for driver-level reads; PostgreSQL hands back datetimes."""
    if dialect != "sqlite":
        return lambda value: value

    def parse(value: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)

    return parse


def mirrored_deals(conn: Connection, ids: Sequence[str]) -> dict[str, MirroredDeal]:
    """Placement and version of the mirrored deals among `ids`, in one driver-level SELECT."""
    if not ids:
        return {}
    dialect = conn.dialect.name
    mark = "?" if dialect == "sqlite" else "%s"
    sql = (
        "SELECT id, pipeline_id, stage_id, updated_at, deleted_at IS NOT NULL FROM deals "
        f"WHERE id IN ({', '.join(mark for _ in ids)})"
    )
    read = _read_stamp(dialect)
    rows = conn.exec_driver_sql(sql, tuple(ids))
    return {r[0]: MirroredDeal(r[1], r[2], read(r[3]), bool(r[4])) for r in rows}
