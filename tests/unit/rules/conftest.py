"""Fixtures for the rules engine: the packaged rules, a rulebook on them, deal builders.

The rulebook uses the identity stage map (Brevo ids = configured names) so a test reads like
the seeds: a deal in "NEEDS_ANALYSIS" of "Opportunity Pipeline".
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from brevo_sync.adapters.rules_file import load_default_rules
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules import Actor, Directory, Rulebook, RulesConfig

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPPORTUNITY = "Opportunity Pipeline"  # seed 002
ENTERPRISE = "Enterprise Sales"  # seed 000

# Every field seed 002 requires or lists as a condition, filled in.
COMPLETE = {
    "source": "fair",
    "budget_range": "50-80k",
    "decision_maker": "CFO",
    "need_summary": "loyalty programme",
    "customer": "Acme",
    "requirements": "documented",
    "project_timeline": "Q3",
    "decision_criteria": "price, fit",
    "offer_amount": 75000,
    "offer_valid_until": "2026-04-30",
    "offer_terms": "net 30",
    "next_steps": "call",
    "offer_created": True,
    "offer_sent": True,
    "final_terms": "signed draft",
}


@pytest.fixture(scope="session")
def config() -> RulesConfig:
    return load_default_rules()


@pytest.fixture(scope="session")
def book(config: RulesConfig) -> Rulebook:
    return Rulebook.build(config)


@pytest.fixture(scope="session")
def directory() -> Directory:
    return Directory({"north": frozenset({"alice", "bob", "lead"}), "south": frozenset({"carol"})})


def deal(
    stage: str = "NEW_LEAD",
    pipeline: str = OPPORTUNITY,
    *,
    id: str = "d1",
    owner: str | None = "alice",
    amount: str | None = "75000",
    complete: bool = False,
    **attributes: Any,
) -> Deal:
    attrs = {**(COMPLETE if complete else {}), **attributes}
    return Deal(
        id=id,
        name="Acme Corp - Enterprise Loyalty Package",
        pipeline_id=pipeline,
        stage_id=stage,
        owner=owner,
        amount=Decimal(amount) if amount is not None else None,
        created_at=datetime(2026, 1, 25, 14, 30, tzinfo=UTC),
        stage_updated_at=datetime(2026, 2, 1, 10, 15, tzinfo=UTC),
        attributes=attrs,
        contact_ids=(987654321,),
        company_ids=("comp_123456789",),
    )


REP = Actor("alice", "sales_rep")
MANAGER = Actor("mia", "sales_manager")
