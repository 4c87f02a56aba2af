"""Seed 001 automations and conversion events, as configured under `automations:`.

A trigger (deal created, updated, stage changed, contact added or removed) starts the actions
of every automation that matches it (create deal, update deal). Changes that an automation
itself caused carry `origin="automation"` and start nothing: one automation updating a deal
must not trigger "deal updated" automations in an endless loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.config import (
    AutomationConfig,
    CreateDealAction,
    Trigger,
    normalise,
)
from brevo_sync.domain.rules.events import (
    ConversionEventRequested,
    CreateDealRequested,
    DomainEvent,
    UpdateDealRequested,
    stamp,
)
from brevo_sync.domain.rules.money import deal_money
from brevo_sync.domain.rules.stages import MappedStage, Rulebook
from brevo_sync.domain.rules.template import render, render_value

ConversionName = Literal["Lead", "ViewContent", "Purchase"]


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    trigger: Trigger
    deal: Deal
    at: datetime
    from_stage: MappedStage | None = None
    to_stage: MappedStage | None = None
    contact_id: int | None = None
    origin: str = "user"  # "automation" for changes made by automations: they start nothing


def run_automations(book: Rulebook, event: TriggerEvent) -> tuple[DomainEvent, ...]:
    if event.origin == "automation":
        return ()
    out: list[DomainEvent] = []
    for index, auto in enumerate(book.config.automations):
        if _matches(book, auto, event):
            out.append(_action(book, index, auto, event))
    return tuple(out)


def _matches(book: Rulebook, auto: AutomationConfig, event: TriggerEvent) -> bool:
    if auto.trigger != event.trigger:
        return False
    here = event.to_stage or book.locate(event.deal)
    if auto.pipeline is not None and (
        here is None or normalise(here.pipeline.name) != normalise(auto.pipeline)
    ):
        return False
    for wanted, stage in ((auto.from_stage, event.from_stage), (auto.to_stage, event.to_stage)):
        if wanted is not None and (
            stage is None or normalise(stage.stage.name) != normalise(wanted)
        ):
            return False
    return True


def _values(book: Rulebook, event: TriggerEvent) -> dict[str, object]:
    deal = event.deal
    here = event.to_stage or book.locate(deal)
    money = deal_money(deal, book.config.default_currency)
    return {
        "deal.id": deal.id,
        "deal.name": deal.name,
        "deal.amount": money.amount if money else None,
        "deal.currency": money.currency if money else None,
        "deal.owner": deal.owner,
        "deal.close_date": deal.close_date.isoformat() if deal.close_date else None,
        "pipeline": here.pipeline.name if here else None,
        "stage": here.stage.name if here else None,
        "from_stage": event.from_stage.stage.name if event.from_stage else None,
        "contact.id": event.contact_id,
        "now.date": event.at.date().isoformat(),
    }


def _action(book: Rulebook, index: int, auto: AutomationConfig, event: TriggerEvent) -> DomainEvent:
    values = _values(book, event)
    key = f"auto:{index}:{event.deal.id}:{event.trigger}:{stamp(event.at)}"
    attributes = {k: render_value(v, values) for k, v in auto.action.attributes.items()}
    if isinstance(auto.action, CreateDealAction):
        action = auto.action
        mapped = book.stages.named(action.pipeline, action.stage)
        return CreateDealRequested(
            key=key,
            name=render(action.name, values),
            pipeline=action.pipeline,
            stage=action.stage,
            pipeline_id=mapped.pipeline_id if mapped else None,
            stage_id=mapped.stage_id if mapped else None,
            attributes=attributes,
            contact_ids=event.deal.contact_ids if action.copy_contacts else (),
            company_ids=event.deal.company_ids if action.copy_contacts else (),
            origin_deal_id=event.deal.id,
        )
    stage_id = None
    if auto.action.stage is not None:
        target = book.stage_in(event.deal, auto.action.stage)
        stage_id = target.stage_id if target else None
    return UpdateDealRequested(
        key=key, deal_id=event.deal.id, attributes=attributes, stage_id=stage_id
    )


def conversion_events(book: Rulebook, event: TriggerEvent) -> tuple[ConversionEventRequested, ...]:
    """Seed 001 Meta Conversion API: Lead when a contact joins, Purchase on Won, ViewContent
    on updates and on Lost ("If a deal is moved to Lost, a ViewContent event is sent instead")."""
    if not book.config.conversion_events:
        return ()
    name: ConversionName
    if event.trigger == "contact_added":
        name = "Lead"
    elif event.trigger == "stage_changed" and event.to_stage and event.to_stage.stage.kind == "won":
        name = "Purchase"
    elif event.trigger in ("stage_changed", "deal_updated"):
        name = "ViewContent"
    else:
        return ()
    key = f"conversion:{event.deal.id}:{name}:{stamp(event.at)}"
    return (ConversionEventRequested(key, event.deal.id, name),)
