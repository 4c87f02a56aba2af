"""The gateway's writes and the Meta adapter against the sandbox, in-process: the SDK's
requests are what the emulator accepts, and its answers what the gateway reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from brevo_sync.adapters.brevo import BrevoOutcomeUnknown, SdkBrevoGateway, build_gateway
from brevo_sync.adapters.meta import MetaConversions
from brevo_sync.errors import BrevoBadRequest
from brevo_sync.sandbox import ManualClock, SandboxState, SandboxTransport


@pytest.fixture(autouse=True)
def _no_oauth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BREVO_CLIENT_ID", raising=False)
    monkeypatch.delenv("BREVO_CLIENT_SECRET", raising=False)


@pytest.fixture
def gateway(state: SandboxState) -> Iterator[SdkBrevoGateway]:
    gateway = build_gateway(
        api_key=state.api_key,
        base_url="http://sandbox/v3",
        timeout_seconds=5,
        max_retries=2,
        reserve=0,
        max_wait_seconds=60,
        backoff_base_seconds=0,
        backoff_max_seconds=0,
        sleep=lambda _s: None,
        transport=SandboxTransport(state),
    )
    yield gateway
    gateway.close()


def test_tasks_notes_companies_and_attributes(
    gateway: SdkBrevoGateway, state: SandboxState
) -> None:
    deal = state.create_deal("Acme")
    types = gateway.list_task_types()
    call = next(t["id"] for t in types if t["title"] == "Call")
    due = datetime(2025, 3, 13, 9, 0, tzinfo=UTC)

    task_id = gateway.create_task(
        name="Follow up", task_type_id=call, date=due, assign_to=None, deal_ids=[deal]
    )
    note_id = gateway.create_note(text="<p>Won</p>", deal_ids=[deal])
    gateway.create_deal_attribute(label="Previous Stage", attribute_type="text")
    gateway.create_deal_attribute(label="Previous Stage", attribute_type="text")  # exists: fine

    assert [t["id"] for t in gateway.deal_tasks(deal)] == [task_id]
    assert [n["id"] for n in gateway.deal_notes(deal)] == [note_id]
    stored = state.tasks_snapshot()[0]
    assert datetime.fromisoformat(stored["date"].replace("Z", "+00:00")) == due
    labels = {a["label"]: a["internalName"] for a in gateway.list_deal_attributes()}
    assert labels["Previous Stage"] == "previous_stage"
    gateway.update_deal(deal, attributes={"previous_stage": "Demo"})
    assert state.get_deal(deal)["attributes"]["previous_stage"] == "Demo"


def test_update_company(gateway: SdkBrevoGateway, state: SandboxState) -> None:
    with state.lock:
        company = state.companies.add({"name": "Acme"}, [], state.now_ms())
    gateway.update_company(company.id, {"annual_spend": 12000})
    assert state.companies_snapshot()[0]["attributes"]["annual_spend"] == 12000


def test_loyalty_both_ways_and_tiers(gateway: SdkBrevoGateway, state: SandboxState) -> None:
    pid, balance = state.loyalty_program_id, state.loyalty_balance_definition_id
    with pytest.raises(BrevoBadRequest) as caught:
        gateway.loyalty_credit(pid, balance_id=balance, contact_id=7, amount=100, meta={})
    assert caught.value.status == 422  # not enrolled

    gateway.loyalty_subscribe(pid, 7)
    gateway.loyalty_subscribe(pid, 7)  # already enrolled: fine
    gateway.loyalty_credit(pid, balance_id=balance, contact_id=7, amount=100, meta={"deal_id": "a"})
    tid = gateway.loyalty_begin(pid, balance_id=balance, contact_id=7, amount=250, meta={})
    assert state.loyalty_balance(7) == 100  # a draft credits nothing
    gateway.loyalty_complete(pid, tid)
    gateway.loyalty_complete(pid, tid)  # done twice is done
    assert state.loyalty_balance(7) == 350

    history = gateway.loyalty_transactions(pid, contact_id=7, balance_id=balance)
    assert [t["amount"] for t in history] == [250, 100]
    assert history[1]["meta"] == {"deal_id": "a"}
    gold = next(t for t in gateway.loyalty_tiers(pid) if t["name"] == "Gold")
    gateway.loyalty_assign_tier(pid, 7, gold["tierId"])
    assert state.contact_tier(7) == gold["tierId"]
    assert gateway.requests.snapshot()["POST /loyalty/balance/programs/{pid}/transactions"] == 3


def test_import_then_find_the_new_deals_by_creation_time(
    gateway: SdkBrevoGateway, state: SandboxState, clock: ManualClock
) -> None:
    existing = state.create_deal("Existing", attributes={"amount": 5})
    clock.advance(5)
    before = clock() - timedelta(milliseconds=1)  # just before the attempt
    rows = [
        {"deal_name": "From order 1", "reference": "shop:1", "amount": 5000},
        {"deal_id": existing, "amount": 7},
    ]

    process = gateway.import_deals(rows, update_existing=True)
    assert gateway.list_deals_created_since(before, offset=0, limit=50).items == []

    clock.advance(1)
    page = gateway.list_deals_created_since(before, offset=0, limit=50)
    assert [d["attributes"].get("reference") for d in page.items] == ["shop:1"]
    assert state.get_deal(existing)["attributes"]["amount"] == 7
    assert process == 1


def test_an_import_whose_answer_is_lost_is_not_sent_again(
    gateway: SdkBrevoGateway, state: SandboxState, clock: ManualClock
) -> None:
    state.faults.drop_next(1, path_prefix="/crm/deals/import")

    with pytest.raises(BrevoOutcomeUnknown):
        gateway.import_deals([{"deal_name": "Once", "reference": "r1"}], update_existing=False)

    clock.advance(1)
    assert [d["attributes"]["deal_name"] for d in state.deals_snapshot()] == ["Once"]
    assert len(state.imports.processes) == 1


def test_meta_adapter_against_the_stand_in(state: SandboxState) -> None:
    with httpx.Client(transport=SandboxTransport(state)) as client:
        meta = MetaConversions(
            client, endpoint_base="http://sandbox/_meta/v19.0", pixel_id="77", access_token="tok"
        )
        answer = meta.send(
            [
                {
                    "event_name": "Purchase",
                    "event_time": 1741600000,
                    "event_id": "row-9",
                    "action_source": "system_generated",
                    "user_data": {"em": "Buyer@Example.com", "external_id": "c-1"},
                }
            ]
        )

    assert answer["events_received"] == 1
    events = state.meta.events()
    assert events[0]["pixel_id"] == "77"
    assert set(events[0]["user_data"]) == {"em", "external_id"}
