"""Tables that stay readable at 80 columns and in a pipe, and never cut an id or an amount.

In a terminal: a rich table whose `keep` columns (ids, amounts, dates) get their full width
and whose other columns share what is left and fold. Rich left to itself shrinks every
column when space runs out, ids and amounts included, so the widths are set here. In a pipe
(or when even the kept columns do not fit): plain aligned lines, one row per line, which
`grep`, `cut` and `less` handle and which a narrow terminal wraps instead of cutting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

GAP = 2  # spaces between columns


@dataclass(frozen=True, slots=True)
class Col:
    """A column; a tuple header stacks its cells' lines in a terminal (`id` over `name`)
    and becomes one plain column per line in a pipe."""

    header: str | tuple[str, ...]
    keep: bool = False  # never folded nor cut: ids, amounts, dates
    right: bool = False
    min_width: int = 8  # a folding column is not squeezed below this


Cell = str | tuple[str, ...]  # a tuple: lines stacked in one cell (the terminal table only)


def _lines(cell: Cell) -> tuple[str, ...]:
    return (cell,) if isinstance(cell, str) else cell


def _width(cell: Cell) -> int:
    return max((len(line) for line in _lines(cell)), default=0)


def print_table(console: Console, cols: Sequence[Col], rows: Sequence[Sequence[Cell]]) -> None:
    """`rows` as a fitted table in a terminal, else as plain lines."""
    widths = fitted_widths(cols, rows, console.width) if console.is_terminal else None
    if widths is None:
        print_plain(console, cols, rows)
        return
    table = Table(box=None, pad_edge=False, padding=(0, GAP // 2), header_style="bold underline")
    for col, width in zip(cols, widths, strict=True):
        justify: JustifyMethod = "right" if col.right else "left"
        header = "\n".join(_lines(col.header))
        table.add_column(header, width=width, no_wrap=col.keep, overflow="fold", justify=justify)
    for row in rows:
        # Text, not str: a deal called "[bold]" is a name, not markup.
        table.add_row(*(Text("\n".join(_lines(cell))) for cell in row))
    console.print(table)


def fitted_widths(
    cols: Sequence[Col], rows: Sequence[Sequence[Cell]], total: int
) -> list[int] | None:
    """Column widths within `total`: kept columns as wide as their widest cell; the others
    first as wide as their longest word (so words fold only when they must), then sharing
    what is left in proportion to what they lack. None when the kept columns do not fit."""
    natural = [max([_width(c.header), *(_width(r[i]) for r in rows)]) for i, c in enumerate(cols)]
    spare = total - GAP * (len(cols) - 1)
    spare -= sum(w for w, c in zip(natural, cols, strict=True) if c.keep)
    folding = [i for i, c in enumerate(cols) if not c.keep]
    if sum(natural[i] for i in folding) <= spare:
        return natural
    floor = {i: min(natural[i], cols[i].min_width) for i in folding}
    if sum(floor.values()) > spare:
        return None
    base = {i: min(natural[i], max(floor[i], _longest_word(rows, i))) for i in folding}
    overflow = sum(base.values()) - spare
    for i in sorted(folding, key=lambda j: floor[j] - base[j]):  # the longest words give first
        cut = min(max(overflow, 0), base[i] - floor[i])
        base[i] -= cut
        overflow -= cut
    lacking = {i: natural[i] - base[i] for i in folding}
    left, wanted = spare - sum(base.values()), sum(lacking.values())
    widths = list(natural)
    for i in folding:
        widths[i] = base[i] + lacking[i] * left // wanted
    return widths


def _longest_word(rows: Sequence[Sequence[Cell]], column: int) -> int:
    words = (w for r in rows for line in _lines(r[column]) for w in line.split())
    return max((len(w) for w in words), default=0)


def print_plain(console: Console, cols: Sequence[Col], rows: Sequence[Sequence[Cell]]) -> None:
    """Aligned columns, one row per line, nothing cut; the last column is not padded."""
    spans = [len(_lines(c.header)) for c in cols]
    right = [c.right for c, n in zip(cols, spans, strict=True) for _ in range(n)]

    def flat(cells: Sequence[Cell]) -> list[str]:
        return [
            (_lines(cell) + ("",) * n)[i]
            for cell, n in zip(cells, spans, strict=True)
            for i in range(n)
        ]

    lines = [flat([c.header for c in cols]), *(flat(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(right))]
    for cells in lines:
        parts = [
            cell.rjust(w) if r else cell.ljust(w)
            for cell, w, r in zip(cells, widths, right, strict=True)
        ]
        text = (" " * GAP).join(parts).rstrip()
        console.print(text, markup=False, highlight=False, soft_wrap=True, crop=False)
