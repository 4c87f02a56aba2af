"""A small hand-made mirror for the commission statement, and its figures worked out by hand.

Seed 002's shares (packaged rules): 10% NEW_LEAD -> QUALIFICATION (not for automatic leads),
20% QUALIFICATION -> NEEDS_ANALYSIS, 30% NEEDS_ANALYSIS -> PROPOSAL, 40% PROPOSAL -> CLOSED_WON.
The statement for October 2026 (UTC):

d-acme     10,000 (no currency: EUR, the default). Ana brings it to NEEDS_ANALYSIS, Bob takes
           over: Ana 10 + 20 = 30% = 3,000.00 EUR; Bob 30 + 40 = 70% = 7,000.00 EUR (won from
           NEGOTIATION on Oct 10: the PROPOSAL -> CLOSED_WON share).
d-globex   2,500 USD, an automatic lead (source web_form): no NEW_LEAD share. Ana 20% =
           500.00 USD; Carol 30 + 40% = 750.00 + 1,000.00 = 1,750.00 USD.
d-initech  1,234.56 eur, Bob alone, skipping QUALIFICATION (earns 10 and 20 at once): 123.46 +
           246.91 + 370.37 + 493.82 = 1,234.56 EUR (each share to the cent, half up). Won Oct 31
           23:30 UTC, known from the history only (no stage_updated_at): October.
d-nov      won Nov 1 00:00 UTC: in November's statement (Ana 40% of 5,000 = 2,000.00 EUR).
d-ent      won in October in Enterprise Sales: no commission rules there, counted apart.
d-seen     first seen already won: no move earned anything (without_shares).
d-noamt    won by Carol in October without an amount: her 40% line has no money.
d-open     in PROPOSAL: not won, in no statement.

October totals: Ana 3,000.00 EUR + 500.00 USD; Bob 8,234.56 EUR; Carol 1,750.00 USD;
all: 11,234.56 EUR and 2,250.00 USD. Ana's e-mail is in the mirror's people, Bob's in the rules'
`people:`, Carol's nowhere (shown by her user id).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from brevo_sync.adapters.rules_file import load_default_rules
from brevo_sync.domain.deal import Deal, Pipeline, Stage
from brevo_sync.domain.moves import StageMove
from brevo_sync.domain.reports import Person
from brevo_sync.service.ports import UnitOfWorkFactory

NOW = datetime(2026, 11, 15, 9, 0, tzinfo=UTC)
ANA, BOB = "ana@example.com", "bob@example.com"
ANA_ID, BOB_ID, CAROL_ID = "a" * 24, "b" * 24, "c" * 24
RULES = load_default_rules().model_copy(update={"people": {BOB: BOB_ID}})

OPP_STAGES = (
    "NEW_LEAD", "QUALIFICATION", "NEEDS_ANALYSIS", "PROPOSAL", "NEGOTIATION", "CLOSED_WON",
    "CLOSED_LOST",
)  # fmt: skip
ENT_STAGES = ("Lead", "Qualified", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
# Brevo's ids are not the names: the rules map the stages by name.
S = {name: f"s{i}" for i, name in enumerate(OPP_STAGES, 1)}
OPP = tuple(Stage(S[n], n, i) for i, n in enumerate(OPP_STAGES))
ENT = tuple(Stage(f"e{i}", n, i) for i, n in enumerate(ENT_STAGES))
PIPELINES = [
    Pipeline("opp", "Opportunity Pipeline", OPP),
    Pipeline("ent", "Enterprise Sales", ENT, 1),
]


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _deal(
    deal_id: str,
    stage: str,
    amount: str | None,
    currency: str | None,
    owner: str,
    won: datetime | None,
    *,
    pipeline: str = "opp",
    source: str = "fair",
) -> Deal:
    return Deal(
        id=deal_id,
        name=f"{deal_id.removeprefix('d-').title()} deal",
        pipeline_id=pipeline,
        stage_id=stage,
        owner=owner,
        amount=None if amount is None else Decimal(amount),
        currency=currency,
        created_at=at(8, 20),
        updated_at=won or at(10, 1),
        stage_updated_at=won,
        attributes={"source": source},
    )


DEALS = [
    _deal("d-acme", S["CLOSED_WON"], "10000", None, BOB_ID, at(10, 10)),
    _deal("d-globex", S["CLOSED_WON"], "2500", "USD", CAROL_ID, at(10, 20), source="web_form"),
    _deal("d-initech", S["CLOSED_WON"], "1234.56", "eur", BOB_ID, None),
    _deal("d-nov", S["CLOSED_WON"], "5000", "EUR", ANA_ID, at(11, 1, 0)),
    _deal("d-ent", "e5", "9000", "EUR", ANA_ID, at(10, 5), pipeline="ent"),
    _deal("d-seen", S["CLOSED_WON"], "700", "EUR", ANA_ID, at(10, 3)),
    _deal("d-noamt", S["CLOSED_WON"], None, None, CAROL_ID, at(10, 15)),
    _deal("d-open", S["PROPOSAL"], "4000", "EUR", ANA_ID, at(10, 12)),
]


def _moves(
    deal_id: str, *steps: tuple[str | None, str, datetime, str], pipeline: str = "opp"
) -> list[StageMove]:
    return [
        StageMove(
            deal_id=deal_id,
            pipeline_id=pipeline,
            from_pipeline_id=None,
            from_stage_id=None if src is None else S.get(src, src),
            to_stage_id=S.get(dst, dst),
            changed_at=when,
            owner=owner,
            source="pull",
            first_sight=src is None,
        )
        for src, dst, when, owner in steps
    ]


HISTORY = [
    *_moves(
        "d-acme",
        (None, "NEW_LEAD", at(9, 1), ANA_ID),
        ("NEW_LEAD", "QUALIFICATION", at(9, 3), ANA_ID),
        ("QUALIFICATION", "NEEDS_ANALYSIS", at(9, 10), ANA_ID),
        ("NEEDS_ANALYSIS", "PROPOSAL", at(9, 20), BOB_ID),  # Bob took over
        ("PROPOSAL", "NEGOTIATION", at(10, 1), BOB_ID),
        ("NEGOTIATION", "CLOSED_WON", at(10, 10), BOB_ID),
    ),
    *_moves(
        "d-globex",
        (None, "NEW_LEAD", at(10, 1), ANA_ID),
        ("NEW_LEAD", "QUALIFICATION", at(10, 2), ANA_ID),  # automatic lead: no share
        ("QUALIFICATION", "NEEDS_ANALYSIS", at(10, 5), ANA_ID),
        ("NEEDS_ANALYSIS", "PROPOSAL", at(10, 8), CAROL_ID),
        ("PROPOSAL", "CLOSED_WON", at(10, 20), CAROL_ID),
    ),
    *_moves(
        "d-initech",
        (None, "NEW_LEAD", at(10, 1), BOB_ID),
        ("NEW_LEAD", "NEEDS_ANALYSIS", at(10, 2), BOB_ID),  # a skip: 10% and 20%
        ("NEEDS_ANALYSIS", "PROPOSAL", at(10, 3), BOB_ID),
        ("PROPOSAL", "CLOSED_WON", at(10, 31, 23, 30), BOB_ID),
    ),
    *_moves(
        "d-nov",
        (None, "PROPOSAL", at(10, 20), ANA_ID),
        ("PROPOSAL", "CLOSED_WON", at(11, 1, 0), ANA_ID),
    ),
    *_moves(
        "d-ent",
        (None, "e3", at(9, 1), ANA_ID),
        ("e3", "e5", at(10, 5), ANA_ID),
        pipeline="ent",
    ),
    *_moves("d-seen", (None, "CLOSED_WON", at(10, 3), ANA_ID)),
    *_moves(
        "d-noamt",
        (None, "PROPOSAL", at(10, 1), CAROL_ID),
        ("PROPOSAL", "CLOSED_WON", at(10, 15), CAROL_ID),
    ),
    *_moves(
        "d-open",
        (None, "NEW_LEAD", at(9, 1), ANA_ID),
        ("NEW_LEAD", "QUALIFICATION", at(9, 5), ANA_ID),
        ("QUALIFICATION", "NEEDS_ANALYSIS", at(9, 25), ANA_ID),
        ("NEEDS_ANALYSIS", "PROPOSAL", at(10, 12), ANA_ID),
    ),
]

# Worked out by hand above: (seller, deal, from stage, percent, amount, currency).
OCTOBER_LINES = [
    (ANA, "d-acme", "NEW_LEAD", 10, "1000.00", "EUR"),
    (ANA, "d-acme", "QUALIFICATION", 20, "2000.00", "EUR"),
    (ANA, "d-globex", "QUALIFICATION", 20, "500.00", "USD"),
    (BOB, "d-acme", "NEEDS_ANALYSIS", 30, "3000.00", "EUR"),
    (BOB, "d-acme", "PROPOSAL", 40, "4000.00", "EUR"),
    (BOB, "d-initech", "NEW_LEAD", 10, "123.46", "EUR"),
    (BOB, "d-initech", "QUALIFICATION", 20, "246.91", "EUR"),
    (BOB, "d-initech", "NEEDS_ANALYSIS", 30, "370.37", "EUR"),
    (BOB, "d-initech", "PROPOSAL", 40, "493.82", "EUR"),
    (CAROL_ID, "d-noamt", "PROPOSAL", 40, None, None),  # won Oct 15, before d-globex
    (CAROL_ID, "d-globex", "NEEDS_ANALYSIS", 30, "750.00", "USD"),
    (CAROL_ID, "d-globex", "PROPOSAL", 40, "1000.00", "USD"),
]
OCTOBER_SELLERS = {
    ANA: (2, {"EUR": Decimal("3000.00"), "USD": Decimal("500.00")}),
    BOB: (2, {"EUR": Decimal("8234.56")}),
    CAROL_ID: (2, {"USD": Decimal("1750.00")}),
}
OCTOBER_TOTALS = {"EUR": Decimal("11234.56"), "USD": Decimal("2250.00")}


def fill(uow: UnitOfWorkFactory) -> None:
    """Write the mirror above through the ports (as a pull would have)."""
    with uow() as w:
        w.catalog.replace(PIPELINES, None, NOW)
        w.deals.upsert(DEALS, NOW)
        w.history.add(HISTORY, NOW)
        w.people.put(Person(ANA, ANA_ID, "brevo", NOW))
        w.commit()
