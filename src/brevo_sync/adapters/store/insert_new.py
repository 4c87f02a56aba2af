"""INSERT ... ON CONFLICT (key) DO NOTHING, built once as a `text()` statement.

SQLAlchemy's dialect inserts with `on_conflict_do_nothing` have no cache key, so each
execution compiles the statement anew (about 0.2 ms of CPU per execution for `orders`);
a `text()` with typed bind parameters is compiled once per engine and then found in its
compiled cache. SQLite (3.24+) and PostgreSQL both take this very statement; the types do
what the table's columns do to a value (JSON, UTC timestamps). Execute it with one mapping
of the columns' values, or a list of them (executemany); `rowcount` counts the new rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa


def insert_new(table: sa.Table, columns: Sequence[str], *, key: Sequence[str]) -> sa.TextClause:
    """`INSERT INTO table (columns) VALUES (:column, ...) ON CONFLICT (key) DO NOTHING`."""
    names = ", ".join(_quoted(c) for c in columns)
    values = ", ".join(f":{c}" for c in columns)
    conflict = ", ".join(_quoted(c) for c in key)
    return sa.text(
        f"INSERT INTO {_quoted(table.name)} ({names}) VALUES ({values}) "
        f"ON CONFLICT ({conflict}) DO NOTHING"
    ).bindparams(*(sa.bindparam(c, type_=table.c[c].type) for c in columns))


def _quoted(name: str) -> str:
    return f'"{name}"'  # `key` is a keyword in SQLite; quoted lower case is the same name
