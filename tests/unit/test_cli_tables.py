"""Report tables: at 80 columns nothing kept is cut; in a pipe one plain line per row."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from brevo_sync.entrypoints.cli.tables import Col, fitted_widths, print_table

DEAL_ID = "65f0c1a2b3c4d5e6f7a8b9c0"
COLS = (
    Col(("id", "name"), min_width=24),
    Col(("stage", "pipeline"), min_width=10),
    Col("owner", min_width=12),
    Col("amount", keep=True, right=True),
    Col(("updated", "close"), keep=True),
)


def _row(name: str, amount: str) -> list[str | tuple[str, ...]]:
    return [
        (DEAL_ID, name),
        ("NEEDS_ANALYSIS", "Opportunity Pipeline"),
        "alice.martin@example.com",
        amount,
        ("2026-11-20", "2026-12-01"),
    ]


def _render(rows: list[list[str | tuple[str, ...]]], *, terminal: bool, width: int = 80) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, color_system=None)
    print_table(console, COLS, rows)
    return out.getvalue()


def test_a_terminal_table_fits_80_columns_and_keeps_ids_and_amounts_whole() -> None:
    rows = [_row("Acme Industries GmbH - Enterprise licence, three years", "1,250,000.00 EUR")]
    text = _render(rows, terminal=True)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert DEAL_ID in text and "1,250,000.00 EUR" in text and "2026-12-01" in text
    assert "…" not in text


def test_a_pipe_gets_one_plain_line_per_row_with_nothing_cut() -> None:
    rows = [_row("[bold]Acme[/bold]", "5.00 USD"), _row("Globex", "125,000.00 EUR")]
    lines = _render(rows, terminal=False).splitlines()
    assert lines[0].split() == [
        "id", "name", "stage", "pipeline", "owner", "amount", "updated", "close"
    ]  # fmt: skip
    assert len(lines) == 3
    assert "[bold]Acme[/bold]" in lines[1]  # a name, not markup
    assert lines[2].split()[-4:] == ["125,000.00", "EUR", "2026-11-20", "2026-12-01"]
    # Amounts are right-aligned: their ends line up.
    assert lines[1].index("USD") == lines[2].index("EUR")


def test_too_narrow_for_the_kept_columns_falls_back_to_plain_lines() -> None:
    assert fitted_widths(COLS, [_row("x", "1.00 EUR")], 50) is None


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=80),
    amount=st.floats(min_value=0, max_value=1e12, allow_nan=False),
    width=st.integers(min_value=72, max_value=200),
)
def test_kept_cells_are_never_cut_whatever_the_width(name: str, amount: float, width: int) -> None:
    money = f"{amount:,.2f} USD"
    text = _render([_row(name, money)], terminal=True, width=width)
    assert money in text
    assert DEAL_ID in text
