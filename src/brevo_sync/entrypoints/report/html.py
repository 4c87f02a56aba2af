"""`render_report(data)`: the report as one self-contained HTML page (inline CSS and SVG).

Nothing is fetched when the page opens: no script, no font, no image, no chart library. Every
chart has its numbers in a table beside it; amounts stay per currency (one chart per currency:
bars in two currencies on one axis would compare numbers that mean different things).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from brevo_sync.entrypoints.report.style import CSS
from brevo_sync.entrypoints.report.svg import (
    Series,
    bar_chart,
    column_chart,
    funnel_chart,
    line_chart,
)
from brevo_sync.service.report import AmountBar, Amounts, ReportData

Cell = tuple[str, str]  # (text, css class)


def money(amount: Decimal | float | None, currency: str | None) -> str:
    if amount is None:
        return ""
    return f"{float(amount):,.2f} {currency or ''}".rstrip()


def amounts(values: Amounts) -> str:
    """One line per currency (`1,250.00 EUR` / `300.00 USD`); a dash when empty."""
    return "\n".join(money(v, c) for c, v in sorted(values.items())) or "–"


def _e(text: object) -> str:
    return escape(str(text))


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, stack: bool | None = None
) -> str:
    """A table; `stack` (by default: four columns or more) turns it into labelled cards on a
    phone, each cell naming its column. A header is right-aligned over numbers (`num`)."""
    stack = len(headers) >= 4 if stack is None else stack
    kinds = [css for _, css in rows[0]] if rows else ["" for _ in headers]
    head = "".join(
        f'<th class="{"num" if kind == "num" else ""}">{_e(h)}</th>'
        for h, kind in zip(headers, kinds, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{css}" data-label="{escape(h, quote=True)}">{_e(text)}</td>'
            for h, (text, css) in zip(headers, row, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    cls = ' class="stack"' if stack else ""
    return (
        f'<div class="scroll"><table{cls}><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _currencies(bars: Sequence[AmountBar]) -> list[str]:
    return sorted({c for b in bars for c in (*b.total, *b.weighted)})


def _series(bars: Sequence[AmountBar], currency: str) -> list[Series]:
    return [
        Series("total", [float(b.total.get(currency, 0)) for b in bars]),
        Series("weighted", [float(b.weighted.get(currency, 0)) for b in bars]),
    ]


def _section(title: str, body: str, sub: str = "", css: str = "card") -> str:
    note = f'<p class="sub">{_e(sub)}</p>' if sub else ""
    return f'<section class="{css}"><h2>{_e(title)}</h2>{note}{body}</section>'


def _empty(text: str) -> str:
    return f'<p class="empty">{_e(text)}</p>'


def _forecast_months(data: ReportData) -> str:
    bars = data.forecast_by_month
    if not bars:
        return _empty("No open deal closes in the period.")
    parts = []
    for currency in _currencies(bars):
        shown = [b for b in bars if currency in b.total or currency in b.weighted]
        parts.append(f"<h3>{_e(currency)}</h3>")
        title = f"Forecast by close month in {currency}: total and weighted"
        parts.append(column_chart([b.label for b in shown], _series(shown, currency), title))
    rows = [
        [
            (b.label, ""),
            (str(b.count), "num"),
            (amounts(b.total), "num"),
            (amounts(b.weighted), "num"),
        ]
        for b in bars
    ]
    parts.append(table(["month", "deals", "total", "weighted"], rows))
    return "".join(parts)


def _forecast_stages(data: ReportData) -> str:
    bars = data.forecast_by_stage
    if not bars:
        return _empty("No open deal closes in the period.")
    charts = []
    for currency in _currencies(bars):
        shown = [b for b in bars if currency in b.total or currency in b.weighted]
        title = f"Forecast by stage in {currency}: total and weighted"
        chart = bar_chart([b.label for b in shown], _series(shown, currency), title)
        charts.append(f"<div><h3>{_e(currency)}</h3>{chart}</div>")
    parts = [f'<div class="multi">{"".join(charts)}</div>']
    rows = [
        [
            (b.label, ""),
            (str(b.count), "num"),
            (amounts(b.total), "num"),
            (amounts(b.weighted), "num"),
        ]
        for b in bars
    ]
    parts.append(table(["stage", "deals", "total", "weighted"], rows))
    return "".join(parts)


def _funnels(data: ReportData) -> str:
    if not data.funnels:
        return _empty("No deal has a stage history yet.")
    cells = []
    for funnel in data.funnels:
        title = f"Funnel of {funnel.pipeline}: deals that reached each stage"
        rows, previous = [], None
        for stage, count in funnel.steps:
            rate = f"{100 * count / previous:.1f}%" if previous else ""
            rows.append([(stage, ""), (f"{count:,}", "num"), (rate, "num")])
            previous = count
        cells.append(
            f"<div><h3>{_e(funnel.pipeline)}</h3>{funnel_chart(funnel.steps, title)}"
            f"{table(['stage', 'reached', 'conversion'], rows)}</div>"
        )
    return f'<div class="multi">{"".join(cells)}</div>'


def _win_rate(data: ReportData) -> str:
    points = data.win_rate
    if not any(p.rate is not None for p in points):
        return _empty("No deal was won or lost in these months.")
    chart = line_chart([p.month for p in points], [p.rate for p in points], "Win rate by month")
    rows = [
        [
            (p.month, ""),
            (str(p.won), "num"),
            (str(p.lost), "num"),
            ("–" if p.rate is None else f"{p.rate:.1f}%", "num"),
        ]
        for p in points
    ]
    return chart + table(["month", "won", "lost", "win rate"], rows)


def _time_in_stage(data: ReportData) -> str:
    dwell = [d for d in data.time_in_stage if d.average_days is not None]
    if not dwell:
        return _empty("No completed stay in a stage yet.")
    chart = bar_chart(
        [d.label for d in dwell],
        [Series("average days", [d.average_days for d in dwell])],
        "Average days in each stage",
        unit=" d",
        markers=[None if d.max_days is None else float(d.max_days) for d in dwell],
        marker_name="the rules' maximum",
    )
    rows = [
        [
            (d.label, ""),
            (str(d.stays), "num"),
            (f"{d.average_days:.1f}", "num"),
            ("" if d.max_days is None else str(d.max_days), "num"),
        ]
        for d in dwell
    ]
    return chart + table(["stage", "stays", "average days", "maximum days"], rows)


def _stale(data: ReportData) -> str:
    if data.stale_rule is None:
        return _empty("No stale rule is configured.")
    if not data.stale:
        return _empty("No deal is stale.")
    rows = [
        [
            (s.deal_id, "id"),
            (s.name, ""),
            (money(s.amount, s.currency), "num"),
            ("" if s.days is None else str(s.days), "num"),
            (s.stage, ""),
            (s.owner, ""),
        ]
        for s in data.stale
    ]
    return table(["deal", "name", "amount", "days", "stage", "owner"], rows, stack=True)


def _alerts(data: ReportData) -> str:
    if not data.alerts:
        return _empty("No open alert.")
    rows = [
        [
            (f"#{a.alert_id}", "num"),
            (f"{a.raised_at:%Y-%m-%d}", ""),
            (a.deal_name or a.deal_id, ""),
            (a.reason, ""),
            (a.recipient, ""),
        ]
        for a in data.alerts
    ]
    more = (
        _empty("More open alerts: `brevo-sync alerts --open` lists them all.")
        if data.alerts_more
        else ""
    )
    return table(["alert", "raised", "deal", "why", "tell"], rows, stack=True) + more


def _kpis(data: ReportData) -> str:
    cards: list[tuple[str, str, str]] = []
    if data.forecast_total is not None:
        t = data.forecast_total
        cards.append(
            ("Pipeline total", amounts(t.total), f"{t.count:,} deals closing in the period")
        )
        cards.append(("Weighted forecast", amounts(t.weighted), "amount × probability"))
    if data.forecast_undated is not None and data.forecast_undated.count:
        cards.append(
            (
                "Without close date",
                f"{data.forecast_undated.count:,} deals",
                amounts(data.forecast_undated.total),
            )
        )
    rated = [p for p in data.win_rate if p.rate is not None]
    if rated:
        last = rated[-1]
        cards.append(
            ("Win rate", f"{last.rate:.1f}%", f"{last.month}: {last.won} won, {last.lost} lost")
        )
    cards.append(("Stale deals", f"{len(data.stale):,}", data.stale_rule or "no rule configured"))
    shown = data.alerts_open if data.alerts_open is not None else len(data.alerts)
    cards.append(("Open alerts", f"{shown:,}", "raised by the time rules"))
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi"><div class="label">{_e(label)}</div>'
            f'<div class="value">{_e(value)}</div><div class="note">{_e(note)}</div></div>'
            for label, value, note in cards
        )
        + "</div>"
    )


def render_report(data: ReportData) -> str:
    period = f"Forecast period {data.forecast_period}. " if data.forecast_period else ""
    missing = ""
    if data.missing:
        items = "".join(f"<li>{_e(m)}</li>" for m in data.missing)
        missing = _section("Not shown", f"<ul>{items}</ul>", css="card missing")
    months = _section(
        "Forecast by close month",
        _forecast_months(data),
        "open deals, not lost; weighted = amount × probability",
    )
    win_rate = _section(
        "Win rate over time", _win_rate(data), "won / (won + lost) of the deals closed each month"
    )
    forecast = f'<div class="grid2">{months}{win_rate}</div>' + _section(
        "Forecast by stage", _forecast_stages(data), "open deals closing in the period"
    )
    flow = _section("Funnel", _funnels(data), "deals that reached each stage (or a later one)")
    body = "".join(
        [
            f'<header class="top"><h1>{_e(data.title)}</h1>',
            f'<p class="meta">{_e(period)}Generated {data.generated_at:%Y-%m-%d %H:%M} UTC '
            f"from {_e(data.database)}.</p></header>",
            _kpis(data),
            missing,
            forecast,
            flow,
            _section(
                "Time in stage", _time_in_stage(data), "completed stays, from the stage history"
            ),
            _section("Stale deals", _stale(data), data.stale_rule or ""),
            _section("Open alerts", _alerts(data), "newest first"),
            "<footer>brevo-sync report: one file, no network needed; amounts per currency, "
            "never added across currencies.</footer>",
        ]
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(data.title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
