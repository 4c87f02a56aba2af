"""`brevo-sync rules check [FILE]`: validate a rules file and say every problem with its line.

With a mirror database that has pipelines (`--database-url` or $BREVO_SYNC_DATABASE_URL, and
a pipeline loader passed to `register`), it also maps every configured stage onto the Brevo
stage ids and reports the stages that do not map.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer

from brevo_sync.adapters.rules_file import RULES_ENV, RulesSource, read_rules
from brevo_sync.config import DEFAULT_DATABASE_URL
from brevo_sync.domain.deal import Pipeline
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.domain.rules.money import threshold_for
from brevo_sync.domain.rules.stages import map_stages
from brevo_sync.domain.rules.validation import Problem
from brevo_sync.entrypoints.cli.common import JsonOption, print_json, stdout

DEFAULT_DATABASE_FILE = DEFAULT_DATABASE_URL.removeprefix("sqlite:///")

# Reads the mirror's pipelines from a database URL; the composition root supplies it.
PipelineLoader = Callable[[str], Sequence[Pipeline]]

HELP = f"""Check a rules file: its shape, its cross-references (stages in transitions, Won and
Lost stages, at most 10 pipelines) and, given a mirror with pipelines, that every configured
stage maps to a Brevo stage. FILE defaults to ${RULES_ENV}, else the packaged rules. Prints
each problem as `file:line: location: message` and exits 2, or a summary and exits 0."""


def register(app: typer.Typer, *, load_pipelines: PipelineLoader | None = None) -> None:
    rules_app = typer.Typer(help="The business rules file.", no_args_is_help=True)

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
        source = read_rules(file)
        problems = source.report.problems
        config = source.report.config
        mirror = "not checked (no mirror database given)"
        if database_url and load_pipelines is None:
            mirror = "not checked (this command cannot read the mirror yet)"
        if config is not None and database_url and load_pipelines is not None:
            pipelines = load_pipelines(database_url)
            if pipelines:
                problems += source.locate(map_stages(config, pipelines).problems)
                mirror = f"{len(pipelines)} Brevo pipelines"
            else:
                mirror = "the mirror has no pipelines yet"
        errors = [p for p in problems if p.severity == "error"]
        summary = summarise(config, mirror) if config is not None else None
        if as_json:
            print_json(
                {
                    "file": source.name,
                    "ok": not errors and config is not None,
                    "problems": [_problem_json(p) for p in problems],
                    "summary": summary,
                }
            )
        else:
            for problem in problems:
                stdout.print(format_problem(source, problem), markup=False)
            if summary is not None and not errors:
                stdout.print(_summary_text(source.name, summary), markup=False)
        if errors or config is None:
            raise typer.Exit(2)

    app.add_typer(rules_app, name="rules")


def format_problem(source: RulesSource, problem: Problem) -> str:
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
