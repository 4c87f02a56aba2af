"""`brevo-sync commission [--month YYYY-MM] [--owner EMAIL] [--json|--csv] [--explain DEAL]`."""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import typer

from brevo_sync.domain.rules.money import Money
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    plural,
    print_json,
    stderr,
    stdout,
)
from brevo_sync.entrypoints.cli.deals_cmd import lookup_notes
from brevo_sync.entrypoints.cli.tables import Cell, Col, print_table
from brevo_sync.errors import UsageError
from brevo_sync.service.commission import (
    CommissionReport,
    CommissionRequest,
    ShareLine,
    commission_report,
)
from brevo_sync.service.commission_explain import (
    CommissionExplanation,
    explain_commission,
    share_label,
)

HELP = """Seed 002's commission statement for the deals won in a month: each seller's share
of every won deal (10% NEW_LEAD -> QUALIFICATION, 20% QUALIFICATION -> NEEDS_ANALYSIS, 30%
NEEDS_ANALYSIS -> PROPOSAL, 40% PROPOSAL -> CLOSED_WON, as the rules file's `commission:`
says), read from the mirror's stage history, and each seller's totals. Reads the local mirror
only: no API key needed (except once per owner named by an e-mail the mirror does not know).

A share goes to whoever owned the deal at the move that earned it, so after a takeover the
earlier seller keeps what they earned; an automatic lead (its `source` is one of the rules'
`automatic_lead_sources`) pays no NEW_LEAD share. Amounts are each share's part of the deal
amount in the deal's currency, to the cent; totals are per seller and currency (currencies are
never added together). The month is a calendar month in UTC; without --month, the last
complete one. A deal is won in the month its won stage was entered. `--explain DEAL` shows
every move behind each figure of one deal, whatever its month. Examples:

    brevo-sync commission

    brevo-sync commission --month 2026-10 --owner ana@example.com

    brevo-sync commission --month 2026-10 --csv > commission-2026-10.csv

    brevo-sync commission --explain 61a5c0ffee0123456789abcd
"""

LINE_COLUMNS = (
    Col("seller", min_width=12),
    Col(("deal", "name"), min_width=20),
    Col(("share", "earned"), min_width=14),
    Col("%", keep=True, right=True),
    Col("amount", keep=True, right=True),
)
TOTAL_COLUMNS = (
    Col("seller", min_width=12),
    Col("deals", keep=True, right=True),
    Col("total", keep=True, right=True),
)
CSV_FIELDS = (
    "seller", "seller_id", "deal_id", "deal_name", "pipeline", "won_at", "from_stage",
    "to_stage", "percent", "earned_at", "currency", "deal_amount", "amount",
)  # fmt: skip


def amount_text(value: Decimal | None, currency: str | None) -> str:
    return "" if value is None else f"{value:,.2f} {currency or ''}".rstrip()


def money_text(value: Money | None) -> str:
    return "" if value is None else amount_text(value.amount, value.currency)


def two_places(value: Decimal | None) -> float | None:
    """JSON numbers with two decimals (amounts are exact until shown)."""
    return None if value is None else float(round(value, 2))


def per_currency(amounts: Mapping[str, Decimal]) -> dict[str, float | None]:
    return {currency: two_places(value) for currency, value in amounts.items()}


def percent_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def line_json(line: ShareLine) -> dict[str, Any]:
    return {
        "seller": line.seller_name,
        "seller_id": line.seller,
        "deal_id": line.deal_id,
        "deal_name": line.deal_name,
        "pipeline": line.pipeline,
        "won_at": line.won_at.isoformat(),
        "from_stage": line.from_stage,
        "to_stage": line.to_stage,
        "percent": float(line.percent),
        "earned_at": line.earned_at.isoformat(),
        "currency": line.deal_amount.currency if line.deal_amount else None,
        "deal_amount": two_places(line.deal_amount.amount) if line.deal_amount else None,
        "amount": two_places(line.amount.amount) if line.amount else None,
    }


def report_json(report: CommissionReport) -> dict[str, Any]:
    return {
        "database": report.database,
        "month": report.period.month,
        "from": report.period.start.isoformat(),
        "to": report.period.end.isoformat(),
        "owner": report.owner,
        "won_deals": report.won_deals,
        "sellers": [
            {
                "seller": s.seller_name,
                "seller_id": s.seller,
                "deals": s.deals,
                "totals": per_currency(s.amounts),
            }
            for s in report.sellers
        ],
        "totals": per_currency(report.totals),
        "lines": [line_json(line) for line in report.lines],
        "without_rules": report.without_rules,
        "without_amount": report.without_amount,
        "without_shares": report.without_shares,
    }


def print_csv(report: CommissionReport) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for line in report.lines:
        row = line_json(line)
        for key in ("deal_amount", "amount"):
            row[key] = "" if row[key] is None else f"{row[key]:.2f}"
        row["percent"] = percent_text(line.percent)
        writer.writerow(row)


def notes(report: CommissionReport) -> list[str]:
    """What the statement leaves out, and why: nothing is dropped without a word."""
    out = []
    if report.empty_mirror:
        out.append("The mirror has no pipelines yet: run `brevo-sync pull` to fill it.")
    elif not report.commission_pipelines:
        out.append("No mirrored pipeline has commission rules (the rules file's `commission:`).")
    for pipeline, count in sorted(report.without_rules.items()):
        out.append(f"{plural(count, 'won deal')} in {pipeline}: no commission rules there.")
    if report.without_shares:
        out.append(
            f"{plural(len(report.without_shares), 'won deal')} earned no share (the mirror saw "
            f"no move of theirs into a paid stage): {', '.join(report.without_shares)}; "
            "--explain DEAL shows why."
        )
    if report.without_amount:
        out.append(
            f"{plural(len(report.without_amount), 'won deal')} without an amount (shares "
            f"listed, nothing to pay): {', '.join(report.without_amount)}."
        )
    return out + lookup_notes(report.looked_up, report.requests)


def show_report(report: CommissionReport) -> None:
    period = f"{report.period.month} (UTC)"
    who = f" for {report.owner}" if report.owner else ""
    if report.lines:
        rows: list[list[Cell]] = [
            [
                line.seller_name,
                (line.deal_id, line.deal_name or ""),
                (f"{line.from_stage} -> {line.to_stage}", f"{line.earned_at:%Y-%m-%d}"),
                percent_text(line.percent),
                money_text(line.amount) or "(no amount)",
            ]
            for line in report.lines
        ]
        stdout.print(f"Commission{who} on deals won in {period}", markup=False)
        print_table(stdout, LINE_COLUMNS, rows)
        totals: list[list[Cell]] = [
            [s.seller_name, str(s.deals), amount_text(v, c)]
            for s in report.sellers
            for c, v in (s.amounts.items() or [("", None)])
        ]
        stdout.print("\nTotals per seller and currency", markup=False)
        print_table(stdout, TOTAL_COLUMNS, totals)
        stdout.print(
            f"{plural(len(report.sellers), 'seller')}, {plural(report.won_deals, 'won deal')} "
            f"with commission rules in {period}, from {report.database}",
            markup=False,
        )
    else:
        stdout.print(
            f"No commission{who} on deals won in {period} in {report.database} "
            f"({plural(report.won_deals, 'won deal')} with commission rules).",
            markup=False,
        )
    for note in notes(report):
        stdout.print(note, markup=False)


def explanation_json(e: CommissionExplanation) -> dict[str, Any]:
    return {
        "database": e.database,
        "deal_id": e.deal_id,
        "deal_name": e.deal_name,
        "pipeline": e.pipeline,
        "stage": e.stage,
        "owner": e.owner_name,
        "currency": e.amount.currency if e.amount else None,
        "amount": two_places(e.amount.amount) if e.amount else None,
        "won": e.won,
        "won_at": e.won_at.isoformat() if e.won_at else None,
        "month": e.month,
        "deleted": e.deleted,
        "payable": e.payable,
        "automatic_lead": e.automatic_lead,
        "source": e.source,
        "moves": [
            {
                "at": m.at.isoformat(),
                "from_stage": m.from_stage,
                "to_stage": m.to_stage,
                "owner": m.seller_name,
                "source": m.source,
                "earned": list(m.earned),
            }
            for m in e.moves
        ],
        "shares": [
            {
                "from_stage": s.from_stage,
                "to_stage": s.to_stage,
                "percent": float(s.percent),
                "seller": s.seller_name,
                "earned_at": s.at.isoformat() if s.at else None,
                "amount": two_places(s.amount.amount) if s.amount else None,
                "reason": s.reason,
            }
            for s in e.shares
        ],
        "totals": [
            {"seller": name, "currency": m.currency, "amount": two_places(m.amount)}
            for name, m in e.totals
        ],
    }


def _state(e: CommissionExplanation) -> str:
    if e.deleted:
        return "deleted in Brevo: pays nothing"
    if not e.has_rules:
        return f"no commission rules for {e.pipeline} / {e.stage}: pays nothing"
    if e.won and e.won_at:
        return f"won {e.won_at:%Y-%m-%d %H:%M} UTC: paid in the statement for {e.month}"
    return "not won (yet): shares earned so far, payable once it is won"


def show_explanation(e: CommissionExplanation) -> None:
    head = [
        f"Deal {e.deal_id}  {e.deal_name or ''}".rstrip(),
        f"  {e.pipeline} / {e.stage}, {money_text(e.amount) or 'no amount'}, "
        f"owner {e.owner_name or 'none'}",
        f"  {_state(e)}",
    ]
    if e.automatic_lead:
        head.append(f"  automatic lead (source {e.source!r}): no share for NEW_LEAD")
    stdout.print("\n".join(head), markup=False)
    stdout.print("\nMoves (the mirror's stage history, oldest first)", markup=False)
    if not e.moves:
        stdout.print("  none recorded", markup=False)
    for m in e.moves:
        move = f"{m.from_stage} -> {m.to_stage}" if m.from_stage else f"first seen in {m.to_stage}"
        earned = f"  earns {', '.join(m.earned)}" if m.earned else ""
        stdout.print(
            f"  {m.at:%Y-%m-%d %H:%M}  {move}  owner {m.seller_name} ({m.source}){earned}",
            markup=False,
        )
    stdout.print("\nShares", markup=False)
    if not e.shares:
        stdout.print("  none: the deal's pipeline has no commission rules", markup=False)
    for s in e.shares:
        label = share_label(s.percent, s.from_stage, s.to_stage)
        if s.seller_name is None or s.at is None:
            stdout.print(f"  {label}: not earned: {s.reason}", markup=False)
            continue
        pays = f" = {money_text(s.amount)}" if s.amount else ""
        stdout.print(f"  {label}: {s.seller_name} on {s.at:%Y-%m-%d}{pays}", markup=False)
    if e.totals:
        stdout.print("\nTotals", markup=False)
        for name, total in e.totals:
            stdout.print(f"  {name}: {money_text(total)}", markup=False)


def register(app: typer.Typer) -> None:
    @app.command(
        "commission",
        help=HELP,
        short_help="Seed 002's commission statement per seller for a month (--explain DEAL).",
    )
    def commission_command(
        month: str | None = typer.Option(
            None, help="Calendar month YYYY-MM (UTC); default: the last complete month."
        ),
        owner: str | None = typer.Option(
            None, help="Only this seller's shares: Brevo user id or e-mail."
        ),
        explain: str | None = typer.Option(
            None, metavar="DEAL", help="Every move behind one deal's figures (a deal id)."
        ),
        as_json: bool = JsonOption,
        as_csv: bool = typer.Option(False, "--csv", help="One CSV row per share."),
    ) -> None:
        if as_json and as_csv:
            raise UsageError("--json and --csv: choose one")
        if explain is not None and as_csv:
            raise UsageError("--explain shows one deal as text or --json; --csv is for statements")
        container = build_container(writes=False)
        try:
            ctx = container.context
            if explain is not None:
                explained = explain_commission(ctx, explain)
            else:
                report = commission_report(ctx, CommissionRequest(month=month, owner=owner))
        finally:
            container.close()
        if explain is not None:
            if as_json:
                print_json(explanation_json(explained))
            else:
                show_explanation(explained)
            return
        if as_json or as_csv:
            if as_json:
                print_json(report_json(report))
            else:
                print_csv(report)
            for note in lookup_notes(report.looked_up, report.requests):
                stderr.print(note, markup=False)
            return
        show_report(report)
