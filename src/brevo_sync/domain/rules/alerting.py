"""What a raised alert means, in words: why it was raised and who is told.

The sweep stores an alert as (deal, rule key, action, anchor, due); people read "in PROPOSAL
(Opportunity Pipeline) for more than 21 days, since 2026-10-02" and "team lead of North".
Pure: the names the mirror and the rules know are handed in (`AlertFacts`).

Rule keys (`timing.py`): `stage_max_days:<stage id>`, `stage_follow_up:<stage id>`,
`inactivity:<days>`, `stale_high_value`. Actions: a stage escalation `<action>:<recipient>`
(`time_config.escalation_name`, e.g. `alert:team_lead`, `strategic_review:manager`), the
inactivity steps (`remind_seller`, `alert_team_lead`, `mark_dormant`), `flag_stale` and
`create_follow_up_task`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from brevo_sync.domain.reports import AlertView
from brevo_sync.domain.rules.timing import (
    ALERT_TEAM_LEAD,
    FOLLOW_UP_ACTION,
    MARK_DORMANT,
    REMIND_SELLER,
    STALE_ACTION,
    STALE_RULE_KEY,
)

STAGE_LIMIT = "stage_max_days"
FOLLOW_UP = "stage_follow_up"
INACTIVITY = "inactivity"
# Every kind of rule the sweep raises (`--rule` takes one of these, or a full rule key).
RULE_KINDS = (STAGE_LIMIT, FOLLOW_UP, INACTIVITY, STALE_RULE_KEY)
STAGE_KINDS = frozenset({STAGE_LIMIT, FOLLOW_UP})

# Whom a stage escalation's `to:` names (actions.Recipient) when the owner is not the one.
_ROLE_NAMES = {
    "manager": "sales manager",
    "original_seller": "the original seller",
    "first_seller": "the first seller",
}


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What the mirror and the rules know about an alert's deal, for the wording."""

    stage: str | None = None  # the rule's stage for people: "PROPOSAL (Opportunity Pipeline)"
    owner: str | None = None  # the deal owner: e-mail when known, else the Brevo user id
    team: str | None = None  # the owner's team in the rules' `teams:`
    default_currency: str | None = None  # what an amount without a currency is in


@dataclass(frozen=True, slots=True)
class AlertWording:
    reason: str
    recipient: str


def rule_kind(rule: str) -> str:
    """`stage_max_days:abc` -> `stage_max_days`."""
    return rule.partition(":")[0]


def rule_stage_id(rule: str) -> str | None:
    """The stage a stage rule is about (from its key), None for the other rules."""
    kind, _, ref = rule.partition(":")
    return ref or None if kind in STAGE_KINDS else None


def describe_alert(alert: AlertView, facts: AlertFacts) -> AlertWording:
    return AlertWording(alert_reason(alert, facts), alert_recipient(alert.action, facts))


def alert_reason(alert: AlertView, facts: AlertFacts) -> str:
    kind = rule_kind(alert.rule)
    days = (alert.due_at - alert.anchor_at).days
    since = _day(alert.anchor_at)
    stage = facts.stage or f"stage {rule_stage_id(alert.rule) or '?'}"
    if kind == STAGE_LIMIT:
        return f"in {stage} for more than {plural_days(days)}, since {since}"
    if kind == FOLLOW_UP:
        return f"entered {stage} on {since}: follow-up task due {_day(alert.due_at)}"
    if kind == INACTIVITY:
        return f"no activity for {plural_days(days)} (last {since})"
    if kind == STALE_RULE_KEY:
        amount = money(alert.amount, alert.currency or facts.default_currency)
        what = f"{amount} open" if amount else "open"
        return f"{what}, no update for {plural_days(days)} (since {since})"
    return f"{alert.rule} since {since}"


def alert_recipient(action: str, facts: AlertFacts) -> str:
    owner = facts.owner or "the deal owner"
    if action == REMIND_SELLER:
        return owner
    if action == ALERT_TEAM_LEAD:
        return _who("team_lead", facts)
    if action == MARK_DORMANT:
        return "nobody: the deal is marked dormant"
    if action == STALE_ACTION:
        return f"{owner} (stale deal, for the pipeline review)"
    if action == FOLLOW_UP_ACTION:
        return f"{owner} (follow-up task)"
    what, _, to = action.partition(":")
    if not to:
        return f"{owner} ({what.replace('_', ' ')})"
    who = _who(to, facts)
    return who if what == "alert" else f"{who} ({what.replace('_', ' ')})"


def _who(to: str, facts: AlertFacts) -> str:
    if to == "seller":
        return facts.owner or "the deal owner"
    if to == "team_lead":
        return f"team lead of {facts.team}" if facts.team else "team lead"
    if to == "team":
        return f"team {facts.team}" if facts.team else "the owner's team"
    return _ROLE_NAMES.get(to, to.replace("_", " "))


def team_of(owner_ids: Sequence[str | None], teams: Mapping[str, Sequence[str]]) -> str | None:
    """The first team (in the rules' order) whose members name the owner by id or e-mail."""
    wanted = {o.strip().lower() for o in owner_ids if o}
    for team, members in teams.items():
        if any(m.strip().lower() in wanted for m in members):
            return team
    return None


def money(amount: float | None, currency: str | None) -> str:
    """`125,000.00 EUR`; empty without an amount."""
    if amount is None:
        return ""
    return f"{float(amount):,.2f} {currency or ''}".rstrip()


def plural_days(days: int) -> str:
    return f"{days} day" if days == 1 else f"{days} days"


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"
