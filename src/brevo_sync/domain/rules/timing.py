"""Time rules: how long a deal may sit in a stage or go without activity before someone acts.

Sources: seed 002 (maximum days per stage with an escalation each; 7/14/30 days without
activity: remind the seller, alert the team lead, mark dormant; entering PROPOSAL schedules a
follow-up task in 3 days) and seed 000 (open deals over 25,000 without an update for 14 days
are stale).

An alert is identified by (deal, rule, anchor). The anchor is the moment the crossing counts
from: stage entry for stage rules, last activity for inactivity, last update for staleness.
Because the identity does not depend on `now`, a crossing already raised is recognised on
every later sweep and not raised again; when the anchor moves (a stage change, new activity)
the next crossing is a new alert. `evaluate_time_rules` is the reference semantics; the
set-based sweep in `adapters/store/sweep_sql.py` must raise exactly the same (deal, rule, anchor)
set, and the integration tests hold it to that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from brevo_sync.domain.deal import Deal

REMIND_SELLER = "remind_seller"
ALERT_TEAM_LEAD = "alert_team_lead"
MARK_DORMANT = "mark_dormant"
INACTIVITY_ACTIONS = frozenset({REMIND_SELLER, ALERT_TEAM_LEAD, MARK_DORMANT})

STALE_RULE_KEY = "stale_high_value"
STALE_ACTION = "flag_stale"
FOLLOW_UP_ACTION = "create_follow_up_task"


def stage_limit_key(stage_id: str) -> str:
    return f"stage_max_days:{stage_id}"


def inactivity_key(days: int) -> str:
    return f"inactivity:{days}"


def follow_up_key(stage_id: str) -> str:
    return f"stage_follow_up:{stage_id}"


@dataclass(frozen=True, slots=True)
class StageTimeLimit:
    """A deal may stay at most `max_days` in `stage_id` (a Brevo stage id); then `escalation`."""

    stage_id: str
    max_days: int
    escalation: str

    def __post_init__(self) -> None:
        _require(bool(self.stage_id), "stage time limit: empty stage id")
        _require(self.max_days > 0, f"stage time limit {self.stage_id}: max_days must be > 0")
        _require(bool(self.escalation), f"stage time limit {self.stage_id}: empty escalation")

    @property
    def key(self) -> str:
        return stage_limit_key(self.stage_id)


@dataclass(frozen=True, slots=True)
class InactivityRule:
    """After `days` without activity on an open deal, `action` (one of INACTIVITY_ACTIONS)."""

    days: int
    action: str

    def __post_init__(self) -> None:
        _require(self.days > 0, f"inactivity rule: days must be > 0, got {self.days}")
        _require(
            self.action in INACTIVITY_ACTIONS,
            f"inactivity rule {self.days}: unknown action {self.action!r}, "
            f"expected one of {sorted(INACTIVITY_ACTIONS)}",
        )

    @property
    def key(self) -> str:
        return inactivity_key(self.days)


@dataclass(frozen=True, slots=True)
class StaleRule:
    """Open deals with an amount strictly over `min_amount` and no update for the given days.

    `min_amount` is in `currency`: only deals in that currency are compared with it (a deal
    without a currency counts as being in it: the rules' default currency). An amount in
    another currency is never held against it. `currency=None` compares every amount.
    """

    min_amount: Decimal
    days_without_update: int
    currency: str | None = None

    def applies_to(self, deal_currency: str | None) -> bool:
        if self.currency is None or deal_currency is None:
            return True
        return deal_currency.upper() == self.currency.upper()

    def __post_init__(self) -> None:
        _require(self.min_amount >= 0, "stale rule: min_amount must be >= 0")
        _require(self.days_without_update > 0, "stale rule: days_without_update must be > 0")


@dataclass(frozen=True, slots=True)
class StageFollowUp:
    """Entering `stage_id` schedules a task due `after_days` after the entry (seed 002: PROPOSAL,
    3 days). Raised as soon as the deal is seen in the stage, so moves made in Brevo's own UI
    (which reach us only through the pull) get their task as well as moves made here."""

    stage_id: str
    after_days: int
    action: str = FOLLOW_UP_ACTION

    def __post_init__(self) -> None:
        _require(bool(self.stage_id), "stage follow-up: empty stage id")
        _require(self.after_days >= 0, f"stage follow-up {self.stage_id}: after_days < 0")

    @property
    def key(self) -> str:
        return follow_up_key(self.stage_id)


@dataclass(frozen=True, slots=True)
class TimeRules:
    """Every time rule of one rulebook. Stage ids are Brevo stage ids (config maps names)."""

    stage_limits: tuple[StageTimeLimit, ...] = ()
    inactivity: tuple[InactivityRule, ...] = ()
    stale: StaleRule | None = None
    closed_stage_ids: frozenset[str] = frozenset()
    follow_ups: tuple[StageFollowUp, ...] = ()

    def __post_init__(self) -> None:
        # Two rules with one key would share alert identities and swallow each other's alerts.
        keys = self.rule_keys
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        _require(not duplicates, f"time rules: duplicate rules {duplicates}")

    @property
    def rule_keys(self) -> tuple[str, ...]:
        """Every rule key these rules can raise, in sweep order."""
        keys = [limit.key for limit in self.stage_limits]
        keys += [follow_up.key for follow_up in self.follow_ups]
        keys += [idle.key for idle in self.inactivity]
        if self.stale is not None:
            keys.append(STALE_RULE_KEY)
        return tuple(keys)


@dataclass(frozen=True, slots=True)
class Alert:
    """One threshold crossing. `key` is its identity: raised once, however often it is seen."""

    deal_id: str
    rule: str
    action: str
    anchor_at: datetime  # what the crossing counts from
    due_at: datetime  # anchor_at + the rule's days: when the threshold was crossed

    @property
    def key(self) -> tuple[str, str, datetime]:
        return (self.deal_id, self.rule, self.anchor_at)


def stage_entry(deal: Deal) -> datetime | None:
    """When the deal entered its current stage; a deal never moved has been there since birth."""
    return deal.stage_updated_at or deal.created_at


def last_activity(deal: Deal) -> datetime | None:
    """Brevo's last activity date; without one, the last update, then creation."""
    return deal.last_activity_at or deal.updated_at or deal.created_at


def last_update(deal: Deal) -> datetime | None:
    return deal.updated_at or deal.created_at


def is_open(deal: Deal, rules: TimeRules) -> bool:
    """Not in a closed stage. A deal without a stage counts as open, as in seed 000's stale
    query (`deal_stage != Closed Won, != Closed Lost`)."""
    return deal.stage_id not in rules.closed_stage_ids


def evaluate_time_rules(
    deal: Deal, rules: TimeRules, now: datetime, *, tombstoned: bool = False
) -> list[Alert]:
    """Every crossing `deal` has reached at `now`, crossed or not before (the caller dedups by
    `Alert.key`). A crossing is reached when anchor + days <= now, so exactly at the boundary
    counts. Closed deals raise nothing, nor do tombstones (the mirror's `deleted_at`, which
    `Deal` does not carry, hence the flag)."""
    if tombstoned or not is_open(deal, rules):
        return []
    alerts: list[Alert] = []

    def reach(rule: str, action: str, anchor: datetime | None, days: int) -> None:
        if anchor is not None and anchor + timedelta(days=days) <= now:
            alerts.append(Alert(deal.id, rule, action, anchor, anchor + timedelta(days=days)))

    entered = stage_entry(deal)
    for limit in rules.stage_limits:
        if deal.stage_id == limit.stage_id:
            reach(limit.key, limit.escalation, entered, limit.max_days)
    for follow_up in rules.follow_ups:
        # The task exists from the stage entry on; it is *due* after_days later.
        if deal.stage_id == follow_up.stage_id and entered is not None and entered <= now:
            due = entered + timedelta(days=follow_up.after_days)
            alerts.append(Alert(deal.id, follow_up.key, follow_up.action, entered, due))
    idle_since = last_activity(deal)
    for idle in rules.inactivity:
        reach(idle.key, idle.action, idle_since, idle.days)
    stale = rules.stale
    if (
        stale is not None
        and deal.amount is not None
        and deal.amount > stale.min_amount
        and stale.applies_to(deal.currency)
    ):
        reach(STALE_RULE_KEY, STALE_ACTION, last_update(deal), stale.days_without_update)
    return alerts


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)
