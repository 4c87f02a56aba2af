"""`brevo-sync deals advance` and `deals assign`: change a deal under the rules, through the
outbox (Brevo hears of it on the next `push`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import typer

from brevo_sync.domain.rules.permissions import Actor
from brevo_sync.entrypoints.cli.common import JsonOption, build_container, print_json, stdout
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.deal_changes import (
    ChangeRefused,
    ChangeResult,
    actor_of,
    advance_deal,
    assign_deal,
)

ADVANCE_HELP = """Move a deal to another stage of its pipeline, as the rules allow.

The rules engine checks the move first (the transition matrix, the fields the stage requires,
and, with `--as`, the person's permissions); a refused move changes nothing, exits 2 and
names every reason. An accepted move updates the mirror and queues, in one transaction, the
PATCH for Brevo (pipeline and stage together, probability, time of the change, previous
stage, close date on Won/Lost, lost reason) and the stage's actions (tasks for the deal's
owner, notes, loyalty points, conversion events). `brevo-sync plan` shows what that costs;
`brevo-sync push` sends it. No Brevo requests here.

Moving to a Lost stage needs `--reason` (it becomes the lost reason). Examples:

    brevo-sync deals advance 61a5c0ffee0c0ffee0c0ffee Proposal
    brevo-sync deals advance 61a5c0ffee0c0ffee0c0ffee 'closed lost' --reason 'price'
    brevo-sync deals advance 61a5... Negotiation --as ben@ex.com --role team_lead --reason cover
"""

ASSIGN_HELP = """Give a deal to another seller (by e-mail), under seed 002's seller protection.

With `--as` (the person asking, with `--role`), a deal still inside its protection window is
refused with the reason and the date the window ends; a team lead or manager reassigning is a
decision and goes through. The earlier seller keeps the commission shares already earned
(they follow the stage history) and is told with a note on the deal. Queued for `push`.
"""


def _print(result: ChangeResult, as_json: bool) -> None:
    if as_json:
        print_json(asdict(result))
        return
    stdout.print(
        f"Deal {result.deal_id} ({result.deal_name or 'no name'}): {result.change}", markup=False
    )
    for warning in result.warnings:
        stdout.print(f"  warning: {warning}", markup=False)
    stdout.print(
        f"Queued {result.queued} outbox row(s) for Brevo; `brevo-sync plan` shows the cost, "
        "`brevo-sync push` sends them.",
        markup=False,
    )


def _refused(exc: ChangeRefused, as_json: bool) -> None:
    if as_json:
        print_json({"refused": True, "reasons": list(exc.reasons)})
    else:
        typer.echo(f"brevo-sync: {str(exc).split(':')[0]}:", err=True)
        for reason in exc.reasons:
            typer.echo(f"  - {reason}", err=True)
    raise typer.Exit(2)


Change = Callable[[ServiceContext, Actor], ChangeResult]


def _run(change: Change, as_email: str | None, role: str | None, as_json: bool) -> None:
    """One change as the person given (or brevo-sync itself), printed; refused: exit 2."""
    container = build_container()
    try:
        ctx = container.context
        result = change(ctx, actor_of(ctx, as_email, role))
    except ChangeRefused as exc:
        _refused(exc, as_json)
        return
    finally:
        container.close()
    _print(result, as_json)


AsOption = typer.Option(None, "--as", help="Who makes the change (e-mail).")
RoleOption = typer.Option(None, help="Their role in the rules file (default sales_rep).")


def register(deals_app: typer.Typer) -> None:
    @deals_app.command("advance", help=ADVANCE_HELP)
    def advance_command(
        deal: str = typer.Argument(..., help="The deal's Brevo id."),
        stage: str = typer.Argument(
            ..., help="Stage name (any case) or id, in the deal's pipeline."
        ),
        reason: str | None = typer.Option(None, help="Why (the lost reason on a Lost stage)."),
        as_email: str | None = AsOption,
        role: str | None = RoleOption,
        as_json: bool = JsonOption,
    ) -> None:
        _run(
            lambda ctx, actor: advance_deal(ctx, deal, stage, actor=actor, reason=reason),
            as_email,
            role,
            as_json,
        )

    @deals_app.command("assign", help=ASSIGN_HELP)
    def assign_command(
        deal: str = typer.Argument(..., help="The deal's Brevo id."),
        email: str = typer.Argument(..., help="The new owner's e-mail."),
        reason: str | None = typer.Option(None, help="Why (told to the earlier seller)."),
        as_email: str | None = AsOption,
        role: str | None = RoleOption,
        as_json: bool = JsonOption,
    ) -> None:
        _run(
            lambda ctx, actor: assign_deal(ctx, deal, email, actor=actor, reason=reason),
            as_email,
            role,
            as_json,
        )
