"""`brevo-sync tokens add|list|revoke`: the ops API's bearer tokens."""

from __future__ import annotations

from typing import Any

import typer

from brevo_sync.domain.tokens import ApiToken
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    fmt_time,
    plural,
    print_json,
    stderr,
    stdout,
)
from brevo_sync.entrypoints.cli.marked import print_marked
from brevo_sync.entrypoints.cli.tables import Col, print_table
from brevo_sync.service.tokens import add_token, list_tokens, revoke_token

HELP = """Bearer tokens of the ops API (`brevo-sync serve`: /deals, /alerts, /forecast, ...).

A token stands for one person of the rules file, with a role of its `roles:` (what they see
and whose deals they may move, seed 002) and a team of its `teams:`. The token is printed
once, by `tokens add`; the mirror keeps only its SHA-256. Send it as
`Authorization: Bearer <token>`.
"""

ADD_HELP = """Make a token for a person and print it once (keep it now: it is not shown again).

The role must be one of the rules file's roles (sales_rep, team_lead, sales_manager, admin,
viewer in the packaged rules); `--team` one of its teams that lists the person (default:
their team, when the rules list them in exactly one). Examples:

    brevo-sync tokens add dashboard --user ana@example.com --role sales_manager

    brevo-sync tokens add ben-laptop --user ben@example.com --role team_lead --team north
"""

LIST_HELP = """List the tokens (never the tokens themselves): name, id, person, role, team,
when made, last used and revoked."""

REVOKE_HELP = """Revoke a token by name or id; requests with it are refused (401) from now on.
Revoking twice changes nothing. Example:

    brevo-sync tokens revoke ben-laptop
"""


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "user": token.user_email,
        "role": token.role,
        "team": token.team,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "active": token.active,
    }


def register(app: typer.Typer) -> None:
    tokens_app = typer.Typer(help=HELP, no_args_is_help=True)

    @tokens_app.command("add", help=ADD_HELP, short_help="Make a token; printed once.")
    def add_command(
        name: str = typer.Argument(..., help="A name for the token (who or what uses it)."),
        user: str = typer.Option(..., "--user", help="The person's e-mail."),
        role: str = typer.Option(..., "--role", help="A role of the rules file."),
        team: str | None = typer.Option(None, "--team", help="A team of the rules file."),
        as_json: bool = JsonOption,
    ) -> None:
        container = build_container()
        try:
            issued = add_token(container.context, name, user=user, role=role, team=team)
        finally:
            container.close()
        if as_json:
            print_json({**token_json(issued.token), "token": issued.secret})
        else:
            t = issued.token
            team_note = f", team {t.team}" if t.team else ""
            stdout.print(
                f"Token '{t.name}' (#{t.id}) for {t.user_email}, role {t.role}{team_note}:",
                markup=False,
            )
            stdout.print(issued.secret, markup=False)
            stdout.print(
                "Keep it now: it is not shown again (the mirror keeps only its hash). "
                "Send it as `Authorization: Bearer <token>`.",
                markup=False,
            )
        for warning in issued.warnings:
            stderr.print(f"warning: {warning}", markup=False)

    @tokens_app.command("list", help=LIST_HELP, short_help="The tokens, never the secrets.")
    def list_command(as_json: bool = JsonOption) -> None:
        container = build_container(writes=False)
        try:
            listing = list_tokens(container.context)
        finally:
            container.close()
        if as_json:
            print_json([token_json(t) for t in listing.tokens])
            return
        rows: list[list[Any]] = [
            [
                (f"#{t.id}", t.name),
                t.user_email,
                (t.role, t.team or ""),
                (fmt_time(t.created_at), fmt_time(t.last_used_at)),
                "active" if t.active else f"revoked {fmt_time(t.revoked_at)}",
            ]
            for t in listing.tokens
        ]
        if rows:
            columns = (
                Col(("id", "name"), min_width=12),
                Col("user", min_width=12),
                Col(("role", "team"), min_width=10),
                Col(("created", "last used"), keep=True),
                Col("state"),
            )
            print_table(stdout, columns, rows)
        active = sum(1 for t in listing.tokens if t.active)
        stdout.print(
            f"{plural(len(listing.tokens), 'token')}, {active:,} active, in {listing.database}",
            markup=False,
        )

    @tokens_app.command("revoke", help=REVOKE_HELP, short_help="Revoke a token.")
    def revoke_command(
        ref: str = typer.Argument(..., metavar="NAME|ID", help="The token's name or id."),
        as_json: bool = JsonOption,
    ) -> None:
        container = build_container(writes=False)  # an existing mirror: never create one
        try:
            done = revoke_token(container.context, ref)
        finally:
            container.close()
        t = done.token
        print_marked(
            token_json(t),
            already=done.already,
            subject=f"Token '{t.name}' (#{t.id})",
            marked="revoked",
            at=t.revoked_at,
            as_json=as_json,
        )

    app.add_typer(tokens_app, name="tokens")
