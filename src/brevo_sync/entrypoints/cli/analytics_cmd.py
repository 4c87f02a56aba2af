"""`brevo-sync analytics`: pipeline metrics from the mirror, as text or JSON."""

from __future__ import annotations

from datetime import date, datetime

import typer

from brevo_sync.domain.analytics import Analytics
from brevo_sync.entrypoints.cli.common import JsonOption, build_container, plural, print_json
from brevo_sync.entrypoints.cli.common import stdout as out
from brevo_sync.entrypoints.cli.report_format import amounts, percent, section, table
from brevo_sync.entrypoints.cli.tables import Cell, Col
from brevo_sync.service.analytics import AnalyticsRequest, analytics

DAY = ["%Y-%m-%d"]

HELP = """Pipeline analytics from the local mirror: no Brevo request.

Without --from/--to: every deal. With a period: the deals won or lost in it (when they
entered their Won or Lost stage) and the open deals created in it. Deleted deals never count.

Seed 000's metrics: total, open, won, lost; win rate = won / (won + lost); revenue (won
amounts); average deal size = revenue / won; average sales cycle = whole days from creation
to Won, averaged and rounded; loyalty points the rules awarded for these deals. Then:

- stages: the deals now in each stage (seed 001's pipeline view), count and value;
- conversion, as "furthest stage reached": an open or won deal reached its stage and every
  one before it; a lost deal, the stage it left for Lost (stage history); Lost is no step; a
  stage's conversion = deals that reached the next stage / deals that reached it;
- time in stage: the mean of completed stays (entered, then left), from stage history;
- sales velocity = open deals x win rate x average deal size / average sales cycle (per day);
- losses by the lost-reason attribute and by the stage a deal left for Lost;
- each owner's figures;
- forecast accuracy for each month of the period that is over (without a period: the last 6):
  the weighted forecast when the month began (open deals closing in it, weighed by the stage
  they were in then) against what was won in the month.

Amounts are never added across currencies unless the rules file has `rates:`. Examples:

    brevo-sync analytics

    brevo-sync analytics --pipeline renewals --from 2026-01-01 --to 2026-06-30

    brevo-sync analytics --json
"""


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def register(app: typer.Typer) -> None:
    @app.command("analytics", help=HELP, short_help="Win rate, revenue, funnel, velocity.")
    def analytics_command(
        pipeline: str | None = typer.Option(None, help="Pipeline id or name (default: all)."),
        start: datetime | None = typer.Option(None, "--from", formats=DAY, help="Period start."),
        end: datetime | None = typer.Option(None, "--to", formats=DAY, help="Period end."),
        as_json: bool = JsonOption,
    ) -> None:
        request = AnalyticsRequest(pipeline=pipeline, start=_day(start), end=_day(end))
        container = build_container(writes=False)
        try:
            result = analytics(container.context, request)
            database = container.context.database
        finally:
            container.close()
        if as_json:
            print_json(result.to_json())
        else:
            show(result, database)


def show(a: Analytics, database: str) -> None:
    when = "all time" if a.period is None else f"{a.period.start} .. {a.period.end}"
    out.print(
        f"Pipeline analytics: {a.pipeline or 'all pipelines'}, {when} ({database})",
        markup=False,
        style="bold",
    )
    c = a.counts
    cycle = "-" if a.average_sales_cycle_days is None else plural(a.average_sales_cycle_days, "day")
    for line in (
        f"{plural(c.total, 'deal')}: {c.open:,} open, {c.won:,} won, {c.lost:,} lost; "
        f"win rate {percent(c.win_rate)}",
        f"Revenue {amounts(c.revenue, '0')}; average deal size {amounts(c.average_deal_size)}; "
        f"average sales cycle {cycle}",
        f"Open pipeline {amounts(c.open_value, '0')}; loyalty points awarded "
        f"{a.loyalty_points_awarded:,}",
        f"Sales velocity {amounts(a.velocity.per_day)} a day (open deals x win rate x "
        "average deal size / average sales cycle)",
    ):
        out.print(line, markup=False)
    _tables(a)
    if a.currency:
        out.print(f"Amounts converted into {a.currency} with the rules' rates.", markup=False)


def _tables(a: Analytics) -> None:
    section("Stages (deals there now)")
    table(
        [Col(("stage", "pipeline"), min_width=12), Col("kind", keep=True),
         Col("deals", keep=True, right=True), Col("value", right=True)],
        [[(s.stage, s.pipeline), s.kind, str(s.count), amounts(s.value)] for s in a.stages],
    )  # fmt: skip
    section("Conversion (furthest stage reached)")
    table(
        [Col("pipeline", min_width=10), Col("from", min_width=8), Col("to", min_width=8),
         Col("reached", keep=True, right=True), Col("rate", keep=True, right=True)],
        [[v.pipeline, v.from_stage, v.to_stage, f"{v.reached_from} -> {v.reached_to}",
          percent(v.rate)] for v in a.conversion],
    )  # fmt: skip
    section("Time in stage (completed stays)")
    table(
        [Col(("stage", "pipeline"), min_width=12), Col("stays", keep=True, right=True),
         Col("average days", keep=True, right=True)],
        [[(t.stage, t.pipeline), str(t.stays),
          "-" if t.average_days is None else f"{t.average_days:.1f}"] for t in a.time_in_stage],
    )  # fmt: skip
    for title, lines in (
        ("Losses by reason", a.losses_by_reason),
        ("Losses by last open stage", a.losses_by_stage),
    ):
        section(title)
        table(
            [Col("", min_width=12), Col("deals", keep=True, right=True), Col("value", right=True)],
            [[line.label, str(line.count), amounts(line.value)] for line in lines],
        )
    section("Owners")
    owner_rows: list[list[Cell]] = [
        [o.owner, str(o.counts.total), str(o.counts.open), str(o.counts.won),
         str(o.counts.lost), percent(o.counts.win_rate), amounts(o.counts.revenue)]
        for o in a.owners
    ]  # fmt: skip
    table(
        [Col("owner", min_width=12), *(Col(h, keep=True, right=True)
         for h in ("deals", "open", "won", "lost", "win rate")), Col("revenue", right=True)],
        owner_rows,
    )  # fmt: skip
    section("Forecast accuracy (weighted forecast at the month's start vs won)")
    table(
        [Col("month", keep=True), Col("forecast", right=True), Col("won", right=True),
         Col("accuracy", right=True)],
        [[f"{m.month:%Y-%m}", amounts(m.forecast_weighted), amounts(m.won),
          ", ".join(f"{percent(v)} {k}" for k, v in m.accuracy.items()) or "-"]
         for m in a.accuracy],
        "no month of the period is over yet",
    )  # fmt: skip
