"""The sales team's business rules, as pure functions over domain values.

Nothing here does I/O: deals, the validated rules and `now` come in; decisions and domain
events (`events.py`) come out. The public API, by use:

Rules file      validate_rules(data) -> ValidationReport (problems with locations);
                RulesConfig; the file itself is read by `adapters.rules_file`.
Stage ids       Rulebook.build(config, mirror_pipelines) (map_stages: by id or by name,
                case- and space-insensitive; unmapped stages are reported, never guessed).
Moves           check_move / decide_move / apply_move (MoveRequest) for moves we make;
                observe_move for moves seen in Brevo; apply_changes for the deal after.
Probability     deal_probability, deal_weighted_amount (forecasts); effective_probability,
                read_override, override_attributes (set a deal's own), weighted_amount.
Time rules      build_time_rules(book) -> timing.TimeRules for the sweep.
People          can_see, move_permission, project_for / viewer_projection,
                protection_status, takeover_refusals, assign_duplicate_lead.
Money           commission_statement (from stage history), order_to_deal, renewal_deal,
                milestone_award, company_after_win, tier_for.
Automations     run_automations, conversion_events (TriggerEvent).
"""

from __future__ import annotations

from brevo_sync.domain.rules.automations import TriggerEvent, conversion_events, run_automations
from brevo_sync.domain.rules.commerce import Order, Subscription, order_to_deal, renewal_deal
from brevo_sync.domain.rules.commission import StageStep, commission_statement, earned_shares
from brevo_sync.domain.rules.config import RulesConfig, normalise
from brevo_sync.domain.rules.effects import (
    DealChanges,
    MoveOutcome,
    apply_changes,
    apply_move,
    decide_move,
    observe_move,
)
from brevo_sync.domain.rules.loyalty import company_after_win, milestone_award, tier_for
from brevo_sync.domain.rules.money import CurrencyMismatchError, Money
from brevo_sync.domain.rules.permissions import (
    SYSTEM,
    Actor,
    Directory,
    can_see,
    move_permission,
    project_for,
    viewer_projection,
)
from brevo_sync.domain.rules.probability import (
    deal_probability,
    deal_weighted_amount,
    effective_probability,
    override_attributes,
    read_override,
    weighted_amount,
)
from brevo_sync.domain.rules.protection import (
    assign_duplicate_lead,
    protection_status,
    takeover_refusals,
)
from brevo_sync.domain.rules.stages import MappedStage, Rulebook, StageMap, map_stages
from brevo_sync.domain.rules.time_config import build_time_rules
from brevo_sync.domain.rules.transitions import MoveDecision, MoveRequest, check_move
from brevo_sync.domain.rules.validation import Problem, ValidationReport, validate_rules

__all__ = [
    "SYSTEM",
    "Actor",
    "CurrencyMismatchError",
    "DealChanges",
    "Directory",
    "MappedStage",
    "Money",
    "MoveDecision",
    "MoveOutcome",
    "MoveRequest",
    "Order",
    "Problem",
    "Rulebook",
    "RulesConfig",
    "StageMap",
    "StageStep",
    "Subscription",
    "TriggerEvent",
    "ValidationReport",
    "apply_changes",
    "apply_move",
    "assign_duplicate_lead",
    "build_time_rules",
    "can_see",
    "check_move",
    "commission_statement",
    "company_after_win",
    "conversion_events",
    "deal_probability",
    "deal_weighted_amount",
    "decide_move",
    "earned_shares",
    "effective_probability",
    "map_stages",
    "milestone_award",
    "move_permission",
    "normalise",
    "observe_move",
    "order_to_deal",
    "override_attributes",
    "project_for",
    "protection_status",
    "read_override",
    "renewal_deal",
    "run_automations",
    "takeover_refusals",
    "tier_for",
    "validate_rules",
    "viewer_projection",
    "weighted_amount",
]
