"""`brevo-sync sandbox`: serve a seeded, in-memory Brevo API on this machine.

Heavy imports (uvicorn, the sandbox) happen inside the command, so `brevo-sync --help`
stays fast and registering the command costs nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from brevo_sync.sandbox import SandboxState

HELP = """Run a local Brevo API sandbox: an in-memory emulator of Brevo's REST API v3
(deals, pipelines, attributes, companies, tasks, notes, loyalty) seeded with deterministic
sample deals, for demos, end-to-end tests and benchmarks. Nothing leaves this machine.

Point brevo-sync (or any Brevo client) at the printed base URL and key:

  BREVO_BASE_URL=http://127.0.0.1:8765/v3  BREVO_API_KEY=sandbox-key

It behaves like Brevo where it matters to a sync: `api-key` header (401 otherwise),
`x-sib-ratelimit-*` headers and 429 over the budget, offset paging without totals,
`modifiedSince` filtering, Brevo's error bodies. Test switches live under /_sandbox
(no key needed): POST /_sandbox/faults injects errors, delays, dropped connections and
repeated pages; GET /_sandbox/stats counts requests by endpoint; POST /_sandbox/quirks
switches Brevo's odd or unverified ways at run time (the quirk options below set them at
start-up).
"""

EPILOG = """Examples:

  brevo-sync sandbox                                  500 deals, no rate limit

  brevo-sync sandbox --deals 200000 --seed 7          a big account for benchmarks

  brevo-sync sandbox --requests-per-hour 100          Brevo's general-plan CRM budget

  brevo-sync sandbox --requests-per-hour 5 --window-seconds 10   feel 429s quickly

  brevo-sync sandbox --over-limit clamp --date-offset +05:30   an odder Brevo to test against

Same --seed and --deals on the same day give the same data, byte for byte.
Stop with Ctrl-C.
"""


class OverLimitChoice(StrEnum):
    refuse = "refuse"
    clamp = "clamp"


def sandbox(
    host: Annotated[
        str, typer.Option(help="Interface to listen on. Keep 127.0.0.1 unless you need LAN access.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on (0 picks a free one).")] = 8765,
    seed: Annotated[int, typer.Option(help="Seed of the sample data: same seed, same deals.")] = 42,
    deals: Annotated[
        int, typer.Option(min=0, help="How many sample deals to create (200,000 takes seconds).")
    ] = 500,
    requests_per_hour: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Budget of the CRM bucket (/crm/*, /companies) per window. "
            "Brevo allows 100 on the general plan. Default: unlimited "
            "(headers still sent, with a huge limit).",
        ),
    ] = None,
    loyalty_requests_per_hour: Annotated[
        int | None,
        typer.Option(min=1, help="Budget of the separate /loyalty/* bucket. Default: unlimited."),
    ] = None,
    window_seconds: Annotated[
        float,
        typer.Option(
            min=0.001,
            help="Length of the rate-limit window. Brevo's is an hour; shrink it to watch "
            "429s and resets happen.",
        ),
    ] = 3600.0,
    max_limit: Annotated[
        int,
        typer.Option(
            min=0,
            help="Largest `limit` of list endpoints; 0 means no maximum. Brevo's real "
            "maximum is unverified; 100 is the cautious guess. See --over-limit.",
        ),
    ] = 100,
    over_limit: Annotated[
        OverLimitChoice,
        typer.Option(
            case_sensitive=False,
            help="Quirk: a `limit` above --max-limit is refused with 400 (refuse) or "
            "silently served as --max-limit items (clamp, no error, no header). Brevo's "
            "behaviour is unknown: a client must cope with both.",
        ),
    ] = OverLimitChoice.refuse,
    date_offset: Annotated[
        str | None,
        typer.Option(
            help="Quirk: render deal date-times in this UTC offset (e.g. +05:30) instead of "
            "Z: timestamps as the same instant, date attributes (close_date) as local "
            "midnight of the same day. Default: UTC with Z.",
        ),
    ] = None,
    message_only_errors: Annotated[
        bool,
        typer.Option(
            "--message-only-errors",
            help="Quirk: every error body is {message} without code (newer Brevo responses "
            "look like that). Default: {code, message}, message only where Brevo documents it.",
        ),
    ] = False,
    no_rate_limit_headers: Annotated[
        bool,
        typer.Option(
            "--no-rate-limit-headers",
            help="Quirk: send no x-sib-ratelimit-* headers (429s still come when a budget is set).",
        ),
    ] = False,
    owner_emails: Annotated[
        bool,
        typer.Option(
            "--owner-emails",
            help="Quirk: store deal_owner as written (the sample deals get e-mails) instead "
            "of Brevo's user ids; the owner filter then compares the stored value.",
        ),
    ] = False,
    api_key: Annotated[
        str,
        typer.Option(
            help="The key clients must send in the `api-key` header. It is the sandbox's "
            "own throwaway key, printed at start-up: never reuse a real Brevo key here."
        ),
    ] = "sandbox-key",
) -> None:
    from brevo_sync.sandbox import SandboxState, serve_forever
    from brevo_sync.sandbox.quirks import offset_minutes

    if date_offset is not None:
        try:
            offset_minutes(date_offset)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--date-offset") from None
    state = SandboxState.seeded(
        seed=seed,
        deals=deals,
        api_key=api_key,
        requests_per_hour=requests_per_hour,
        loyalty_requests_per_hour=loyalty_requests_per_hour,
        window_seconds=window_seconds,
        max_page_limit=max_limit or None,
        over_limit="clamp" if over_limit is OverLimitChoice.clamp else "refuse",
        date_offset=date_offset,
        error_style="message_only" if message_only_errors else "code_and_message",
        rate_limit_headers=not no_rate_limit_headers,
        owner_ids=not owner_emails,
    )
    odd = _odd_quirks(state)

    def announce(base_url: str) -> None:
        budget = "unlimited" if requests_per_hour is None else f"{requests_per_hour}/window"
        typer.echo(
            f"Brevo sandbox at {base_url}  api-key: {api_key}  "
            f"({deals} deals, seed {seed}, CRM budget {budget}, "
            f"loyalty program {state.loyalty_program_id}{odd}) - Ctrl-C to stop"
        )

    try:
        serve_forever(state, host, port, announce=announce)
    except OSError as exc:
        typer.echo(f"cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(code=2) from None


def _odd_quirks(state: SandboxState) -> str:
    """The quirks that differ from the defaults, for the start-up line."""
    from brevo_sync.sandbox import Quirks

    default, now = Quirks().to_json(), state.quirks.to_json()
    changed = [f"{k}={v}" for k, v in now.items() if v != default[k]]
    return f", quirks: {' '.join(changed)}" if changed else ""


def register(app: typer.Typer) -> None:
    """Add the `sandbox` command to the brevo-sync CLI."""
    app.command("sandbox", help=HELP, epilog=EPILOG, rich_help_panel="Development")(sandbox)
