"""The ops API's read and write side, as one person of the rules file sees it (seed 002).

Every use case here is an existing one (`list_deals`, `list_alerts`, `advance_deal`,
`forecast`, `analytics`) narrowed to what the caller's role may see:

- Sales Rep: own and team deals; Team Lead: the team's; Sales Manager, Admin, Viewer: all
  (`roles: see:`), the team being the rules' `teams:` as for `deals advance --as`;
- a role without personal data (Viewer) gets every deal through `viewer_projection` and
  every text with its e-mail addresses hidden;
- a deal the caller may not see does not exist for them (`DealNotFound`, never "forbidden",
  which would say that it exists);
- forecast and analytics sum every deal, so only roles that see every deal get them.

Visibility is part of the query (the owners a caller may see), not a filter after it, so a
limit of 50 gives 50 visible deals; each row is checked again with `can_see` all the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from brevo_sync.domain.deal import Deal, Pipeline
from brevo_sync.domain.moves import StageMove
from brevo_sync.domain.outbox import OPEN_STATES, OutboxFilter, OutboxRow
from brevo_sync.domain.reports import DealRow
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.domain.rules.permissions import Actor, Directory, can_see, project_for
from brevo_sync.errors import UsageError
from brevo_sync.service.alerts import AlertFilter, AlertLine, AlertListing, list_alerts
from brevo_sync.service.analytics import AnalyticsRequest, analytics
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.deal_changes import ChangeResult, advance_deal
from brevo_sync.service.deals import DealFilter, DealListing, list_deals
from brevo_sync.service.forecast import ForecastRequest, forecast
from brevo_sync.service.ports import UnitOfWork
from brevo_sync.service.tokens import Forbidden

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
HIDDEN = "(hidden)"


class DealNotFound(UsageError):
    """No such deal, or not one the caller may see (the two are not told apart): HTTP 404."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What one caller may see: every deal (`owners` None) or the deals of these owners."""

    actor: Actor
    config: RulesConfig
    directory: Directory
    owners: frozenset[str] | None
    personal_data: bool

    def sees(self, deal: Deal) -> bool:
        return can_see(self.config, self.actor, deal, self.directory)

    def shown(self, deal: Deal) -> Deal:
        return project_for(self.config, self.actor, deal)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    changed_at: datetime
    source: str  # "pull" (seen in Brevo) or "local" (moved by brevo-sync)
    pipeline_id: str | None
    from_stage_id: str | None
    from_stage: str | None
    to_stage_id: str
    to_stage: str | None
    owner: str | None


@dataclass
class DealView:
    """`GET /deals/{id}`: the deal with its stage history, alerts and pending outbox rows."""

    deal: DealRow  # the columns `deals list` gives, plus `deleted`
    history: list[HistoryEntry]
    alerts: list[AlertLine]
    outbox: list[OutboxRow]  # rows not yet confirmed in Brevo, oldest first
    personal_data: bool = True
    notes: list[str] = field(default_factory=list)


def scope_of(ctx: ServiceContext, uow: UnitOfWork, actor: Actor) -> Scope:
    config = ctx.rules()
    role = config.roles.get(actor.role)
    if role is None:
        raise Forbidden(f"the role '{actor.role}' is not in the rules file")
    known = {p.user_id: p.email for p in uow.people.all() if p.user_id}
    directory = Directory.from_config(config, known)
    if "all" in role.see:
        return Scope(actor, config, directory, None, role.personal_data)
    people: set[str] = set()
    if "own" in role.see:
        people.add(actor.id.lower())
    if "team" in role.see:
        for team in directory.teams_of(actor.id):
            people |= directory.teams[team]
    ids = {uid for uid, email in directory.emails.items() if email in people}
    return Scope(actor, config, directory, frozenset(people | ids), role.personal_data)


@dataclass(frozen=True, slots=True)
class VisibleDeals:
    listing: DealListing  # rows as the caller may see them, each with `deleted`
    personal_data: bool  # False: personal data was left out


def visible_deals(ctx: ServiceContext, actor: Actor, f: DealFilter) -> VisibleDeals:
    """`deals list` with the caller's visibility in the query and its projection."""
    with ctx.uow() as uow:
        scope = scope_of(ctx, uow, actor)
    try:
        listing = list_deals(ctx, replace(f, owners_within=scope.owners))
    except UsageError as exc:
        raise _impersonal_error(scope, exc) from None
    rows = [r for r in listing.rows if scope.sees(deal_of_row(r))]
    listing.rows = [_shown_row(scope, r) for r in rows]
    return VisibleDeals(listing, scope.personal_data)


def deal_view(ctx: ServiceContext, actor: Actor, deal_id: str) -> DealView:
    with ctx.uow() as uow:
        scope = scope_of(ctx, uow, actor)
        deal = uow.deals.get([deal_id]).get(deal_id)
        if deal is None or not scope.sees(deal):
            raise DealNotFound(f"no deal '{deal_id}' that this token may see")
        mirrored = uow.deals.mirrored([deal_id]).get(deal_id)
        pipelines = uow.catalog.pipelines()
        moves = uow.history.of_deal(deal_id)
        pending = uow.outbox.find(OutboxFilter(states=OPEN_STATES, deal_id=deal_id, limit=None))
    row = _row_of(deal, pipelines, scope.directory, deleted=bool(mirrored and mirrored.deleted))
    alerts = list_alerts(ctx, AlertFilter(deal=deal_id, limit=None)).lines
    view = DealView(
        deal=_shown_row(scope, row),
        history=[_entry(m, pipelines) for m in moves],
        alerts=[_shown_alert(scope, a) for a in alerts],
        outbox=pending,
        personal_data=scope.personal_data,
    )
    if not scope.personal_data:
        view.history = [replace(h, owner=_hidden(h.owner)) for h in view.history]
        view.outbox = [
            replace(o, payload={}, base=None, last_error=_hidden(o.last_error)) for o in view.outbox
        ]
        view.notes.append("personal data hidden for this role: outbox payloads left out")
    return view


def move_deal(
    ctx: ServiceContext, actor: Actor, deal_id: str, stage: str, reason: str | None
) -> ChangeResult:
    """`deals advance` as the caller: the rules' guard and the role's move permission decide
    (ChangeRefused with every reason); a deal they may not see is not found."""
    with ctx.uow() as uow:
        scope = scope_of(ctx, uow, actor)
        deal = uow.deals.get([deal_id]).get(deal_id)
    if deal is None or not scope.sees(deal):
        raise DealNotFound(f"no deal '{deal_id}' that this token may see")
    return advance_deal(ctx, deal_id, stage, actor=actor, reason=reason)


def visible_alerts(ctx: ServiceContext, actor: Actor, f: AlertFilter) -> AlertListing:
    with ctx.uow() as uow:
        scope = scope_of(ctx, uow, actor)
    try:
        listing = list_alerts(ctx, replace(f, owners_within=scope.owners))
    except UsageError as exc:
        raise _impersonal_error(scope, exc) from None
    listing.lines = [_shown_alert(scope, line) for line in listing.lines]
    return listing


def forecast_json(ctx: ServiceContext, actor: Actor, request: ForecastRequest) -> dict[str, Any]:
    scope = _sees_all(ctx, actor, "the forecast")
    return _impersonal(scope, forecast(ctx, request).to_json())


def analytics_json(ctx: ServiceContext, actor: Actor, request: AnalyticsRequest) -> dict[str, Any]:
    scope = _sees_all(ctx, actor, "analytics")
    return _impersonal(scope, analytics(ctx, request).to_json())


def _sees_all(ctx: ServiceContext, actor: Actor, what: str) -> Scope:
    with ctx.uow() as uow:
        scope = scope_of(ctx, uow, actor)
    if scope.owners is not None:
        raise Forbidden(
            f"{what} sums every deal; the role {actor.role} sees only "
            f"{' and '.join(ctx.rules().roles[actor.role].see)} deals"
        )
    return scope


# -- rows and projection -----------------------------------------------------------------------


def deal_of_row(row: DealRow) -> Deal:
    return Deal(
        id=row["id"],
        name=row.get("name"),
        pipeline_id=row.get("pipeline_id"),
        stage_id=row.get("stage_id"),
        owner=row.get("owner"),
        amount=row.get("amount"),
        currency=row.get("currency"),
        close_date=row.get("close_date"),
        created_at=row.get("created_at"),
        updated_at=row.get("updated_at"),
        stage_updated_at=row.get("stage_updated_at"),
        last_activity_at=row.get("last_activity_at"),
        attributes=dict(row.get("attributes") or {}),
        contact_ids=tuple(row.get("contact_ids") or ()),
        company_ids=tuple(row.get("company_ids") or ()),
    )


def _row_of(
    deal: Deal, pipelines: list[Pipeline], directory: Directory, *, deleted: bool
) -> DealRow:
    pipeline = next((p for p in pipelines if p.id == deal.pipeline_id), None)
    stage = pipeline.stage(deal.stage_id) if pipeline and deal.stage_id else None
    email = directory.person(deal.owner)
    return {
        **{f.name: getattr(deal, f.name) for f in fields(Deal)},
        "contact_ids": list(deal.contact_ids),
        "company_ids": list(deal.company_ids),
        "pipeline_name": pipeline.name if pipeline else None,
        "stage_name": stage.name if stage else None,
        "owner_email": email if email and "@" in email else None,
        "deleted": deleted,
    }


def _shown_row(scope: Scope, row: DealRow) -> DealRow:
    out = {**row, "deleted": row.get("deleted", row.get("deleted_at") is not None)}
    if scope.personal_data:
        return out
    deal = scope.shown(deal_of_row(row))
    return {
        **out,
        "name": deal.name,
        "owner": deal.owner,
        "owner_email": None,
        "attributes": deal.attributes,
        "contact_ids": list(deal.contact_ids),
    }


def _entry(move: StageMove, pipelines: list[Pipeline]) -> HistoryEntry:
    pipeline = next((p for p in pipelines if p.id == move.pipeline_id), None)

    def name(stage_id: str | None) -> str | None:
        stage = pipeline.stage(stage_id) if pipeline and stage_id else None
        return stage.name if stage else None

    return HistoryEntry(
        changed_at=move.changed_at,
        source=move.source,
        pipeline_id=move.pipeline_id,
        from_stage_id=move.from_stage_id,
        from_stage=name(move.from_stage_id),
        to_stage_id=move.to_stage_id,
        to_stage=name(move.to_stage_id),
        owner=move.owner,
    )


def _shown_alert(scope: Scope, line: AlertLine) -> AlertLine:
    if scope.personal_data:
        return line
    a = line.alert
    name = f"Deal {a.deal_id}" if scope.config.privacy.redact_deal_name else _hidden(a.deal_name)
    return replace(
        line,
        alert=replace(a, deal_name=name, owner=_hidden(a.owner)),
        reason=_hidden(line.reason) or "",
        recipient=_hidden(line.recipient) or "",
        owner_email=None,
    )


def _hidden(text: str | None) -> str | None:
    """The text with its e-mail addresses hidden."""
    return None if text is None else _EMAIL.sub(HIDDEN, text)


def _impersonal(scope: Scope, document: dict[str, Any]) -> dict[str, Any]:
    """A JSON document with every e-mail address in it hidden, for a role without personal
    data (the owners of forecast and analytics are named by e-mail)."""
    if scope.personal_data:
        return document
    return {key: _scrubbed(value) for key, value in document.items()}


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return _hidden(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value


def _impersonal_error(scope: Scope, exc: UsageError) -> UsageError:
    """A refusal that names people (close matches of an owner) hides them from a role that
    must not see personal data."""
    if scope.personal_data:
        return exc
    return UsageError(_hidden(str(exc)) or "")
