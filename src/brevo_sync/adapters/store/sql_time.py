"""Date arithmetic and JSON reads that SQLite and PostgreSQL spell differently, as SQL
functions that compile to each (for the analytics queries, `analytics_sql.py`).

SQLite stores stamps as naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff` and dates as
`YYYY-MM-DD` (tables.UTCDateTime), so a month is the first seven characters of either;
PostgreSQL has `timestamptz` and `date`, read in UTC here whatever the session's zone.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from brevo_sync.adapters.store.tables import Stamp

MS_PER_DAY = 86_400_000


class year_month(sa.sql.functions.FunctionElement[str]):  # noqa: N801 (SQL function style)
    """`YYYY-MM` of a date or a stamp (in UTC)."""

    type = sa.String()
    inherit_cache = True


@compiles(year_month, "sqlite")
def _year_month_sqlite(element: year_month, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"substr({value}, 1, 7)"


@compiles(year_month, "postgresql")
def _year_month_postgresql(element: year_month, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    value = compiler.process(column, **kw)
    if isinstance(column.type, sa.Date):
        # A date is its own month: formatted without a time zone (cast to timestamptz, it
        # would be midnight in the session's zone, another month in UTC east of Greenwich).
        return f"to_char(CAST({value} AS timestamp), 'YYYY-MM')"
    # A timestamptz is read in UTC, whatever the session's zone.
    return f"to_char(({value})::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM')"


class whole_days(sa.sql.functions.FunctionElement[int]):  # noqa: N801
    """Whole days from the second stamp to the first, floored (seed 000's `Math.floor`)."""

    type = sa.Integer()
    inherit_cache = True


@compiles(whole_days, "sqlite")
def _whole_days_sqlite(element: whole_days, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    # julianday is a double: round the difference to milliseconds before dividing, or an
    # exact 3 days could come out as 2.99999999 and floor to 2.
    diff = f"CAST(round((julianday({later}) - julianday({earlier})) * {MS_PER_DAY}) AS INTEGER)"
    # Integer division truncates towards zero; floor a negative difference by hand.
    negative = f"-((-{diff} - 1) / {MS_PER_DAY}) - 1"
    return f"(CASE WHEN {diff} >= 0 THEN {diff} / {MS_PER_DAY} ELSE {negative} END)"


@compiles(whole_days, "postgresql")
def _whole_days_postgresql(element: whole_days, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(floor(extract(epoch from ({later} - {earlier})) / 86400) AS INTEGER)"


class millis_between(sa.sql.functions.FunctionElement[int]):  # noqa: N801
    """Whole milliseconds from the second stamp to the first (rounded): summed exactly, in
    any order (a sum of fractional days would depend on the order the rows come in)."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(millis_between, "sqlite")
def _millis_between_sqlite(element: millis_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(round((julianday({later}) - julianday({earlier})) * {MS_PER_DAY}) AS INTEGER)"


@compiles(millis_between, "postgresql")
def _millis_between_postgresql(element: millis_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(round(extract(epoch from ({later} - {earlier})) * 1000) AS BIGINT)"


class month_start_of(sa.sql.functions.FunctionElement[Any]):  # noqa: N801
    """Midnight UTC of the first day of a date's month, comparable with stamps."""

    type = Stamp
    inherit_cache = True


@compiles(month_start_of, "sqlite")
def _month_start_sqlite(element: month_start_of, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = (compiler.process(c, **kw) for c in element.clauses)
    # 'YYYY-MM-01' sorts before every stamp of that day ('YYYY-MM-01 00:00:00.000000'), so
    # `stamp < this` is "before the month began", as text.
    return f"(substr({value}, 1, 7) || '-01')"


@compiles(month_start_of, "postgresql")
def _month_start_postgresql(element: month_start_of, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST(date_trunc('month', {value}) AS timestamp) AT TIME ZONE 'UTC')"


class json_text(sa.sql.functions.FunctionElement[str]):  # noqa: N801
    """A top-level key of a JSON column as text, as PostgreSQL's `->>` gives it: strings
    unquoted, numbers as written, `true`/`false`, NULL when missing or null."""

    type = sa.String()
    inherit_cache = True

    def __init__(self, column: sa.ColumnElement[Any], key: str) -> None:
        # The key is part of the SQL text, not a bind: PostgreSQL matches a grouped
        # expression with its select-list twin only when both are the same text.
        quoted = "'" + key.replace("'", "''") + "'"
        super().__init__(column, sa.literal_column(quoted, sa.String()))


@compiles(json_text, "sqlite")
def _json_text_sqlite(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = (compiler.process(c, **kw) for c in element.clauses)
    path = "'$.\"" + key[1:-1].replace('"', '\\"') + "\"'"
    # json_extract gives 1 for true: its type tells them apart.
    return (
        f"(CASE json_type({column}, {path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
        f"ELSE CAST(json_extract({column}, {path}) AS TEXT) END)"
    )


@compiles(json_text, "postgresql")
def _json_text_postgresql(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = (compiler.process(c, **kw) for c in element.clauses)
    return f"({column} ->> {key})"
