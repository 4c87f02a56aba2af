"""Build the time-rules value (`timing.TimeRules`) the sweep runs on from the validated rules.

The rules file names stages; the sweep works on Brevo stage ids, so this needs the stage map.
Stages that are not mapped are left out and reported by `rules check`, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator

from brevo_sync.domain.rules.money import threshold_for
from brevo_sync.domain.rules.stages import MappedStage, Rulebook
from brevo_sync.domain.rules.timing import (
    InactivityRule,
    StageFollowUp,
    StageTimeLimit,
    StaleRule,
    TimeRules,
)


def escalation_name(stage: MappedStage) -> str:
    """`<action>:<recipient>`, e.g. `alert:seller`, `strategic_review:manager` (seed 002)."""
    escalation = stage.stage.escalation
    return f"{escalation.action}:{escalation.to}" if escalation else "alert:seller"


def build_time_rules(book: Rulebook) -> TimeRules:
    config = book.config
    mapped = sorted(book.stages.by_ids.values(), key=_order)
    limits = tuple(
        StageTimeLimit(m.stage_id, m.stage.max_days, escalation_name(m))
        for m in mapped
        if m.stage.max_days is not None
    )
    follow_ups = tuple(
        StageFollowUp(m.stage_id, m.stage.follow_up_days)
        for m in mapped
        if m.stage.follow_up_days is not None
    )
    inactivity = tuple(InactivityRule(s.days, s.action) for s in config.time_rules.inactivity)
    stale = None
    rule = config.time_rules.stale_high_value
    if rule is not None:
        # Seed 000 gives one number: the threshold in the default currency, applied to deals
        # in that currency (or none); amounts in other currencies are not held against it.
        currency = config.default_currency
        limit = threshold_for(rule.amount_over, currency, currency)
        if limit is not None:
            stale = StaleRule(limit, rule.no_update_days, currency=currency)
    return TimeRules(
        stage_limits=limits,
        inactivity=inactivity,
        stale=stale,
        closed_stage_ids=frozenset(_closed_ids(book)),
        follow_ups=follow_ups,
    )


def _order(stage: MappedStage) -> tuple[str, int, str]:
    return (stage.pipeline.name, stage.pipeline.stages.index(stage.stage), stage.stage_id)


def _closed_ids(book: Rulebook) -> Iterator[str]:
    for mapped in book.stages.by_ids.values():
        if mapped.stage.closed:
            yield mapped.stage_id
