"""The rules file as pydantic models: pipelines, roles, time rules, commerce, loyalty, automations.

Shape checks (types, ranges, unknown keys) live here; checks across sections (an unknown stage
in a transition, a pipeline without Won, more than 10 pipelines) are in `validation.py`, which
reports every problem with its location instead of stopping at the first.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from brevo_sync.domain.rules.actions import (
    Action,
    Escalation,
    Protection,
    Requirement,
    RulesModel,
    Scope,
    Threshold,
)

# Seed 001: "Create new pipelines (up to 10)".
MAX_PIPELINES = 10


def normalise(name: str) -> str:
    """Names compare case- and space-insensitively: "Closed Won" == "closedwon"."""
    return "".join(name.split()).casefold()


class StageConfig(RulesModel):
    name: str = Field(min_length=1)
    id: str | None = None  # the Brevo stage id, when matching by name is not wanted
    kind: Literal["open", "won", "lost"] = "open"
    probability: int | None = Field(default=None, ge=0, le=100)
    actions: tuple[Action, ...] = ()
    required: tuple[Requirement, ...] = ()
    recommended: tuple[Requirement, ...] = ()
    max_days: int | None = Field(default=None, ge=1)
    escalation: Escalation | None = None
    # A task due this many days after the deal entered the stage (seed 002: PROPOSAL, 3),
    # raised by the time-rules sweep for every deal it finds in the stage, however it got there.
    follow_up_days: int | None = Field(default=None, ge=0)
    protection: Protection | None = None

    @property
    def closed(self) -> bool:
        return self.kind != "open"

    @property
    def default_probability(self) -> int | None:
        """Won is 100 and Lost 0 whatever the file says (seed 001: fixed stages)."""
        if self.kind == "won":
            return 100
        if self.kind == "lost":
            return 0
        return self.probability


class TransitionConfig(RulesModel):
    from_: str = Field(alias="from")
    to: str
    conditions: tuple[Requirement, ...] = ()
    actions: tuple[Action, ...] = ()


class CommissionShare(RulesModel):
    from_: str = Field(alias="from")
    to: str
    percent: Decimal = Field(ge=0, le=100)
    # Seed 002: "Automatische Leads: Keine Provision für NEW_LEAD Stage".
    paid_for_automatic_leads: bool = True


class CommissionConfig(RulesModel):
    shares: tuple[CommissionShare, ...] = ()
    automatic_lead_sources: tuple[str, ...] = ()


class PipelineConfig(RulesModel):
    name: str = Field(min_length=1)
    id: str | None = None  # the Brevo pipeline id, when matching by name is not wanted
    stage_ids: dict[str, str] = Field(default_factory=dict)  # stage name -> Brevo stage id
    stages: tuple[StageConfig, ...] = Field(min_length=1)
    # None: every move between stages is allowed, subject to the guard's forbidden moves.
    transitions: tuple[TransitionConfig, ...] | None = None
    # Seed 002: "Direkte Sprünge über 2+ Stages" are forbidden, so at most 1 stage skipped.
    max_skipped_stages: int | None = Field(default=1, ge=0)
    commission: CommissionConfig | None = None

    def stage(self, name: str) -> StageConfig | None:
        key = normalise(name)
        return next((s for s in self.stages if normalise(s.name) == key), None)

    @property
    def open_stages(self) -> tuple[StageConfig, ...]:
        return tuple(s for s in self.stages if not s.closed)

    def stage_of_kind(self, kind: Literal["won", "lost"]) -> StageConfig | None:
        return next((s for s in self.stages if s.kind == kind), None)

    def transition(self, from_name: str, to_name: str) -> TransitionConfig | None:
        a, b = normalise(from_name), normalise(to_name)
        return next(
            (t for t in self.transitions or () if normalise(t.from_) == a and normalise(t.to) == b),
            None,
        )


class RoleConfig(RulesModel):
    """Seed 002 "Berechtigungen": which deals a role sees and whose stage it may change."""

    see: tuple[Scope, ...]
    move: tuple[Scope, ...] = ()
    reason_for: tuple[Scope, ...] = ()  # scopes where a move needs a reason (team lead: team)
    notify_original_seller: bool = False
    personal_data: bool = True  # Viewer: "keine PII"


class RuleAttributeNames(RulesModel):
    """Brevo deal attributes the rules read and write (custom attributes, seed 000's names)."""

    probability: str = "probability"
    probability_stage: str = "probability_stage"
    previous_stage: str = "previous_stage"
    stage_changed_at: str = "stage_changed_at"
    lost_reason: str = "lost_reason"
    source: str = "source"
    loyalty_points_bonus: str = "loyalty_points_bonus"
    deal_type: str = "deal_type"
    reference: str = "brevo_sync_ref"


class PrivacyConfig(RulesModel):
    """What a role without `personal_data` must not see (seed 002 Viewer: "keine PII")."""

    personal_attributes: tuple[str, ...] = ()
    personal_patterns: tuple[str, ...] = ("email", "phone", "mobile", "contact_name")
    redact_deal_name: bool = True


class InactivityStep(RulesModel):
    """Seed 002: 7 days remind the seller, 14 alert the team lead, 30 mark the deal dormant."""

    days: int = Field(ge=1)
    action: Literal["remind_seller", "alert_team_lead", "mark_dormant"]


class StaleHighValue(RulesModel):
    amount_over: Threshold
    no_update_days: int = Field(ge=1)


class TimeRulesConfig(RulesModel):
    inactivity: tuple[InactivityStep, ...] = ()
    stale_high_value: StaleHighValue | None = None


class OrderDealConfig(RulesModel):
    min_total: Threshold
    b2b_pipeline: str
    b2b_stage: str
    other_pipeline: str
    other_stage: str
    close_in_days: int = Field(ge=0)
    loyalty_bonus_percent: Decimal = Field(ge=0, le=100)
    name: str
    deal_type: str = "new_business"
    source: str = "ecommerce_order"


class RenewalConfig(RulesModel):
    days_before_expiry: int = Field(ge=0)
    pipeline: str
    stage: str
    probability: int = Field(ge=0, le=100)
    loyalty_bonus_percent: Decimal = Field(ge=0, le=100)
    contract_length_months: int = Field(ge=1)
    name: str
    deal_type: str = "renewal"
    source: str = "auto_renewal"


class CommerceConfig(RulesModel):
    order_deal: OrderDealConfig | None = None
    renewal: RenewalConfig | None = None


class Milestone(RulesModel):
    stage: str
    points: int = Field(ge=0)
    # Seed 000 Won milestone: the deal's loyalty_points_bonus, else `points` (1000).
    prefer_deal_bonus: bool = False


class Tier(RulesModel):
    name: str
    min_annual_spend: Threshold


class LoyaltyConfig(RulesModel):
    pipelines: tuple[str, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    tiers: tuple[Tier, ...] = ()


class CreateDealAction(RulesModel):
    type: Literal["create_deal"]
    name: str
    pipeline: str
    stage: str
    attributes: dict[str, Any] = Field(default_factory=dict)
    copy_contacts: bool = True


class UpdateDealAction(RulesModel):
    type: Literal["update_deal"]
    attributes: dict[str, Any] = Field(default_factory=dict)
    stage: str | None = None


Trigger = Literal[
    "deal_created", "deal_updated", "stage_changed", "contact_added", "contact_removed"
]


class AutomationConfig(RulesModel):
    """Seed 001 automations: a trigger (optionally narrowed) starts one action."""

    name: str
    trigger: Trigger
    pipeline: str | None = None
    from_stage: str | None = None
    to_stage: str | None = None
    action: Annotated[CreateDealAction | UpdateDealAction, Field(discriminator="type")]


class ForecastConfig(RulesModel):
    """Forecast categories (as CRMs show them), by the probability of a deal's stage: a Won
    stage is `closed`; an open stage at `commit_from` % or more is `commit`, at
    `best_case_from` % or more `best_case`, below (or without a probability) `pipeline`."""

    commit_from: int = Field(default=80, ge=1, le=100)
    best_case_from: int = Field(default=40, ge=1, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> ForecastConfig:
        if self.best_case_from > self.commit_from:
            raise ValueError("best_case_from must not be above commit_from")
        return self


class RulesConfig(RulesModel):
    version: Literal[1] = 1
    default_currency: str = "EUR"
    attributes: RuleAttributeNames = RuleAttributeNames()
    pipelines: tuple[PipelineConfig, ...]
    roles: dict[str, RoleConfig] = Field(default_factory=dict)
    teams: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    # E-mail -> Brevo user id, for people whose id is known; the worker learns the others
    # from Brevo (one request each, once) and keeps them in the mirror.
    people: dict[str, str] = Field(default_factory=dict)
    privacy: PrivacyConfig = PrivacyConfig()
    time_rules: TimeRulesConfig = TimeRulesConfig()
    commerce: CommerceConfig = CommerceConfig()
    loyalty: LoyaltyConfig = LoyaltyConfig()
    automations: tuple[AutomationConfig, ...] = ()
    conversion_events: bool = False  # seed 001 Meta Conversion API, off unless enabled
    forecast: ForecastConfig = ForecastConfig()
    # Currency -> what one unit of it is worth in `default_currency`. Empty (the default):
    # reports never add amounts of different currencies. Given: forecast and analytics
    # convert into the default currency (a currency without a rate stays apart).
    rates: dict[str, Annotated[Decimal, Field(gt=0)]] = Field(default_factory=dict)

    @field_validator("default_currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError("must be a three-letter currency code such as EUR")
        return value.upper()

    @field_validator("rates")
    @classmethod
    def _rate_currencies(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for currency in value:
            if len(currency) != 3 or not currency.isalpha():
                raise ValueError(f"{currency!r}: a rate is keyed by a three-letter currency code")
        return {currency.upper(): rate for currency, rate in value.items()}

    @model_validator(mode="after")
    def _default_rate(self) -> RulesConfig:
        rate = self.rates.get(self.default_currency)
        if rate is not None and rate != 1:
            raise ValueError(
                f"rates: {self.default_currency} is the default currency; its rate is 1, not {rate}"
            )
        return self

    def pipeline(self, name: str) -> PipelineConfig | None:
        key = normalise(name)
        return next((p for p in self.pipelines if normalise(p.name) == key), None)
