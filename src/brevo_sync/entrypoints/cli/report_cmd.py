"""`brevo-sync report --html FILE`: one self-contained HTML page of the pipeline."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer

from brevo_sync.entrypoints.cli.common import JsonOption, build_container, plural, print_json
from brevo_sync.entrypoints.cli.common import stdout as out
from brevo_sync.entrypoints.report import write_report
from brevo_sync.service.report import WIN_RATE_MONTHS, ReportData, ReportRequest

DAY = ["%Y-%m-%d"]

HELP = f"""Write one HTML page with the forecast by close month and by stage, the funnel,
the win rate month by month, the time deals spend in each stage, the stale deals and the
open alerts. Reads the local mirror only: no Brevo request, no API key.

The page is one file that needs no network to open (charts are inline SVG, no script), reads
on a phone and prints on A4. Its figures are those of `brevo-sync forecast`, `analytics`,
`stale` and `alerts`: the forecast's period is --from/--to (default: today to the end of the
quarter), the win rate covers the last --months months (default {WIN_RATE_MONTHS}, this one
included), the funnel and the time in stage every live deal. Amounts are shown per currency,
never added across currencies. Examples:

    brevo-sync report --html report.html

    brevo-sync report --html renewals.html --pipeline renewals --months 12
"""


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def summary(data: ReportData, path: Path) -> str:
    total = data.forecast_total
    forecast = f"{plural(total.count, 'deal')} in the forecast" if total else "no forecast"
    alerts = data.alerts_open if data.alerts_open is not None else len(data.alerts)
    return (
        f"Wrote {path} ({path.stat().st_size / 1024:,.0f} KB) from {data.database}: {forecast}"
        f" ({data.forecast_period}), {plural(len(data.stale), 'stale deal')}, "
        f"{plural(alerts, 'open alert')}."
    )


def register(app: typer.Typer) -> None:
    @app.command(
        "report", help=HELP, short_help="One HTML page: forecast, funnel, win rate, alerts."
    )
    def report_command(
        html: Path = typer.Option(..., "--html", metavar="FILE", help="The page to write."),
        pipeline: str | None = typer.Option(None, help="Pipeline id or name (default: all)."),
        start: datetime | None = typer.Option(
            None, "--from", formats=DAY, help="Forecast: first close date (default: today)."
        ),
        end: datetime | None = typer.Option(
            None, "--to", formats=DAY, help="Forecast: last close date (default: quarter end)."
        ),
        months: int = typer.Option(
            WIN_RATE_MONTHS, min=1, max=60, help="Months of win rate, this one included."
        ),
        as_json: bool = JsonOption,
    ) -> None:
        request = ReportRequest(pipeline, _day(start), _day(end), months)
        container = build_container(writes=False)
        try:
            data = write_report(container.context, html, request)
        finally:
            container.close()
        if as_json:
            print_json(
                {
                    "file": str(html),
                    "bytes": html.stat().st_size,
                    "database": data.database,
                    "forecast_period": data.forecast_period,
                    "stale": len(data.stale),
                    "alerts_open": data.alerts_open,
                    "missing": data.missing,
                }
            )
            return
        out.print(summary(data, html), markup=False)
        for note in data.missing:
            out.print(f"Not shown: {note}", markup=False)
