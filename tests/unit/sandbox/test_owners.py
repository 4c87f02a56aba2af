"""`deal_owner` as real Brevo has it: a user id on read, an e-mail accepted on write and in
the owner filter (the `owner_ids` quirk), and the old stored-as-written behaviour."""

from __future__ import annotations

import re

import httpx
import pytest

from brevo_sync.sandbox import ManualClock, SandboxState
from brevo_sync.sandbox.catalogue import OWNERS
from brevo_sync.sandbox.ids import stable_hex
from tests.unit.sandbox.conftest import http_client

USER_ID = re.compile(r"^[0-9a-f]{24}$")
ALICE = "alice.martin@example.com"


def test_users_registry_python_api(state: SandboxState) -> None:
    users = state.users_snapshot()
    assert list(users) == list(OWNERS)  # every account has the seeded owners as users
    assert state.user_id(ALICE) == users[ALICE] == stable_hex(f"user:{ALICE}")
    assert state.user_id(ALICE.upper()) == users[ALICE]
    assert all(USER_ID.match(uid) for uid in users.values())
    with pytest.raises(KeyError):
        state.user_id("nobody@example.com")
    new = state.add_user("Zoe.Park@example.com")
    assert new == stable_hex("user:zoe.park@example.com")
    assert state.add_user("zoe.park@EXAMPLE.com") == new  # idempotent, any case
    assert state.users_snapshot()["Zoe.Park@example.com"] == new
    assert len(state.users_snapshot()) == len(OWNERS) + 1


def _owner(api: httpx.Client, deal_id: str) -> object:
    return api.get(f"/crm/deals/{deal_id}").json()["attributes"].get("deal_owner")


def _set_owner(api: httpx.Client, deal_id: str, owner: object) -> httpx.Response:
    return api.patch(f"/crm/deals/{deal_id}", json={"attributes": {"deal_owner": owner}})


def test_owner_is_returned_as_id_and_written_as_email_or_id(state: SandboxState) -> None:
    alice, bruno = state.user_id(ALICE), state.user_id("bruno.keller@example.com")
    with http_client(state) as api:
        attributes = {"deal_owner": "Alice.Martin@Example.com"}
        created = api.post("/crm/deals", json={"name": "Owned", "attributes": attributes})
        assert created.status_code == 201
        deal_id = created.json()["id"]
        assert _owner(api, deal_id) == alice
        listed = api.get("/crm/deals").json()["items"]
        assert [d["attributes"]["deal_owner"] for d in listed] == [alice]
        assert _set_owner(api, deal_id, bruno).status_code == 204
        assert _owner(api, deal_id) == bruno
        stranger, unknown_id = "stranger@example.com", "0123456789abcdef01234567"
        for bad, message in (
            (stranger, f"deal_owner '{stranger}' is not a user of this account"),
            (unknown_id, f"deal_owner '{unknown_id}' is not a user of this account"),
            (42, "deal_owner must be a user's e-mail address or id"),
        ):
            refused = _set_owner(api, deal_id, bad)
            assert refused.status_code == 400
            assert refused.json() == {"code": "invalid_parameter", "message": message}
            posted = api.post("/crm/deals", json={"name": "X", "attributes": {"deal_owner": bad}})
            assert posted.status_code == 400 and posted.json()["code"] == "invalid_parameter"
        assert state.deal_count() == 1  # refused creations created nothing
        assert _owner(api, deal_id) == bruno
        zoe = state.add_user("zoe.park@example.com")  # a user added to the account later
        assert _set_owner(api, deal_id, "zoe.park@example.com").status_code == 204
        assert _owner(api, deal_id) == zoe
        assert _set_owner(api, deal_id, None).status_code == 204  # null still clears
        assert _owner(api, deal_id) is None


def test_owner_filter_takes_the_email_in_any_case_and_an_id_matches_nothing(
    seeded: SandboxState,
) -> None:
    alice = seeded.user_id(ALICE)
    expected = [d["id"] for d in seeded.deals_snapshot() if d["attributes"]["deal_owner"] == alice]
    assert expected
    with http_client(seeded) as api:

        def ids(owner: str) -> list[str]:
            params: dict[str, str | int] = {
                "filters[attributes.deal_owner]": owner,
                "sort": "asc",
                "limit": 100,
            }
            response = api.get("/crm/deals", params=params)
            assert response.status_code == 200
            return [d["id"] for d in response.json()["items"]]

        assert ids(ALICE) == ids(ALICE.upper()) == expected[:100]
        assert ids(alice) == []  # assumption: Brevo's filter is documented as the e-mail
        assert ids("nobody@example.com") == []


def test_owner_emails_switch_stores_whatever_was_written(clock: ManualClock) -> None:
    state = SandboxState.seeded(seed=7, deals=60, clock=clock, owner_ids=False)
    owners = {d["attributes"]["deal_owner"] for d in state.deals_snapshot()}
    assert owners == set(OWNERS)  # the seed writes e-mails
    with http_client(state) as api:
        made = api.post(
            "/crm/deals", json={"name": "Free", "attributes": {"deal_owner": "Anyone@Else.com"}}
        )
        deal_id = made.json()["id"]
        assert (
            api.get(f"/crm/deals/{deal_id}").json()["attributes"]["deal_owner"] == "Anyone@Else.com"
        )
        found = api.get("/crm/deals", params={"filters[attributes.deal_owner]": "anyone@else.COM"})
        assert [d["id"] for d in found.json()["items"]] == [deal_id]  # stored value, any case
        by_alice = api.get(
            "/crm/deals", params={"filters[attributes.deal_owner]": ALICE, "limit": 100}
        )
        assert by_alice.json()["items"]
        assert {d["attributes"]["deal_owner"] for d in by_alice.json()["items"]} == {ALICE}


def test_seeding_with_owner_ids_is_deterministic(clock: ManualClock) -> None:
    first = SandboxState.seeded(seed=3, deals=50, clock=clock).deals_snapshot()
    again = SandboxState.seeded(seed=3, deals=50, clock=clock).deals_snapshot()
    assert first == again
    assert all(USER_ID.match(d["attributes"]["deal_owner"]) for d in first)
