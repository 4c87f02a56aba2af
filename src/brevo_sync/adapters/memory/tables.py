"""A table of the in-memory mirror, and a transaction's pending writes over it.

The committed rows live in `Table` (a dict in insertion order). A unit of work never touches
them directly: it writes into a `Pending` over the table (reads see its own writes on top of
the committed rows), and `apply` copies those writes in when the unit of work commits.
Nothing is copied up front, so opening a unit of work costs nothing however big the mirror.

Rows are immutable by convention (frozen dataclasses, or dicts that are only ever replaced
whole), so handing one out never lets a caller change the mirror behind a transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Table(Generic[K, V]):
    """Committed rows by key, and the last id handed out (for tables with generated ids)."""

    def __init__(self) -> None:
        self.rows: dict[K, V] = {}
        self.last_id = 0


class Pending(Generic[K, V]):
    """A transaction's writes to one table: read-your-writes until `apply` or `discard`."""

    def __init__(self, table: Table[K, V], guard: threading.RLock) -> None:
        self._table = table
        self._guard = guard  # held while committed rows are read or written
        self._writes: dict[K, V | None] = {}  # None: the row is deleted
        self._cleared = False  # every committed row deleted (a table replaced whole)

    def get(self, key: K) -> V | None:
        if key in self._writes:
            return self._writes[key]
        if self._cleared:
            return None
        with self._guard:
            return self._table.rows.get(key)

    def items(self) -> Iterator[tuple[K, V]]:
        """Every row as this transaction sees it: committed rows first, in insertion order."""
        with self._guard:  # a list, so another thread's commit cannot change it under us
            committed = [] if self._cleared else list(self._table.rows.items())
        present = {key for key, _ in committed}
        for key, value in committed:
            if key not in self._writes:
                yield key, value
            elif (written := self._writes[key]) is not None:
                yield key, written
        for key, maybe in list(self._writes.items()):
            if maybe is not None and key not in present:
                yield key, maybe

    def values(self) -> list[V]:
        return [value for _, value in self.items()]

    def put(self, key: K, value: V) -> None:
        self._writes[key] = value

    def delete(self, key: K) -> None:
        self._writes[key] = None

    def clear(self) -> None:
        self._writes.clear()
        self._cleared = True

    def new_id(self) -> int:
        """The next id, increasing. Taken from the committed table at once, so ids of a
        transaction rolled back are never reused (as a PostgreSQL sequence behaves)."""
        with self._guard:
            self._table.last_id += 1
            return self._table.last_id

    def apply(self) -> None:
        """Make the writes committed rows (the caller holds the guard for every table)."""
        rows = self._table.rows
        if self._cleared:
            rows.clear()
        for key, value in self._writes.items():
            if value is None:
                rows.pop(key, None)
            else:
                rows[key] = value
        self.discard()

    def discard(self) -> None:
        self._writes = {}
        self._cleared = False
