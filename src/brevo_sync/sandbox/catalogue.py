"""The fixed parts of the emulated account: pipelines, deal attributes, task types, loyalty.

They do not depend on the seed, so ids stay the same between runs and a rules file written
against one sandbox works against the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from brevo_sync.sandbox.ids import stable_hex, stable_uuid

CLASSIC_STAGES = (
    "Lead",
    "Qualified",
    "Demo",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
OPPORTUNITY_STAGES = (
    "NEW_LEAD",
    "QUALIFICATION",
    "NEEDS_ANALYSIS",
    "PROPOSAL",
    "NEGOTIATION",
    "CLOSED_WON",
    "CLOSED_LOST",
)
PIPELINE_NAMES = ("Enterprise Sales", "E-Commerce Upsell", "Renewals", "Opportunity Pipeline")


@dataclass(frozen=True, slots=True)
class StageDef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class PipelineDef:
    id: str
    name: str
    stages: tuple[StageDef, ...]  # in board order

    def stage_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stages)

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline": self.id,
            "pipeline_name": self.name,
            "stages": [{"id": s.id, "name": s.name} for s in self.stages],
        }


def default_pipelines() -> list[PipelineDef]:
    pipelines = []
    for name in PIPELINE_NAMES:
        stage_names = OPPORTUNITY_STAGES if name == "Opportunity Pipeline" else CLASSIC_STAGES
        pid = stable_hex(f"pipeline:{name}")
        stages = tuple(StageDef(stable_uuid(f"stage:{name}:{s}"), s) for s in stage_names)
        pipelines.append(PipelineDef(pid, name, stages))
    return pipelines


@dataclass(slots=True)
class AttributeDef:
    """One entry of `GET /crm/attributes/deals`. `options` are (key, label) pairs."""

    internal_name: str
    label: str
    type: str
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False
    readonly: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "internalName": self.internal_name,
            "label": self.label,
            "attributeTypeName": self.type,
            "attributeOptions": [{"key": k, "value": v} for k, v in self.options],
            "isRequired": self.required,
            "isValueReadonly": self.readonly,
        }


def _opts(*labels: str) -> tuple[tuple[str, str], ...]:
    return tuple((slug(label), label) for label in labels)


def slug(label: str) -> str:
    """Brevo derives an attribute's internal name from its label: lower case, underscores."""
    out = "".join(c.lower() if c.isalnum() else "_" for c in label.strip())
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


CURRENCIES = ("EUR", "USD", "GBP")


def system_attributes() -> list[AttributeDef]:
    """Attributes every Brevo account has. `close_date` and `deal_currency` are unverified
    names (see the README); the sandbox assumes them so the client's discovery has
    something to find."""
    return [
        AttributeDef("deal_name", "Deal Name", "text", required=True),
        AttributeDef("deal_owner", "Deal Owner", "user"),
        AttributeDef("amount", "Amount", "number"),
        AttributeDef("pipeline", "Pipeline", "pipeline"),
        AttributeDef("deal_stage", "Deal Stage", "stage"),
        AttributeDef("close_date", "Close Date", "date"),
        AttributeDef("deal_currency", "Deal Currency", "single-select", _opts(*CURRENCIES)),
        AttributeDef("created_at", "Created At", "date", readonly=True),
        AttributeDef("last_updated_date", "Last Updated Date", "date", readonly=True),
        AttributeDef("stage_updated_at", "Stage Updated At", "date", readonly=True),
        AttributeDef("last_activity_date", "Last Activity Date", "date", readonly=True),
        AttributeDef("next_activity_date", "Next Activity Date", "date", readonly=True),
        AttributeDef("number_of_contacts", "Number Of Contacts", "number", readonly=True),
        AttributeDef("number_of_activities", "Number Of Activities", "number", readonly=True),
    ]


DEAL_TYPES = ("New Business", "Upsell", "Renewal", "Cross-sell")
SOURCES = ("Website", "Referral", "Partner", "Event", "Outbound", "Marketplace")
BUDGET_RANGES = ("< 10k", "10k-50k", "50k-100k", "> 100k")
LOST_REASONS = ("Price", "Competitor", "No budget", "No decision", "Timing", "Product fit")


def custom_attributes() -> list[AttributeDef]:
    """Custom attributes the business rules use; a real account would have had them created."""
    return [
        AttributeDef("probability", "Probability", "number"),
        AttributeDef("lost_reason", "Lost Reason", "single-select", _opts(*LOST_REASONS)),
        AttributeDef("deal_type", "Deal Type", "single-select", _opts(*DEAL_TYPES)),
        AttributeDef("source", "Source", "single-select", _opts(*SOURCES)),
        AttributeDef("reference", "Reference", "text"),
        AttributeDef("loyalty_points_bonus", "Loyalty Points Bonus", "number"),
        AttributeDef("customer_id", "Customer ID", "text"),
        AttributeDef("budget_range", "Budget Range", "single-select", _opts(*BUDGET_RANGES)),
        AttributeDef("decision_maker", "Decision Maker", "text"),
        AttributeDef("next_step", "Next Step", "text"),
        AttributeDef("is_strategic", "Is Strategic", "boolean"),
    ]


# The account's users, who own the seeded deals; every state has them (like its pipelines),
# so a deal can be given an owner in an empty sandbox too. Companies name them by e-mail.
OWNERS = (
    "alice.martin@example.com",
    "bruno.keller@example.com",
    "chloe.dubois@example.com",
    "david.nguyen@example.com",
    "eva.rossi@example.com",
    "farid.haddad@example.com",
)

TASK_TYPES = ("Call", "Email", "Meeting", "Todo", "Lunch", "Deadline")


def task_types() -> list[dict[str, str]]:
    return [{"id": stable_hex(f"tasktype:{t}"), "title": t} for t in TASK_TYPES]


LOYALTY_PROGRAM_ID = stable_uuid("loyalty:program:default")
LOYALTY_BALANCE_DEFINITION_ID = stable_uuid("loyalty:balance:points")
LOYALTY_TIER_GROUP_ID = stable_uuid("loyalty:tier-group:default")
TIER_NAMES = (("Bronze", 0), ("Silver", 1000), ("Gold", 5000), ("Platinum", 20000))


def loyalty_tiers() -> list[dict[str, Any]]:
    """Tiers of the one seeded loyalty program, lowest first (`minimumValue` in points)."""
    return [
        {
            "tierId": stable_uuid(f"loyalty:tier:{name}"),
            "name": name,
            "groupId": LOYALTY_TIER_GROUP_ID,
            "loyaltyProgramId": LOYALTY_PROGRAM_ID,
            "imageRef": "",
            "accessConditions": [
                {"balanceDefinitionId": LOYALTY_BALANCE_DEFINITION_ID, "minimumValue": minimum}
            ],
            "tierRewards": [],
            "createdAt": "2024-01-01T00:00:00.000Z",
            "updatedAt": "2024-01-01T00:00:00.000Z",
        }
        for name, minimum in TIER_NAMES
    ]
