"""Loyalty through SdkBrevoGateway: its own budget bucket, repeatable and unrepeatable POSTs."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from brevo_fakes import FakeClock, limits

from brevo_sync.adapters.brevo import BrevoOutcomeUnknown, SdkBrevoGateway
from brevo_sync.adapters.brevo.budget import LOYALTY
from brevo_sync.errors import BrevoBadRequest

PID = "prog-1"
BALANCE = "bal-1"
SUBSCRIBE = f"/loyalty/config/programs/{PID}/subscriptions"
TRANSACTIONS = f"/loyalty/balance/programs/{PID}/transactions"
META = {"deal_id": "d1", "milestone": "won"}

UNCLEAR = [
    httpx.Response(500, json={"error": "internal"}),
    httpx.ReadTimeout("read timed out"),
    httpx.RemoteProtocolError("server disconnected without sending a response"),
]
UNCLEAR_IDS = ["500", "ReadTimeout", "RemoteProtocolError"]


def transaction(tid: str = "tx1", status: str = "completed", **extra: object) -> httpx.Response:
    return httpx.Response(200, json={"id": tid, "status": status, "amount": 250, **extra})


def credit(gateway: SdkBrevoGateway, amount: float = 250) -> str:
    return gateway.loyalty_credit(PID, balance_id=BALANCE, contact_id=42, amount=amount, meta=META)


def test_subscribe_enrols_the_contact(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    route = router.post(SUBSCRIBE).respond(201, json={"contactId": 42})

    gateway.loyalty_subscribe(PID, 42)

    assert json.loads(route.calls.last.request.content) == {"contactId": 42}
    assert gateway.requests.snapshot() == {"POST /loyalty/config/programs/{pid}/subscriptions": 1}


@pytest.mark.parametrize(
    "message",
    ["Subscription for this contact already exists", "Contact 42 is already subscribed"],
)
def test_subscribing_an_enrolled_contact_is_success(
    gateway: SdkBrevoGateway, router: respx.MockRouter, message: str
) -> None:
    router.post(SUBSCRIBE).respond(422, json={"error": message})

    gateway.loyalty_subscribe(PID, 42)


def test_subscribe_other_refusals_raise(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    router.post(SUBSCRIBE).respond(422, json={"error": "Loyalty program is inactive"})

    with pytest.raises(BrevoBadRequest, match="inactive"):
        gateway.loyalty_subscribe(PID, 42)


def test_subscribe_is_repeated_after_a_5xx_because_a_second_one_changes_nothing(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.post(SUBSCRIBE).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(422, json={"error": "Subscription for this contact already exists"}),
        ]
    )

    gateway.loyalty_subscribe(PID, 42)
    assert route.call_count == 2


def test_credit_completes_at_once_with_the_meta(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.post(TRANSACTIONS).mock(return_value=transaction())

    assert credit(gateway) == "tx1"

    body = json.loads(route.calls.last.request.content)
    assert body == {
        "amount": 250,
        "balanceDefinitionId": BALANCE,
        "contactId": 42,
        "transactionType": "credit",
        "autoComplete": True,
        "meta": META,
    }
    assert gateway.requests.snapshot() == {"POST /loyalty/balance/programs/{pid}/transactions": 1}


@pytest.mark.parametrize("failure", UNCLEAR, ids=UNCLEAR_IDS)
def test_credit_is_never_repeated_after_an_unclear_outcome(
    gateway: SdkBrevoGateway, router: respx.MockRouter, failure: httpx.Response | Exception
) -> None:
    route = router.post(TRANSACTIONS).mock(side_effect=[failure, transaction()])

    with pytest.raises(BrevoOutcomeUnknown):
        credit(gateway)
    assert route.call_count == 1


def test_credit_of_a_contact_not_enrolled_is_a_bad_request(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.post(TRANSACTIONS).respond(
        422, json={"code": "unprocessable_entity", "message": "Contact 42 is not subscribed"}
    )

    with pytest.raises(BrevoBadRequest) as caught:
        credit(gateway)
    assert caught.value.status == 422


def test_a_rejected_transaction_is_a_bad_request(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.post(TRANSACTIONS).mock(
        return_value=transaction(status="rejected", rejectReason="exceeds credit limit")
    )

    with pytest.raises(BrevoBadRequest, match="exceeds credit limit"):
        credit(gateway)


def test_credit_without_points_spends_nothing(gateway: SdkBrevoGateway) -> None:
    for amount in (0, -5):
        with pytest.raises(ValueError, match="positive"):
            credit(gateway, amount=amount)
    assert gateway.requests.total == 0


def test_begin_then_complete(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    begin = router.post(TRANSACTIONS).mock(return_value=transaction(status="draft"))
    complete = router.post(f"{TRANSACTIONS}/tx1/complete").mock(return_value=transaction())

    tid = gateway.loyalty_begin(PID, balance_id=BALANCE, contact_id=42, amount=100, meta=META)
    gateway.loyalty_complete(PID, tid)

    assert json.loads(begin.calls.last.request.content)["autoComplete"] is False
    assert complete.calls.last.request.content == b""
    assert gateway.requests.snapshot() == {
        "POST /loyalty/balance/programs/{pid}/transactions": 1,
        "POST /loyalty/balance/programs/{pid}/transactions/{tid}/complete": 1,
    }


def test_complete_is_repeated_after_a_lost_answer_and_done_twice_is_done(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.post(f"{TRANSACTIONS}/tx1/complete").mock(
        side_effect=[
            httpx.ReadTimeout("read timed out"),
            httpx.Response(
                417, json={"error": "transaction is already closed, state transition is not "}
            ),
        ]
    )

    gateway.loyalty_complete(PID, "tx1")
    assert route.call_count == 2


def test_completing_a_cancelled_transaction_raises(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    router.post(f"{TRANSACTIONS}/tx1/complete").respond(
        422,
        json={"code": "unprocessable_entity", "message": "Transaction tx1 is already cancelled"},
    )

    with pytest.raises(BrevoBadRequest, match="cancelled"):
        gateway.loyalty_complete(PID, "tx1")


def test_transactions_history_newest_first(
    gateway: SdkBrevoGateway, router: respx.MockRouter
) -> None:
    route = router.get(f"/loyalty/balance/programs/{PID}/transaction-history").respond(
        200, json={"contactId": 42, "transactionHistory": [{"id": "tx1", "meta": META}]}
    )

    found = gateway.loyalty_transactions(PID, contact_id=42, balance_id=BALANCE)

    assert found == [{"id": "tx1", "meta": META}]
    params = route.calls.last.request.url.params
    assert params["contactId"] == "42"
    assert params["balanceDefinitionId"] == BALANCE
    assert (params["sortField"], params["sort"]) == ("createdAt", "desc")


def test_tiers_and_assignment(gateway: SdkBrevoGateway, router: respx.MockRouter) -> None:
    router.get(f"/loyalty/tier/programs/{PID}/tiers").respond(
        200, json={"items": [{"tierId": "gold", "name": "Gold"}]}
    )
    assign = router.post(f"/loyalty/tier/programs/{PID}/contacts/42/tiers/gold").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"tierId": "gold"})]
    )

    assert gateway.loyalty_tiers(PID) == [{"tierId": "gold", "name": "Gold"}]
    gateway.loyalty_assign_tier(PID, 42, "gold")

    assert assign.call_count == 2  # assigning the same tier again changes nothing
    assert (
        gateway.requests.snapshot()["POST /loyalty/tier/programs/{pid}/contacts/{cid}/tiers/{tid}"]
        == 2
    )


def test_loyalty_has_its_own_budget(
    gateway: SdkBrevoGateway, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.post(SUBSCRIBE).mock(
        side_effect=[
            httpx.Response(429, json={"error": "too many"}, headers=limits(0, 12, limit=600)),
            httpx.Response(201, json={"contactId": 42}),
        ]
    )

    gateway.loyalty_subscribe(PID, 42)

    assert clock.sleeps == [12.0]  # the 429 waited for the loyalty window...
    assert gateway.budget.source == "unknown"  # ...and the CRM window knows nothing of it
    loyalty = gateway.request_budget.snapshot(LOYALTY)
    assert loyalty.source == "local"  # the last answer carried no headers
    assert loyalty.limit == 600  # Brevo's loyalty bucket, not the CRM ceiling of 100
