"""How the queues' commands answer (`inbox list|show`, `outbox list|show`): a JSON document,
or the counts by state over a table of rows, or one row field by field."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from brevo_sync.entrypoints.cli.common import print_json, stdout
from brevo_sync.entrypoints.cli.tables import Cell, Col, print_table

Row = TypeVar("Row")


def print_listing(
    title: str,
    rows: Sequence[Row],
    counts: Mapping[str, int],
    *,
    as_json: bool,
    to_json: Callable[[Row], object],
    columns: Sequence[Col],
    cells: Callable[[Row], Sequence[Cell]],
) -> None:
    """`{"rows", "counts"}` with --json (each row `to_json`); else `<title>: <n> <state>, ...`
    over a table of the rows' `cells` under `columns`."""
    if as_json:
        print_json({"rows": [to_json(r) for r in rows], "counts": counts})
        return
    summary = ", ".join(f"{n:,} {s}" for s, n in sorted(counts.items())) or "empty"
    stdout.print(f"{title}: {summary}", markup=False)
    print_table(stdout, columns, [cells(r) for r in rows])


def print_record(fields: Mapping[str, object], *, as_json: bool) -> None:
    """One row: the document with --json, else a line per field, names aligned right."""
    if as_json:
        print_json(fields)
        return
    for name, value in fields.items():
        stdout.print(f"{name:>16}: {value}", markup=False)
