"""Formatting shared by `forecast` and `analytics`: sums per currency in words, CSV with one
column per currency (never a sum across currencies), section headings."""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal

from brevo_sync.domain.amounts import cents
from brevo_sync.entrypoints.cli.common import stdout
from brevo_sync.entrypoints.cli.tables import Cell, Col, print_table


def amounts(values: Mapping[str, Decimal], empty: str = "-") -> str:
    """`18,000.00 EUR + 3,000.00 USD`: side by side, never added up."""
    if not values:
        return empty
    return " + ".join(f"{cents(a):,.2f} {c}" for c, a in sorted(values.items()))


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


def section(title: str) -> None:
    stdout.print()
    stdout.print(title, markup=False, style="bold")


def table(cols: Sequence[Col], rows: Sequence[Sequence[Cell]], empty: str = "none") -> None:
    if rows:
        print_table(stdout, cols, rows)
    else:
        stdout.print(f"  {empty}", markup=False)


def currencies_of(*maps: Mapping[str, Decimal]) -> list[str]:
    return sorted({c for m in maps for c in m})


def write_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


def csv_amount(values: Mapping[str, Decimal], currency: str) -> str:
    value = values.get(currency)
    return "" if value is None else f"{cents(value):.2f}"
