"""`brevo-sync rules check [FILE]` and `brevo-sync rules sweep`.

`check` validates a rules file and says every problem with its line; with a mirror database
that has pipelines it also maps every configured stage onto the Brevo stage ids and reports
the stages that do not map. `sweep` runs the time rules over the mirror now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer

from brevo_sync.config import DEFAULT_DATABASE_URL, RULES_ENV
from brevo_sync.domain.deal import Pipeline
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.domain.rules.money import threshold_for
from brevo_sync.domain.rules.validation import Problem
from brevo_sync.entrypoints.cli.common import (
    JsonOption,
    build_container,
    plural,
    print_json,
    stdout,
    stop_on_signals,
)
from brevo_sync.service.rules_check import RulesCheck, check_rules, mirror_pipelines
from brevo_sync.service.sweep import run_sweep

DEFAULT_DATABASE_FILE = DEFAULT_DATABASE_URL.removeprefix("sqlite:///")

# Reads the mirror's pipelines from a database URL (tests give their own).
PipelineLoader = Callable[[str], Sequence[Pipeline]]

HELP = f"""Check a rules file: its shape, its cross-references (stages in transitions, Won and
Lost stages, at most 10 pipelines) and, given a mirror with pipelines, that every configured
stage maps to a Brevo stage. FILE defaults to ${RULES_ENV}, else the packaged rules. Prints
each problem as `file:line: location: message` and exits 2, or a summary and exits 0."""

SWEEP_HELP = """Run the time rules over the mirror now (days per stage, days without activity,
stale high-value deals, follow-ups): every newly crossed rule raises one alert, never twice.
`pull` does this after every pull; this is the same sweep on its own. No Brevo request."""


def load_mirror_pipelines(database_url: str) -> Sequence[Pipeline]:
    """The pipelines of the mirror at `database_url`, read without creating anything."""
    container = build_container(writes=False, database_url=database_url)
    try:
        return mirror_pipelines(container.context)
    finally:
        container.close()


def register(app: typer.Typer, *, load_pipelines: PipelineLoader = load_mirror_pipelines) -> None:
    rules_app = typer.Typer(help="The business rules: check the file, sweep the time rules.")

    @rules_app.command("check", help=HELP)
    def check_command(
        file: Path | None = typer.Argument(
            None, envvar=RULES_ENV, show_default="packaged rules", help="The rules file."
        ),
        database_url: str | None = typer.Option(
            None,
            "--database-url",
            envvar="BREVO_SYNC_DATABASE_URL",
            help=(
                "A mirror database whose pipelines the stages must map onto "
                "(default: ./brevo_sync.db when it exists)."
            ),
        ),
        as_json: bool = JsonOption,
    ) -> None:
        if database_url is None and Path(DEFAULT_DATABASE_FILE).exists():
            database_url = DEFAULT_DATABASE_URL  # the mirror a `pull` or `demo` left here
        container = build_container(writes=False)
        source = container.read_rules(file)
        pipelines = load_pipelines(database_url) if database_url else None
        check = check_rules(source, pipelines)
        report = check.report
        summary = summarise(report.config, check.mirror) if report.config is not None else None
        if as_json:
            print_json(
                {
                    "file": check.name,
                    "ok": report.ok,
                    "problems": [_problem_json(p) for p in report.problems],
                    "summary": summary,
                }
            )
        else:
            for problem in report.problems:
                stdout.print(format_problem(check, problem), markup=False)
            if summary is not None and not report.errors:
                stdout.print(_summary_text(check.name, summary), markup=False)
        if not report.ok:
            raise typer.Exit(2)

    @rules_app.command("sweep", help=SWEEP_HELP)
    def sweep_command(as_json: bool = JsonOption) -> None:
        container = build_container()
        try:
            with stop_on_signals(container.stop):
                report = run_sweep(container.context)
        finally:
            container.close()
        if as_json:
            print_json({**asdict(report), "total": report.total})
            return
        lines = [f"Time rules: {plural(report.total, 'new alert')} in {report.seconds:.2f} s"]
        lines += [f"  {rule}: {n:,}" for rule, n in sorted(report.raised.items()) if n]
        stdout.print("\n".join(lines), markup=False)

    app.add_typer(rules_app, name="rules", no_args_is_help=True)


def format_problem(source: RulesCheck, problem: Problem) -> str:
    where = f"{source.name}:{problem.line}" if problem.line else source.name
    tag = "warning: " if problem.severity == "warning" else ""
    return f"{where}: {problem.location}: {tag}{problem.message}"


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "location": problem.location,
        "line": problem.line,
        "severity": problem.severity,
        "message": problem.message,
    }


def summarise(config: RulesConfig, mirror: str) -> dict[str, Any]:
    currency = config.default_currency
    stages = [s for p in config.pipelines for s in p.stages]
    thresholds: dict[str, Any] = {
        "stage_max_days": {s.name: s.max_days for s in stages if s.max_days is not None},
        "inactivity_days": [step.days for step in config.time_rules.inactivity],
    }
    stale = config.time_rules.stale_high_value
    if stale is not None:
        limit = threshold_for(stale.amount_over, currency, currency)
        thresholds["stale_high_value"] = f"over {limit} {currency}, {stale.no_update_days} days"
    order = config.commerce.order_deal
    if order is not None:
        limit = threshold_for(order.min_total, currency, currency)
        thresholds["order_deal_from"] = f"{limit} {currency} (or B2B)"
    renewal = config.commerce.renewal
    if renewal is not None:
        thresholds["renewal_days_before_expiry"] = renewal.days_before_expiry
    return {
        "pipelines": len(config.pipelines),
        "stages": len(stages),
        "transitions": sum(len(p.transitions or ()) for p in config.pipelines),
        "automations": len(config.automations),
        "roles": sorted(config.roles),
        "thresholds": thresholds,
        "mirror": mirror,
    }


def _summary_text(name: str, summary: dict[str, Any]) -> str:
    t = summary["thresholds"]
    limits = ", ".join(f"{k} {v}d" for k, v in t["stage_max_days"].items()) or "none"
    lines = [
        f"{name}: OK",
        f"  {summary['pipelines']} pipelines, {summary['stages']} stages, "
        f"{summary['transitions']} listed transitions, {summary['automations']} automations",
        f"  stage limits: {limits}",
        f"  inactivity: {', '.join(str(d) for d in t['inactivity_days']) or 'none'} days",
    ]
    for key in ("stale_high_value", "order_deal_from", "renewal_days_before_expiry"):
        if key in t:
            lines.append(f"  {key.replace('_', ' ')}: {t[key]}")
    lines.append(f"  stage mapping: {summary['mirror']}")
    return "\n".join(lines)
