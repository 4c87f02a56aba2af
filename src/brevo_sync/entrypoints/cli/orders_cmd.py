"""`brevo-sync orders import FILE`: orders and subscriptions (JSON lines) into deals, once."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, get_args

import typer

from brevo_sync.entrypoints.cli.common import JsonOption, build_container, plural, print_json
from brevo_sync.entrypoints.cli.common import stderr as err
from brevo_sync.entrypoints.cli.common import stdout as out
from brevo_sync.entrypoints.cli.tables import Col, print_table
from brevo_sync.errors import UsageError
from brevo_sync.service.orders import (
    ImportReport,
    OrderOutcome,
    Outcome,
    ReceiveReport,
    import_orders,
)

IMPORT_HELP = """Read orders and subscriptions from FILE (JSON lines, one object a line; `-`
reads standard input) and turn them into deals by the rules file's commerce section (seed
000: 5,000 or more, or any B2B order; a subscription's renewal deal 90 days before it
expires). An order is identified by its shop and id: the same order imported twice, or from
two files, is recorded once and makes one deal. A customer who already has an open deal with
a seller: the new deal goes to that seller, who is told.

Writes the mirror only (it is created if missing) and spends no Brevo request: the deals are
queued in the outbox; run `brevo-sync push` to send them. Deals need the rules' pipelines
and stages in the mirror: run `brevo-sync pull` first.

A bad line is reported with its number and field, and skipped. Exit code: 0 every line read,
1 some lines refused (the others were imported), 2 nothing could be read (or the stages are
not in the mirror; nothing recorded then).
"""

OUTCOME_WORDS = {  # (one, many)
    "deal": ("deal", "deals"),
    "no_deal": ("no deal", "no deal"),
    "waiting": ("waiting", "waiting"),
    "already_received": ("already received", "already received"),
    "extended": ("extended", "extended"),
}


def _read_lines(file: str) -> list[str]:
    if file == "-":
        return sys.stdin.read().splitlines()
    path = Path(file)
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise UsageError(f"cannot read {file}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read {file}: it is a folder") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {file}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None


def outcome_json(outcome: OrderOutcome) -> dict[str, Any]:
    return asdict(outcome)


def counts(report: ReceiveReport) -> dict[str, int]:
    return {outcome: report.count(outcome) for outcome in get_args(Outcome)}


def describe_outcome(o: OrderOutcome) -> str:
    text = o.reason
    if o.first_seller:
        text += f" ({o.first_seller_email or 'user ' + o.first_seller})"
    return text


def _summary(report: ImportReport) -> list[str]:
    received, parsed = report.received, report.parsed
    tally = [f"{n:,} {OUTCOME_WORDS[key][n != 1]}" for key, n in counts(received).items() if n]
    refused = {p.line for p in parsed.problems}
    ending = f"; {plural(len(refused), 'line')} refused." if refused else "."
    read = f"Read {plural(len(parsed.orders), 'order')} from {report.source}"
    lines = [f"{read}: {', '.join(tally) or 'nothing to do'}{ending}"]
    if received.dry_run:
        lines.append(
            f"Dry run: nothing recorded; {plural(received.rows, 'outbox row')} would be queued."
        )
    elif received.rows:
        lines.append(
            f"Queued {plural(received.rows, 'outbox row')}: run `brevo-sync push` to send them."
        )
    else:
        lines.append("Nothing new to send.")
    return lines


def exit_code(report: ImportReport) -> int:
    if report.parsed.problems and not report.parsed.orders:
        return 2
    return 1 if report.parsed.problems else 0


def register(app: typer.Typer) -> None:
    orders_app = typer.Typer(
        help="Orders and subscriptions into deals: `orders import FILE` (no Brevo requests).",
        no_args_is_help=True,
    )

    @orders_app.command("import", help=IMPORT_HELP)
    def import_command(
        file: str = typer.Argument(..., help="JSON lines of orders; `-` for standard input."),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Decide and report, record and queue nothing."
        ),
        as_json: bool = JsonOption,
    ) -> None:
        lines = _read_lines(file)
        source = "file:stdin" if file == "-" else f"file:{Path(file).name}"
        container = build_container(writes=not dry_run)  # a dry run creates no mirror
        try:
            report = import_orders(container.context, lines, source=source, dry_run=dry_run)
        finally:
            container.close()
        code = exit_code(report)
        if as_json:
            print_json(
                {
                    "source": report.source,
                    "dry_run": dry_run,
                    "orders": [
                        {"line": line, **outcome_json(o)}
                        for line, o in zip(report.lines, report.received.outcomes, strict=True)
                    ],
                    "refused": [asdict(p) for p in report.parsed.problems],
                    "counts": counts(report.received),
                    "decisions": report.received.decisions,
                    "outbox_rows": report.received.rows,
                    "exit_code": code,
                }
            )
        else:
            _print_text(report)
        if code:
            raise typer.Exit(code)

    app.add_typer(orders_app, name="orders")


def _print_text(report: ImportReport) -> None:
    rows = [
        (str(line), f"{o.shop}/{o.order_id}", OUTCOME_WORDS[o.outcome][0], describe_outcome(o))
        for line, o in zip(report.lines, report.received.outcomes, strict=True)
    ]
    if rows:
        cols = [Col("line", keep=True, right=True), Col("order", keep=True)]
        cols += [Col("outcome"), Col("why")]
        print_table(out, cols, rows)
    for problem in report.parsed.problems:
        err.print(f"refused: {problem}", markup=False)
    for line in _summary(report):
        out.print(line, markup=False)
