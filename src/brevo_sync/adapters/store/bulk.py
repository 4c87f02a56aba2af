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
# left_at is derived: `close_stays` writes it after the rows are in.
if set(HISTORY_COLUMNS) != {c.name for c in stage_history.columns} - {"id", "left_at"}:
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
    """Append stage history rows, in HISTORY_COLUMNS order, then set `left_at` on the rows
    of the deals they belong to (`close_stays`), in the same transaction."""
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
    close_stays(conn, sorted({m.deal_id for m in moves}))


# Each deal's rows with the changed_at of its next row, where left_at differs from it. On
# PostgreSQL one index search per deal (LATERAL): an IN list over deal_id would be read as
# unselective until the table has statistics (a first pull outruns autovacuum), and planned
# as a scan of the whole history per page.
_PG_NEXT = (
    "SELECT f.id, f.next_at FROM unnest(%s::text[]) AS v(deal_id) CROSS JOIN LATERAL ("
    "SELECT s.id, s.left_at, lead(s.changed_at) OVER (ORDER BY s.changed_at, s.id) AS next_at "
    "FROM stage_history AS s WHERE s.deal_id = v.deal_id) AS f "
    "WHERE f.left_at IS DISTINCT FROM f.next_at"
)
CLOSE_CHUNK = 500


@cache
def _sqlite_next(count: int) -> str:
    return (
        "SELECT id, next_at FROM (SELECT id, left_at, lead(changed_at) OVER (PARTITION BY "
        "deal_id ORDER BY changed_at, id) AS next_at FROM stage_history WHERE deal_id IN "
        f"({', '.join('?' for _ in range(count))})) WHERE left_at IS NOT next_at"
    )


def close_stays(conn: Connection, deal_ids: Sequence[str]) -> None:
    """Give each history row of `deal_ids` its `left_at`: the changed_at of the deal's next
    row by (changed_at, id), NULL on its last. All of a deal's rows are re-derived (a move
    may arrive older than rows already there: a Brevo time behind a local one) and only the
    rows that change are written, by id: usually the one row a new move closes."""
    dialect = conn.dialect.name
    changed: list[tuple[Any, int]] = []
    for i in range(0, len(deal_ids), CLOSE_CHUNK):
        chunk = list(deal_ids[i : i + CLOSE_CHUNK])
        if dialect == "postgresql":
            rows = conn.exec_driver_sql(_PG_NEXT, (chunk,))
        else:
            rows = conn.exec_driver_sql(_sqlite_next(len(chunk)), tuple(chunk))
        changed += [(next_at, row_id) for row_id, next_at in rows]
    if changed:
        mark = "?" if dialect == "sqlite" else "%s"
        sql = f"UPDATE stage_history SET left_at = {mark} WHERE id = {mark}"
        conn.exec_driver_sql(sql, changed)


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
