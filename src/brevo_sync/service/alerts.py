"""`alerts`, `alerts ack ID` and `stale`: what the time rules raised, and seed 000's stale list.

Alerts are raised by the sweep (after every pull, or `rules sweep`); these use cases read
them with their deal, put the reason and the recipient in words (`domain.rules.alerting`),
and mark one handled. Reads the mirror only, but for an owner's e-mail looked up once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from brevo_sync.domain.deal import Pipeline
from brevo_sync.domain.reports import AlertQuery, AlertView, DealRow
from brevo_sync.domain.rules.alerting import (
    RULE_KINDS,
    STAGE_KINDS,
    AlertFacts,
    describe_alert,
    rule_stage_id,
    team_of,
)
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.domain.rules.timing import StaleRule
from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.owners import resolve_owner
from brevo_sync.service.ports import UnitOfWork
from brevo_sync.service.resolve import match_stages, not_found, quoted
from brevo_sync.service.sweep import time_rules

HOW_ALERTS_COME = (
    "the time rules raise them: every `brevo-sync pull` sweeps, or run `brevo-sync rules sweep`"
)


@dataclass(frozen=True, slots=True)
class AlertFilter:
    rules: tuple[str, ...] = ()  # rule keys or kinds, any of them
    owner: str | None = None  # Brevo user id or e-mail
    open_only: bool = False
    limit: int | None = 50
    deal: str | None = None  # only alerts about this deal (its Brevo id)
    # Only alerts about deals of these owners (user ids or e-mails, as stored): who a caller
    # of the ops API may see. None: no such limit.
    owners_within: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class AlertLine:
    alert: AlertView
    reason: str
    recipient: str
    owner_email: str | None = None
    stage: str | None = None  # the deal's stage now, "Name (Pipeline)"


@dataclass
class AlertListing:
    database: str
    lines: list[AlertLine]
    limit: int | None
    more: bool = False  # more alerts match than the limit let through
    mirror_has_alerts: bool = True
    looked_up: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Acknowledged:
    database: str
    line: AlertLine
    already: bool  # it had been acknowledged before: nothing changed


def list_alerts(ctx: ServiceContext, f: AlertFilter) -> AlertListing:
    """Alerts newest first, each with its reason and recipient in words."""
    with ctx.uow() as uow:
        pipelines = uow.catalog.pipelines()
    rules = expand_rules(f.rules, pipelines)
    owner = resolve_owner(ctx, f.owner) if f.owner else None
    owner_ids = owner.ids if owner else None
    if f.owners_within is not None:
        owner_ids = f.owners_within if owner_ids is None else owner_ids & f.owners_within
    query = AlertQuery(
        rules=rules,
        owner_ids=owner_ids,
        open_only=f.open_only,
        limit=None if f.limit is None else f.limit + 1,  # one more: did the limit cut?
        deal_ids=None if f.deal is None else frozenset({f.deal}),
    )
    with ctx.uow() as uow:
        alerts = uow.queries.alerts(query)
        any_alert = bool(alerts) or bool(uow.queries.alerts(AlertQuery(limit=1)))
        lines = _described(ctx, uow, pipelines, alerts[: f.limit])
    return AlertListing(
        database=ctx.database,
        lines=lines,
        limit=f.limit,
        more=f.limit is not None and len(alerts) > f.limit,
        mirror_has_alerts=any_alert,
        looked_up=list(owner.looked_up) if owner else [],
        requests=dict(owner.requests) if owner else {},
    )


def acknowledge_alert(ctx: ServiceContext, alert_id: int) -> Acknowledged:
    """Mark one alert handled; again is harmless (it keeps the first time)."""
    now = ctx.clock()
    with ctx.uow() as uow:
        alert = uow.alerts.acknowledge(alert_id, now)
        if alert is None:
            raise UsageError(
                f"no alert #{alert_id} in the mirror at {ctx.database} "
                "(`brevo-sync alerts` lists them with their ids)"
            )
        uow.commit()
        (line,) = _described(ctx, uow, uow.catalog.pipelines(), [alert])
    return Acknowledged(ctx.database, line, already=alert.acknowledged_at != now)


def expand_rules(values: Sequence[str], pipelines: Sequence[Pipeline]) -> tuple[str, ...]:
    """`--rule` values as the rule keys or kinds the alerts carry: a kind stays a kind, a
    stage rule may name its stage (`stage_max_days:PROPOSAL` -> every PROPOSAL's id)."""
    out: list[str] = []
    for value in values:
        kind, _, ref = value.strip().partition(":")
        if kind not in RULE_KINDS:
            raise not_found("--rule", value, "rule kind", RULE_KINDS, where="")
        if not ref:
            out.append(kind)
        elif kind in STAGE_KINDS:
            ids = sorted({stage_id for _, stage_id in match_stages(pipelines, ref)})
            if not ids:
                names = list(dict.fromkeys(s.name for p in pipelines for s in p.stages))
                raise not_found("--rule", ref, "stage", names)
            out += [f"{kind}:{stage_id}" for stage_id in ids]
        elif kind == "inactivity" and ref.isdigit():
            out.append(f"{kind}:{int(ref)}")
        else:
            raise UsageError(
                f"--rule '{value}': use a kind ({quoted(RULE_KINDS)}), `inactivity:<days>` "
                "or `stage_max_days:<stage>`"
            )
    return tuple(dict.fromkeys(out))


def _described(
    ctx: ServiceContext, uow: UnitOfWork, pipelines: Sequence[Pipeline], alerts: list[AlertView]
) -> list[AlertLine]:
    if not alerts:
        return []
    rules = ctx.rules()
    emails = _owner_emails(uow, rules, [a.owner for a in alerts if a.owner])
    lines = []
    for alert in alerts:
        email = emails.get(alert.owner) if alert.owner else None
        facts = AlertFacts(
            stage=stage_label(pipelines, alert.pipeline_id, rule_stage_id(alert.rule)),
            owner=email or alert.owner,
            team=team_of([alert.owner, email], rules.teams),
            default_currency=rules.default_currency,
        )
        words = describe_alert(alert, facts)
        here = stage_label(pipelines, alert.pipeline_id, alert.stage_id)
        lines.append(AlertLine(alert, words.reason, words.recipient, email, here))
    return lines


def _owner_emails(uow: UnitOfWork, rules: RulesConfig, owners: list[str]) -> dict[str, str]:
    """E-mail of each owner id, from the mirror's people, else the rules' `people:` map."""
    given = {uid: email.lower() for email, uid in rules.people.items()}
    return {**given, **uow.people.by_user_id(sorted(set(owners)))}


def stage_label(
    pipelines: Sequence[Pipeline], pipeline_id: str | None, stage_id: str | None
) -> str | None:
    """`PROPOSAL (Opportunity Pipeline)`: the stage in the deal's pipeline when it has it
    (stage ids may repeat across pipelines), else the first pipeline that has it."""
    if stage_id is None:
        return None
    ordered = sorted(pipelines, key=lambda p: p.id != pipeline_id)
    for pipeline in ordered:
        stage = pipeline.stage(stage_id)
        if stage is not None:
            return f"{stage.name} ({pipeline.name})"
    return None


@dataclass(frozen=True, slots=True)
class StaleListing:
    database: str
    rule: StaleRule
    now: datetime
    rows: list[DealRow]  # biggest first; each with `days_without_update`


def list_stale(ctx: ServiceContext) -> StaleListing:
    """Seed 000's stale high-value deals: open, over the threshold in its currency, no
    update for its days."""
    now = ctx.clock()
    with ctx.uow() as uow:
        _, rules = time_rules(ctx, uow)
        if rules.stale is None:
            raise UsageError(
                "no stale rule is configured: the rules file has no "
                "`time_rules: stale_high_value:` (e.g. `{amount_over: 25000, no_update_days: 14}`)"
            )
        rows = uow.queries.stale(rules.stale, rules.closed_stage_ids, now)
    for row in rows:
        touched = row.get("updated_at") or row.get("created_at")
        row["days_without_update"] = (now - touched).days if touched else None
    return StaleListing(ctx.database, rules.stale, now, rows)
