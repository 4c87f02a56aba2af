"""Seeded sample data: deterministic, realistic enough for the rules, and fast at scale."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime

from brevo_sync.sandbox import ManualClock, SandboxState
from brevo_sync.sandbox.clock import since_to_ms, to_ms

DAY_MS = 86_400_000


def _dump(state: SandboxState) -> bytes:
    return json.dumps(
        [state.deals_snapshot(), state.companies_snapshot()], separators=(",", ":")
    ).encode()


def test_same_seed_same_bytes_other_seed_other_data() -> None:
    clock = ManualClock(datetime(2025, 3, 10, 9, 30, tzinfo=UTC))
    first = _dump(SandboxState.seeded(seed=3, deals=300, clock=clock))
    assert _dump(SandboxState.seeded(seed=3, deals=300, clock=clock)) == first
    assert _dump(SandboxState.seeded(seed=4, deals=300, clock=clock)) != first
    later_same_day = ManualClock(datetime(2025, 3, 10, 23, 59, tzinfo=UTC))
    assert _dump(SandboxState.seeded(seed=3, deals=300, clock=later_same_day)) == first


def test_seeded_deals_look_like_a_sales_account(seeded: SandboxState, clock: ManualClock) -> None:
    deals = seeded.deals_snapshot()
    attrs = [d["attributes"] for d in deals]
    assert len(deals) == 400
    anchor = to_ms(clock()) - to_ms(clock()) % DAY_MS
    created = [since_to_ms(a["created_at"]) for a in attrs]
    updated = [since_to_ms(a["last_updated_date"]) for a in attrs]
    assert all(
        anchor - 121 * DAY_MS <= c <= u < anchor for c, u in zip(created, updated, strict=True)
    )
    assert max(created) - min(created) > 90 * DAY_MS  # spread over the period
    assert len(set(created)) < len(created)  # some creation ties
    assert len(set(updated)) < len(updated)  # and some update ties
    assert sum(c == u for c, u in zip(created, updated, strict=True)) > 40  # never edited
    # owners are the account's six users, by id as Brevo returns them
    assert {a["deal_owner"] for a in attrs} == set(seeded.users_snapshot().values())
    assert len(seeded.users_snapshot()) == 6
    assert {c["attributes"]["owner"] for c in seeded.companies_snapshot()} <= set(
        seeded.users_snapshot()
    )  # companies keep e-mails
    assert any(a["amount"] > 25_000 for a in attrs)
    assert {a["deal_currency"] for a in attrs} == {"EUR", "USD"}
    assert len({a["pipeline"] for a in attrs}) == 4
    names = {s.id: s.name for p in seeded.pipelines for s in p.stages}
    stages = Counter(names[a["deal_stage"]] for a in attrs)
    assert stages["Closed Won"] + stages["CLOSED_WON"] > 0
    lost = [a for a in attrs if names[a["deal_stage"]] in ("Closed Lost", "CLOSED_LOST")]
    assert lost and all("lost_reason" in a for a in lost)
    assert all(a["deal_stage"] in seeded.pipeline(a["pipeline"]).stage_ids() for a in attrs)
    assert all(
        a["number_of_contacts"] == len(d["linkedContactsIds"])
        for a, d in zip(attrs, deals, strict=True)
    )


def test_every_seeded_attribute_is_in_the_catalogue_and_links_resolve(seeded: SandboxState) -> None:
    catalogue = {a["internalName"] for a in seeded.deal_attributes.to_json()}
    custom = {"probability", "lost_reason", "deal_type", "source", "reference",
              "loyalty_points_bonus", "customer_id", "budget_range", "decision_maker"}  # fmt: skip
    assert custom <= catalogue
    companies = {c["id"]: c for c in seeded.companies_snapshot()}
    for deal in seeded.deals_snapshot():
        assert set(deal["attributes"]) <= catalogue
        for company_id in deal["linkedCompaniesIds"]:
            assert deal["id"] in companies[company_id]["linkedDealsIds"]


def test_big_account_seeds_in_seconds_and_pages_in_milliseconds() -> None:
    """200k deals are measured in the report; 50k keep this test quick on a busy machine."""
    clock = ManualClock(datetime(2025, 3, 10, 9, 30, tzinfo=UTC))
    started = time.perf_counter()
    state = SandboxState.seeded(seed=9, deals=50_000, clock=clock)
    seeding = time.perf_counter() - started
    since = state.deals_snapshot()[25_000]["attributes"]["last_updated_date"]
    params = {"modifiedSince": since, "sort": "asc", "limit": "100"}
    state.deals_page_json({**params, "offset": "0"})  # builds the view for this `since`
    started = time.perf_counter()
    for offset in range(100, 2100, 100):
        assert (
            len(json.loads(state.deals_page_json({**params, "offset": str(offset)}))["items"])
            == 100
        )
    per_page = (time.perf_counter() - started) / 20
    assert seeding < 8.0
    assert per_page < 0.02
