"""`GET /crm/deals` semantics: order, paging, filters and the indexes behind them.

The indexed answers are checked against a brute-force reference over the snapshot, while
random writes keep changing the data, so the incremental index maintenance is exercised
and not just the fresh build.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from brevo_sync.sandbox import ManualClock, SandboxError, SandboxState

Deal = dict[str, Any]


def _page(state: SandboxState, **params: Any) -> list[str]:
    raw = {k: str(v) for k, v in params.items()}
    return [d["id"] for d in json.loads(state.deals_page_json(raw))["items"]]


def _reference(
    deals: list[Deal], params: dict[str, Any], users: dict[str, str] | None = None
) -> list[str]:
    """What Brevo should answer, computed the slow and obvious way. `users` (e-mail -> id)
    given: the owner filter names an e-mail and deals hold user ids."""
    rank = {d["id"]: i for i, d in enumerate(deals)}  # snapshot = creation order
    out = deals
    owner_key = "filters[attributes.deal_owner]"
    if users is not None and owner_key in params:
        by_email = {email.lower(): uid for email, uid in users.items()}
        params = {**params, owner_key: by_email.get(params[owner_key].lower())}
    if "modifiedSince" in params:
        out = [d for d in out if d["attributes"]["last_updated_date"] >= params["modifiedSince"]]
    if "createdSince" in params:
        out = [d for d in out if d["attributes"]["created_at"] >= params["createdSince"]]
    for key, attr in (
        ("filters[attributes.deal_owner]", "deal_owner"),
        ("filters[attributes.pipeline]", "pipeline"),
        ("filters[attributes.deal_stage]", "deal_stage"),
    ):
        if key in params:
            out = [d for d in out if d["attributes"].get(attr) == params[key]]
    if "filters[linkedCompaniesIds]" in params:
        out = [d for d in out if params["filters[linkedCompaniesIds]"] in d["linkedCompaniesIds"]]
    if params.get("sortBy") == "last_updated_date":
        out = sorted(out, key=lambda d: (d["attributes"]["last_updated_date"], rank[d["id"]]))
    if params.get("sort", "desc") == "desc":
        out = out[::-1]
    offset, limit = int(params.get("offset", 0)), int(params.get("limit", 50))
    return [d["id"] for d in out[offset : offset + limit]]


def _random_write(state: SandboxState, clock: ManualClock, rng: random.Random) -> None:
    roll = rng.random()
    if roll < 0.3:
        clock.advance(milliseconds=rng.choice([0, 0, 1, 250, 86_400_000]))
    ids = [d["id"] for d in state.deals_snapshot()] if roll >= 0.3 else []
    if roll < 0.45:
        state.create_deal(f"new {rng.random():.6f}", attributes={"amount": rng.randint(1, 9)})
    elif roll < 0.85 and ids:
        state.update_deal(rng.choice(ids), attributes={"amount": rng.randint(1, 99)})
    elif ids:
        state.delete_deal(rng.choice(ids))


def test_indexed_answers_match_the_reference_while_data_changes(
    clock: ManualClock,
) -> None:
    state = SandboxState.seeded(seed=5, deals=300, clock=clock)
    rng = random.Random(1)
    owner = "Alice.Martin@example.com"  # an account e-mail, any case: deals hold the user id
    users = state.users_snapshot()
    for _ in range(150):
        _random_write(state, clock, rng)
        deals = state.deals_snapshot()
        stamps = sorted(d["attributes"]["last_updated_date"] for d in deals)
        # few, some and most deals matching, so both ways of building a view are used
        since = rng.choice([stamps[-1], stamps[-3], stamps[len(stamps) // 2], stamps[5]])
        params: dict[str, Any] = {
            "modifiedSince": since,
            "sort": rng.choice(["asc", "desc"]),
            "offset": rng.choice([0, 0, 3, 40]),
            "limit": rng.choice([1, 7, 100]),
        }
        if rng.random() < 0.3:
            params["sortBy"] = "last_updated_date"
        if rng.random() < 0.2:
            params["filters[attributes.deal_owner]"] = owner
        if rng.random() < 0.2:
            params["createdSince"] = deals[len(deals) // 3]["attributes"]["created_at"]
        assert _page(state, **params) == _reference(deals, params, users), params


@pytest.mark.parametrize("sort", ["asc", "desc"])
@pytest.mark.parametrize("sort_by", [None, "last_updated_date", "amount", "deal_name"])
def test_paging_reads_every_deal_exactly_once(
    seeded: SandboxState, sort: str, sort_by: str | None
) -> None:
    extra = {"sortBy": sort_by} if sort_by else {}
    seen: list[str] = []
    offset = 0
    while True:
        page = _page(seeded, sort=sort, offset=offset, limit=33, **extra)
        seen += page
        if len(page) < 33:  # no total in Brevo's answer: a short page is the end
            break
        offset += 33
    assert len(seen) == len(set(seen)) == seeded.deal_count()


def test_default_order_is_newest_created_first_with_ties_by_insertion(
    state: SandboxState, clock: ManualClock
) -> None:
    first = state.create_deal("a")
    second = state.create_deal("b")  # same millisecond as `first`
    clock.advance(1)
    third = state.create_deal("c")
    assert _page(state) == [third, second, first]
    assert _page(state, sort="asc") == [first, second, third]
    state.update_deal(first, attributes={"amount": 1})  # an edit does not move a deal...
    assert _page(state, sort="asc") == [first, second, third]
    # ...except in last-update order, where equal stamps fall back on insertion order
    assert _page(state, sort="asc", sortBy="last_updated_date") == [second, first, third]
    clock.advance(1)
    state.update_deal(first, attributes={"amount": 2})
    assert _page(state, sort="asc", sortBy="last_updated_date") == [second, third, first]


def test_modified_since_is_inclusive_to_the_millisecond(
    state: SandboxState, clock: ManualClock
) -> None:
    old = state.create_deal("old")
    clock.advance(milliseconds=1)
    new = state.create_deal("new")
    stamp = state.get_deal(new)["attributes"]["last_updated_date"]
    assert _page(state, modifiedSince=stamp, sort="asc") == [new]
    assert _page(state, modifiedSince=stamp.replace("Z", "+00:00"), sort="asc") == [new]
    clock.advance(10)
    state.update_deal(old, attributes={"amount": 3})
    assert _page(state, modifiedSince=stamp, sort="asc") == [old, new]  # creation order


def test_filters(seeded: SandboxState) -> None:
    deals = seeded.deals_snapshot()
    sample = next(d for d in deals if d["linkedCompaniesIds"] and d["linkedContactsIds"])
    attrs = sample["attributes"]
    users = seeded.users_snapshot()
    owner_email = next(e for e, uid in users.items() if uid == attrs["deal_owner"])
    for key, value in (
        ("filters[attributes.deal_owner]", owner_email),
        ("filters[attributes.deal_stage]", attrs["deal_stage"]),
        ("filters[attributes.pipeline]", attrs["pipeline"]),
        ("filters[linkedCompaniesIds]", sample["linkedCompaniesIds"][0]),
    ):
        params = {key: value, "limit": 100, "sort": "asc"}
        found = _page(seeded, **params)
        assert sample["id"] in found or len(found) == 100
        assert found == _reference(deals, params, users), key
    owner_upper = {"filters[attributes.deal_owner]": owner_email.upper(), "limit": 100}
    assert _page(seeded, **owner_upper) == _page(
        seeded, **{**owner_upper, "filters[attributes.deal_owner]": owner_email}
    )  # account emails match case-insensitively
    # the filter takes the owner's e-mail: the user id Brevo returns matches nothing
    assert _page(seeded, **{"filters[attributes.deal_owner]": attrs["deal_owner"]}) == []
    named = _page(seeded, **{"filters[attributes.deal_name]": attrs["deal_name"]})
    assert sample["id"] in named
    assert all(seeded.get_deal(i)["attributes"]["deal_name"] == attrs["deal_name"] for i in named)
    contact = sample["linkedContactsIds"][0]
    with_contact = _page(seeded, limit=100, **{"filters[linkedContactsIds]": contact})
    assert sample["id"] in with_contact
    assert all(contact in seeded.get_deal(i)["linkedContactsIds"] for i in with_contact)


def test_sort_by_an_attribute_puts_deals_without_it_last(state: SandboxState) -> None:
    small = state.create_deal("s", attributes={"amount": 5})
    big = state.create_deal("b", attributes={"amount": 50_000.5})
    none = state.create_deal("n")
    assert _page(state, sortBy="amount", sort="asc") == [small, big, none]
    assert _page(state, sortBy="amount", sort="desc") == [none, big, small]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"offset": -1},
        {"sort": "up"},
        {"modifiedSince": "last tuesday"},
        {"createdSince": "2025-01-01T00:00:00.000 00:00"},  # `+` not URL-encoded
        {"sortBy": "no_such_field"},
        {"filters[linkedContactsIds]": "abc"},
    ],
)
def test_invalid_parameters_are_400_invalid_parameter(
    seeded: SandboxState, params: dict[str, Any]
) -> None:
    with pytest.raises(SandboxError) as err:
        _page(seeded, **params)
    assert (err.value.status, err.value.code) == (400, "invalid_parameter")


def test_page_limit_is_configurable(clock: ManualClock) -> None:
    state = SandboxState.seeded(seed=1, deals=300, clock=clock, max_page_limit=250)
    assert len(_page(state, limit=250)) == 250
