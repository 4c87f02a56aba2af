"""`brevo-sync demo`: the whole job on embedded defaults: a local Brevo sandbox plus SQLite."""

from __future__ import annotations

import os
import random
from collections import Counter
from typing import Any

import typer
from rich.table import Table

from brevo_sync.adapters.rules_file import load_rules
from brevo_sync.adapters.store.views import (
    DealFilter,
    find_deals,
    mirror_pipelines,
    mirror_status,
)
from brevo_sync.bootstrap import Container, utc_now
from brevo_sync.domain.deal import Pipeline
from brevo_sync.domain.rules import Rulebook, build_time_rules
from brevo_sync.entrypoints.cli.common import JsonOption, build_container, print_json, stdout
from brevo_sync.entrypoints.cli.pull_cmd import describe, report_json, run_pull
from brevo_sync.service.sweep import SweepReport, run_time_sweep

HELP = """Run brevo-sync end to end with no Brevo account: start the sandbox (a local emulator
of Brevo's API, with seeded sample deals) on a free loopback port, mirror it into
BREVO_SYNC_DATABASE_URL (default ./brevo_sync.db) with a full pull, let a "sales rep" edit a few
deals in the sandbox, and pull again incrementally to show what a change costs.

Afterwards `brevo-sync status` and `brevo-sync deals list` show the demo's mirror."""

EDITS = 3


def _edit_some_deals(state: Any, seed: int) -> list[str]:
    """Move one deal to its pipeline's next stage and raise two amounts, as a rep would."""
    rng = random.Random(seed)
    deals = [d for d in state.deals_snapshot() if d["attributes"].get("deal_stage")]
    pipelines = {p["pipeline"]: p for p in state.pipelines_snapshot()}
    chosen = rng.sample(deals, k=min(EDITS, len(deals)))
    for index, deal in enumerate(chosen):
        attrs = deal["attributes"]
        if index == 0:
            stage_ids = [s["id"] for s in pipelines[attrs["pipeline"]]["stages"]]
            current = stage_ids.index(attrs["deal_stage"])
            target = stage_ids[min(current + 1, len(stage_ids) - 1)]
            state.update_deal(
                deal["id"], attributes={"pipeline": attrs["pipeline"], "deal_stage": target}
            )
        else:
            state.update_deal(deal["id"], attributes={"amount": (attrs.get("amount") or 0) + 1000})
    return [d["id"] for d in chosen]


def register(app: typer.Typer) -> None:
    @app.command("demo", help=HELP)
    def demo_command(
        deals: int = typer.Option(500, min=1, max=200_000, help="Sample deals in the sandbox."),
        seed: int = typer.Option(42, help="Seed of the sample data (same seed, same deals)."),
        as_json: bool = JsonOption,
    ) -> None:
        from brevo_sync.sandbox import SandboxServer, SandboxState

        state = SandboxState.seeded(seed=seed, deals=deals)
        with SandboxServer(state) as server:
            # The demo's output tells the story; info logs would only interleave with it.
            quiet = {} if "BREVO_SYNC_LOG_LEVEL" in os.environ else {"log_level": "WARNING"}
            container = build_container(api_key=state.api_key, base_url=server.base_url, **quiet)
            try:
                if not as_json:
                    stdout.print(f"Sandbox serving {deals} sample deals at {server.base_url}")
                full = run_pull(container, full=True, show_progress=not as_json)
                edited = _edit_some_deals(state, seed)
                incremental = run_pull(container, full=False, show_progress=not as_json)
                status = mirror_status(container.engine)
                rows = find_deals(container.engine, DealFilter(limit=None, sort="pipeline"))
                pipelines = mirror_pipelines(container.engine)
                sweep = _sweep(container, pipelines)
            finally:
                container.close()
        if as_json:
            print_json(
                {
                    "database_url": container.settings.database_url,
                    "full_pull": report_json(full),
                    "edited_in_sandbox": edited,
                    "incremental_pull": report_json(incremental),
                    "deals_mirrored": status.deals,
                    "rules_sweep": {"raised": sweep.raised, "seconds": sweep.seconds},
                }
            )
            return
        stdout.print(describe(full))
        stdout.print(f"\nA sales rep edits {len(edited)} deals in Brevo (the sandbox) ...")
        stdout.print(describe(incremental))
        stdout.print(_stage_table(pipelines, rows))
        stdout.print(_describe_sweep(sweep, pipelines))
        stdout.print(
            f"\nThe mirror ({container.settings.database_url}) holds {status.deals} deals. "
            "Try `brevo-sync status` or `brevo-sync deals list --sort -amount`."
        )


def _sweep(container: Container, pipelines: list[Pipeline]) -> SweepReport:
    """The time rules of the rules file (BREVO_SYNC_RULES or the packaged one), mapped onto
    the mirror's stages, swept over every mirrored deal."""
    book = Rulebook.build(load_rules(container.settings.rules), pipelines)
    return run_time_sweep(container.engine, build_time_rules(book), utc_now())


def _describe_sweep(sweep: SweepReport, pipelines: list[Pipeline]) -> str:
    """Alerts per rule, stage ids in the rule keys shown as 'Pipeline / Stage'."""
    names = {s.id: f"{p.name} / {s.name}" for p in pipelines for s in p.stages}

    def label(rule: str) -> str:
        kind, _, ref = rule.partition(":")
        return f"{kind}: {names[ref]}" if ref in names else rule

    busiest = sorted(((n, label(rule)) for rule, n in sweep.raised.items() if n), reverse=True)
    lines = [f"\nRules sweep over the mirror: {sweep.total} alerts raised in {sweep.seconds:.2f} s"]
    lines += [f"  {rule}: {n}" for n, rule in busiest]
    return "\n".join(lines)


def _stage_table(pipelines: list[Pipeline], rows: list[dict[str, Any]]) -> Table:
    """Deals per stage in pipeline order. Amounts are summed per currency: two currencies
    are never added together."""
    counts: Counter[str] = Counter()
    totals: dict[str, Counter[str]] = {}
    for row in rows:
        counts[row["stage_id"]] += 1
        per_currency = totals.setdefault(row["stage_id"], Counter())
        per_currency[row["currency"] or "?"] += row["amount"] or 0
    table = Table("pipeline", "stage", "deals", "amount", title="Mirrored deals by stage")
    for pipeline in pipelines:
        for index, stage in enumerate(pipeline.stages):
            amounts = totals.get(stage.id, Counter())
            table.add_row(
                pipeline.name if index == 0 else "",
                stage.name,
                str(counts[stage.id]),
                "  ".join(f"{v:,.0f} {c}" for c, v in sorted(amounts.items())),
            )
        table.add_section()
    return table
