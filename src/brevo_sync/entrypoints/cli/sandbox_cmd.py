"""`brevo-sync sandbox`: serve a seeded, in-memory Brevo API on this machine.

Heavy imports (uvicorn, the sandbox) happen inside the command, so `brevo-sync --help`
stays fast and registering the command costs nothing.
"""

from __future__ import annotations

from typing import Annotated

import typer

HELP = """Run a local [bold]Brevo API sandbox[/bold]: an in-memory emulator of Brevo's REST API v3
(deals, pipelines, attributes, companies, tasks, notes, loyalty) seeded with deterministic
sample deals, for demos, end-to-end tests and benchmarks. Nothing leaves this machine.

Point brevo-sync (or any Brevo client) at the printed base URL and key:

  BREVO_BASE_URL=http://127.0.0.1:8765/v3  BREVO_API_KEY=sandbox-key

It behaves like Brevo where it matters to a sync: `api-key` header (401 otherwise),
`x-sib-ratelimit-*` headers and 429 over the budget, offset paging without totals,
`modifiedSince` filtering, Brevo's error bodies. Test switches live under /_sandbox
(no key needed): POST /_sandbox/faults injects errors, delays and dropped connections;
GET /_sandbox/stats counts requests by endpoint.
"""

EPILOG = """Examples:

  brevo-sync sandbox                                  500 deals, no rate limit

  brevo-sync sandbox --deals 200000 --seed 7          a big account for benchmarks

  brevo-sync sandbox --requests-per-hour 100          Brevo's general-plan CRM budget

  brevo-sync sandbox --requests-per-hour 5 --window-seconds 10   feel 429s quickly

Same --seed and --deals on the same day give the same data, byte for byte.
Stop with Ctrl-C.
"""


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
            min=1,
            help="Largest `limit` accepted by list endpoints (400 above). Brevo's real "
            "maximum is unverified; 100 is the cautious guess.",
        ),
    ] = 100,
    api_key: Annotated[
        str,
        typer.Option(
            help="The key clients must send in the `api-key` header. It is the sandbox's "
            "own throwaway key, printed at start-up: never reuse a real Brevo key here."
        ),
    ] = "sandbox-key",
) -> None:
    from brevo_sync.sandbox import SandboxState, serve_forever

    state = SandboxState.seeded(
        seed=seed,
        deals=deals,
        api_key=api_key,
        requests_per_hour=requests_per_hour,
        loyalty_requests_per_hour=loyalty_requests_per_hour,
        window_seconds=window_seconds,
        max_page_limit=max_limit,
    )

    def announce(base_url: str) -> None:
        budget = "unlimited" if requests_per_hour is None else f"{requests_per_hour}/window"
        typer.echo(
            f"Brevo sandbox at {base_url}  api-key: {api_key}  "
            f"({deals} deals, seed {seed}, CRM budget {budget}, "
            f"loyalty program {state.loyalty_program_id}) - Ctrl-C to stop"
        )

    try:
        serve_forever(state, host, port, announce=announce)
    except OSError as exc:
        typer.echo(f"cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(code=2) from None


def register(app: typer.Typer) -> None:
    """Add the `sandbox` command to the brevo-sync CLI."""
    app.command("sandbox", help=HELP, epilog=EPILOG, rich_help_panel="Development")(sandbox)
