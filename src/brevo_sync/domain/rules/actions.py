"""The building blocks of the rules file shared by stages, transitions and automations.

Actions are data (a tagged union on `type`) so the YAML can say what a stage or transition does
without code; `transitions.py` turns each into a domain event. Requirements are the conditions
and required fields of seed 002: a requirement holds when any of its fields has a value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Recipient = Literal["seller", "original_seller", "team_lead", "team", "manager", "first_seller"]
Scope = Literal["own", "team", "all"]

# A money threshold: a plain number is in the rules file's default currency; a mapping gives
# one threshold per currency. Nothing converts between currencies.
Threshold = Decimal | dict[str, Decimal]


class RulesModel(BaseModel):
    """Every rules-file model: unknown keys are errors (a typo must not silently do nothing)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TaskAction(RulesModel):
    """A CRM task: seed 000's next steps, seed 002's calendar entry, review, follow-ups."""

    type: Literal["task"]
    name: str
    title: str
    due_in_days: int = Field(default=0, ge=0)
    due_in_months: int = Field(default=0, ge=0)
    assignee: Recipient = "seller"
    kind: str = "todo"


class NotifyAction(RulesModel):
    type: Literal["notify"]
    name: str = "notify"
    to: Recipient
    message: str


class LossAnalysisAction(RulesModel):
    type: Literal["loss_analysis"]
    name: str = "analyze_loss"


class OnboardingAction(RulesModel):
    type: Literal["onboarding"]
    name: str = "onboard_customer"


class LoyaltyBonusAction(RulesModel):
    """Seed 000 `award_loyalty_points`: the deal's `loyalty_points_bonus` to its company."""

    type: Literal["loyalty_bonus"]
    name: str = "award_loyalty_points"


class CommissionAction(RulesModel):
    type: Literal["commission"]
    name: str = "compute_commission"


class ExternalAction(RulesModel):
    """Done outside brevo-sync (seed 002: calculator, order to Xentral, archive)."""

    type: Literal["external"]
    name: str
    params: dict[str, str] = Field(default_factory=dict)


Action = Annotated[
    TaskAction
    | NotifyAction
    | LossAnalysisAction
    | OnboardingAction
    | LoyaltyBonusAction
    | CommissionAction
    | ExternalAction,
    Field(discriminator="type"),
]


class Requirement(RulesModel):
    """Holds when any of `any_of` has a value on the deal (see `fields.has_value`).

    A plain string in the YAML is shorthand for a requirement on that one field.
    """

    label: str
    any_of: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"label": data, "any_of": [data]}
        return data


class Escalation(RulesModel):
    """What happens when a deal overstays its stage (seed 002 "Aktion bei Überschreitung")."""

    to: Recipient
    action: str


class Protection(RulesModel):
    """Seed 002 "Verkäuferschutz": how long the seller keeps the deal to themselves."""

    level: Literal["low", "medium", "high", "permanent"]
    exclusive_days: int | None = Field(default=None, ge=1)
    then: Literal["open", "team_pool"] | None = None

    @model_validator(mode="after")
    def _window_needs_days(self) -> Protection:
        if self.level in ("low", "medium") and self.exclusive_days is None:
            raise ValueError(f"a {self.level} protection needs exclusive_days")
        if self.level in ("high", "permanent") and self.exclusive_days is not None:
            raise ValueError(f"a {self.level} protection has no exclusive_days: it never lapses")
        return self
