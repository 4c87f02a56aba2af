"""`brevo-sync forecast`: seed 000's forecast from the mirror, as text, JSON or CSV."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import typer

from brevo_sync.domain.forecast import Figures, Forecast
from brevo_sync.entrypoints.cli.common import JsonOption, build_container, plural, print_json
from brevo_sync.entrypoints.cli.common import stdout as out
from brevo_sync.entrypoints.cli.report_format import (
    amounts,
    csv_amount,
    currencies_of,
    section,
    table,
    write_csv,
)
from brevo_sync.entrypoints.cli.tables import Cell, Col
from brevo_sync.service.forecast import ForecastRequest, forecast

DAY = ["%Y-%m-%d"]

HELP = """Forecast the open pipeline from the local mirror (seed 000): no Brevo request.

Counts every deal that is not in a Lost stage and whose close date falls in the period
(default: today to the end of the quarter; both days included). Deals without a close date
are shown apart as undated, never dropped; deleted deals never count. Total is the sum of
amounts; weighted is the sum of amount x probability, the rules' effective probability: the
stage's default, a deal's own probability while it stays in the stage it was set in, Won
100, Lost 0. A deal whose stage has no probability adds to the total only.

Categories, by the probability of the deal's stage (rules file `forecast:`): `closed` = a
Won stage; `commit` = 80 % or more (`commit_from`); `best_case` = 40 % or more
(`best_case_from`); `pipeline` = the rest. Each is shown with its cumulative roll-up
(closed, + commit, + best case, + pipeline).

Amounts in different currencies are never added up: each sum is shown per currency, unless
the rules file has a `rates:` table (then in its default currency).

--by picks the table shown (stage, owner or month); --json prints every table; --csv prints
the chosen table with one total and one weighted column per currency. Examples:

    brevo-sync forecast

    brevo-sync forecast --pipeline 'enterprise sales' --by owner

    brevo-sync forecast --from 2026-01-01 --to 2026-12-31 --by month --csv
"""


class By(StrEnum):
    stage = "stage"
    owner = "owner"
    month = "month"


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def register(app: typer.Typer) -> None:
    @app.command("forecast", help=HELP, short_help="Total and weighted pipeline (seed 000).")
    def forecast_command(
        pipeline: str | None = typer.Option(None, help="Pipeline id or name (default: all)."),
        start: datetime | None = typer.Option(
            None, "--from", formats=DAY, help="First close date counted (default: today)."
        ),
        end: datetime | None = typer.Option(
            None, "--to", formats=DAY, help="Last close date counted (default: quarter end)."
        ),
        by: By = typer.Option(By.stage, "--by", help="The table to show: stage, owner, month."),
        as_json: bool = JsonOption,
        as_csv: bool = typer.Option(False, "--csv", help="Print the --by table as CSV."),
    ) -> None:
        request = ForecastRequest(pipeline=pipeline, start=_day(start), end=_day(end))
        container = build_container(writes=False)
        try:
            result = forecast(container.context, request)
            database = container.context.database
        finally:
            container.close()
        if as_json:
            print_json(result.to_json())
        elif as_csv:
            print_csv(result, by)
        else:
            show(result, by, database)


def _rows(result: Forecast, by: By) -> tuple[list[str], list[tuple[list[str], Figures]]]:
    if by is By.stage:
        return ["pipeline", "stage", "probability", "category"], [
            ([s.pipeline, s.stage, "" if s.probability is None else str(s.probability),
              s.category], s.figures)
            for s in result.by_stage
        ]  # fmt: skip
    if by is By.owner:
        return ["owner"], [([o], f) for o, f in result.by_owner]
    return ["month"], [([m], f) for m, f in result.by_month]


def print_csv(result: Forecast, by: By) -> None:
    header, rows = _rows(result, by)
    codes = currencies_of(*(f.total for _, f in rows))
    write_csv(
        [*header, "count", *(f"{k}_{c}" for c in codes for k in ("total", "weighted"))],
        [
            [*keys, f.count, *(csv_amount(getattr(f, k), c) for c in codes
                              for k in ("total", "weighted"))]
            for keys, f in rows
        ],
    )  # fmt: skip


def show(result: Forecast, by: By, database: str) -> None:
    period = f"{result.period.start} .. {result.period.end}"
    where = result.pipeline or "all pipelines"
    out.print(f"Forecast {period}, {where} ({database})", markup=False, style="bold")
    f = result.figures
    out.print(
        f"{plural(f.count, 'deal')} closing in the period: total {amounts(f.total, '0')}; "
        f"weighted {amounts(f.weighted, '0')}",
        markup=False,
    )
    u = result.undated
    out.print(
        f"Undated (no close date, counted apart): {plural(u.count, 'deal')}, total "
        f"{amounts(u.total, '0')}, weighted {amounts(u.weighted, '0')}",
        markup=False,
    )
    if result.without_probability.count:
        w = result.without_probability
        out.print(
            f"{plural(w.count, 'deal')} in stages without a probability "
            f"({amounts(w.total)}): in the total, not in the weighted sum",
            markup=False,
        )
    header, rows = _rows(result, by)
    section(f"By {by.value}")
    cols = [Col(h, min_width=10) for h in header]
    cols += [Col("deals", keep=True, right=True), Col("total", right=True),
             Col("weighted", right=True)]  # fmt: skip
    cells: list[list[Cell]] = [
        [*keys, str(fig.count), amounts(fig.total), amounts(fig.weighted)] for keys, fig in rows
    ]
    table(cols, cells, "no deal closes in the period")
    section("Categories (cumulative: this one and those above)")
    table(
        [Col("category", keep=True), Col("deals", keep=True, right=True), Col("total"),
         Col("weighted"), Col("cumulative total"), Col("cumulative weighted")],
        [[c.category, str(c.figures.count), amounts(c.figures.total),
          amounts(c.figures.weighted), amounts(c.cumulative.total),
          amounts(c.cumulative.weighted)] for c in result.categories],
    )  # fmt: skip
    if result.currency:
        note = f"Amounts converted into {result.currency} with the rules' rates"
        if result.unconverted:
            note += f" (no rate for {', '.join(result.unconverted)}: shown apart)"
        out.print(note + ".", markup=False)
