"""`brevo-sync demo`: the whole job on embedded defaults: a local Brevo sandbox plus SQLite."""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from brevo_sync.domain.deal import Pipeline
from brevo_sync.domain.reports import DealRow
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    plural,
    print_json,
    stdout,
    stop_on_signals,
)
from brevo_sync.entrypoints.cli.forecast_cmd import By, show
from brevo_sync.entrypoints.cli.pull_cmd import describe, report_json
from brevo_sync.entrypoints.cli.push_cmd import describe_plan, describe_push, plan_json, push_json
from brevo_sync.entrypoints.report import write_report
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.deal_changes import ChangeRefused, ChangeResult, advance_deal
from brevo_sync.service.deals import DealFilter, list_deals
from brevo_sync.service.forecast import ForecastRequest, forecast
from brevo_sync.service.people import look_up_people
from brevo_sync.service.plan import plan_push
from brevo_sync.service.pull import pull_deals
from brevo_sync.service.push import push_outbox
from brevo_sync.service.rules_check import mirror_pipelines
from brevo_sync.service.status import mirror_status
from brevo_sync.service.sweep import SweepReport

HELP = """Run brevo-sync end to end with no Brevo account: start the sandbox (a local emulator
of Brevo's API, with seeded sample deals) on a free loopback port, mirror it into
BREVO_SYNC_DATABASE_URL (default ./brevo_sync.db) with a full pull and run the sales rules
over it, let a "sales rep" move a deal and edit two in the sandbox, and pull again
incrementally to show what a change costs and what the rules decide about the move.

Then the write path: an operator moves a deal (`deals advance`), `plan` shows the cost
without spending, and `push` sends it with what the rules decided. It ends with the sales
team's view: the forecast, and the report page ./brevo_sync_report.html.

Afterwards `brevo-sync status`, `deals list`, `alerts`, `forecast` and `outbox list` show
the demo's mirror."""

EDITS = 3
REPORT_FILE = "brevo_sync_report.html"  # next to the demo's mirror, in the working directory


def _edit_some_deals(state: Any, seed: int) -> list[str]:
    """Move one open deal to its pipeline's next stage and raise two amounts, as a rep would."""
    rng = random.Random(seed)
    pipelines = {p["pipeline"]: [s["id"] for s in p["stages"]] for p in state.pipelines_snapshot()}

    def movable(deal: dict[str, Any]) -> bool:  # in an open stage with an open one after it
        stages = pipelines.get(deal["attributes"].get("pipeline"), [])
        stage = deal["attributes"].get("deal_stage")
        return stage in stages and stages.index(stage) < len(stages) - 3

    deals = state.deals_snapshot()
    mover = rng.choice([d for d in deals if movable(d)])
    rest = [d for d in deals if d["id"] != mover["id"]]
    others = rng.sample(rest, k=min(EDITS - 1, len(rest)))
    attrs = mover["attributes"]
    stages = pipelines[attrs["pipeline"]]
    target = stages[stages.index(attrs["deal_stage"]) + 1]
    state.update_deal(mover["id"], attributes={"pipeline": attrs["pipeline"], "deal_stage": target})
    for deal in others:
        amount = deal["attributes"].get("amount") or 0
        state.update_deal(deal["id"], attributes={"amount": amount + 1000})
    return [mover["id"]] + [d["id"] for d in others]


def register(app: typer.Typer) -> None:
    @app.command("demo", help=HELP)
    def demo_command(
        deals: int = typer.Option(500, min=10, max=200_000, help="Sample deals in the sandbox."),
        seed: int = typer.Option(42, help="Seed of the sample data (same seed, same deals)."),
        as_json: bool = JsonOption,
    ) -> None:
        from brevo_sync.sandbox import SandboxServer, SandboxState

        state = SandboxState.seeded(seed=seed, deals=deals)
        with SandboxServer(state) as server:
            # The demo's output tells the story; info logs would only interleave with it.
            quiet: dict[str, Any] = (
                {} if "BREVO_SYNC_LOG_LEVEL" in os.environ else {"log_level": "WARNING"}
            )
            container = build_container(api_key=state.api_key, base_url=server.base_url, **quiet)
            ctx = container.context
            try:
                if not as_json:
                    stdout.print(f"Sandbox serving {deals} sample deals at {server.base_url}")
                with stop_on_signals(container.stop):
                    full = pull_deals(ctx, full=True)
                    # As an operator would name the sellers in the rules file's `people:`.
                    sellers, people_requests = look_up_people(ctx, state.users_snapshot())
                    edited = _edit_some_deals(state, seed)
                    incremental = pull_deals(ctx)
                    # The write path: an operator moves a deal here, the plan shows the
                    # cost, and push sends it with what the rules decided about the move
                    # seen in the sandbox.
                    advanced = _advance_one(ctx)
                    plan = plan_push(ctx)
                    pushed = push_outbox(ctx)
                # The sales team's view: the report page and the forecast, from the mirror.
                page = Path(REPORT_FILE)
                write_report(ctx, page)
                outlook = forecast(ctx, ForecastRequest())
                status = mirror_status(ctx, container.settings.requests_per_hour).mirror
                rows = list_deals(ctx, DealFilter(limit=None, sort="pipeline")).rows
                pipelines = mirror_pipelines(ctx)
            finally:
                container.close()
        if as_json:
            print_json(
                {
                    "database": ctx.database,
                    "full_pull": report_json(full, ctx.database),
                    "edited_in_sandbox": edited,
                    "incremental_pull": report_json(incremental, ctx.database),
                    "deals_mirrored": status.deals,
                    "sellers_looked_up": {"people": sellers, "requests": people_requests},
                    "rules_sweep": {"raised": _raised(full.sweep, incremental.sweep)},
                    "advanced": asdict(advanced) if advanced else None,
                    "plan": plan_json(plan),
                    "push": push_json(pushed, ctx.database),
                    "report": str(page.resolve()),
                    "forecast": outlook.to_json(),
                }
            )
            return
        stdout.print(describe(full), markup=False)
        if sellers:
            spent = sum(people_requests.values())
            stdout.print(
                f"\nBrevo names deal owners by user id: looked up {plural(sellers, 'seller')} "
                f"by e-mail in {plural(spent, 'request')}, once (kept in the mirror).",
                markup=False,
            )
        stdout.print(
            "\nA sales rep moves a deal to its next stage and edits "
            f"{plural(len(edited) - 1, 'other deal')} in Brevo (the sandbox) ...",
            markup=False,
        )
        stdout.print(describe(incremental), markup=False)
        stdout.print(_stage_table(pipelines, rows))
        if full.sweep is not None:
            stdout.print(_describe_sweep(full.sweep, pipelines), markup=False)
        if advanced is not None:
            stdout.print(
                f"\nAn operator runs `brevo-sync deals advance {advanced.deal_id} "
                f"QUALIFICATION`: {advanced.change}, checked by the rules; "
                f"{plural(advanced.queued, 'outbox row')} queued.",
                markup=False,
            )
        stdout.print("\n`brevo-sync plan` (no requests):\n" + describe_plan(plan), markup=False)
        stdout.print("\n`brevo-sync push`:\n" + describe_push(pushed), markup=False)
        stdout.print("")
        show(outlook, By.stage, ctx.database)
        stdout.print(
            f"\nReport (one page, no network needed to view it): {page.resolve()}", markup=False
        )
        stdout.print(
            f"\nThe mirror ({ctx.database}) holds {plural(status.deals, 'deal')} and "
            f"{plural(status.alerts_open, 'open alert')}. Try `brevo-sync status`, "
            "`brevo-sync alerts --open`, `brevo-sync outbox list --all` or "
            "`brevo-sync deals list --sort -amount`.",
            markup=False,
        )


def _advance_one(ctx: ServiceContext) -> ChangeResult | None:
    """Move the first new lead the rules let through to QUALIFICATION."""
    leads = list_deals(
        ctx, DealFilter(pipeline="Opportunity Pipeline", stage="NEW_LEAD", limit=20)
    ).rows
    for lead in leads:
        try:
            return advance_deal(ctx, lead["id"], "QUALIFICATION")
        except ChangeRefused:
            continue  # this one lacks a required field; the next may not
    return None


def _raised(*sweeps: SweepReport | None) -> dict[str, int]:
    total: Counter[str] = Counter()
    for sweep in sweeps:
        if sweep is not None:
            total.update(sweep.raised)
    return dict(total)


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


def _stage_table(pipelines: list[Pipeline], rows: list[DealRow]) -> Table:
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
