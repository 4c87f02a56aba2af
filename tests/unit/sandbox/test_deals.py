"""Deal writes through the Python API: Brevo's validation and bookkeeping."""

from __future__ import annotations

from typing import Any

import pytest

from brevo_sync.sandbox import ManualClock, SandboxError, SandboxState, format_ms
from brevo_sync.sandbox.clock import to_ms


def _stamp(clock: ManualClock) -> str:
    return format_ms(to_ms(clock()))


def test_create_fills_system_attributes_and_default_placement(
    state: SandboxState, clock: ManualClock
) -> None:
    deal_id = state.create_deal(
        "Big one",
        attributes={"amount": 30_000, "deal_owner": "alice.martin@example.com"},
        linked_contacts=[3, 1, 3],
        linked_companies=["c1"],
    )
    deal = state.get_deal(deal_id)
    attrs = deal["attributes"]
    first = state.pipelines[0]
    assert attrs["deal_name"] == "Big one"
    assert (attrs["pipeline"], attrs["deal_stage"]) == (first.id, first.stages[0].id)
    assert attrs["created_at"] == attrs["last_updated_date"] == attrs["stage_updated_at"]
    assert attrs["created_at"] == _stamp(clock)
    assert attrs["number_of_contacts"] == 2
    assert deal["linkedContactsIds"] == [3, 1]  # duplicates dropped, order kept
    assert deal["linkedCompaniesIds"] == ["c1"]


def test_update_sets_last_updated_and_stage_updated_only_on_stage_change(
    state: SandboxState, clock: ManualClock
) -> None:
    deal_id = state.create_deal("D")
    created = state.get_deal(deal_id)["attributes"]
    clock.advance(60)
    state.update_deal(deal_id, attributes={"amount": 10})
    after_amount = state.get_deal(deal_id)["attributes"]
    assert after_amount["last_updated_date"] == _stamp(clock)
    assert after_amount["stage_updated_at"] == created["stage_updated_at"]
    clock.advance(60)
    pipeline = state.pipeline("Renewals")
    state.update_deal(
        deal_id, attributes={"pipeline": pipeline.id, "deal_stage": pipeline.stages[2].id}
    )
    moved = state.get_deal(deal_id)["attributes"]
    assert moved["stage_updated_at"] == moved["last_updated_date"] == _stamp(clock)
    assert moved["created_at"] == created["created_at"]


def test_a_stage_must_belong_to_the_pipeline(state: SandboxState) -> None:
    deal_id = state.create_deal("D")
    enterprise, renewals = state.pipeline("Enterprise Sales"), state.pipeline("Renewals")
    with pytest.raises(SandboxError) as err:
        state.update_deal(
            deal_id, attributes={"pipeline": enterprise.id, "deal_stage": renewals.stages[1].id}
        )
    assert (err.value.status, err.value.code) == (400, "invalid_parameter")
    with pytest.raises(SandboxError, match="deal_stage is required"):
        state.update_deal(deal_id, attributes={"pipeline": renewals.id})
    with pytest.raises(SandboxError, match="does not belong"):  # a stage alone stays put
        state.update_deal(deal_id, attributes={"deal_stage": renewals.stages[1].id})
    with pytest.raises(SandboxError, match="Pipeline nope not found"):
        state.update_deal(deal_id, attributes={"pipeline": "nope", "deal_stage": "x"})
    # nothing of the refused writes stuck
    assert state.get_deal(deal_id)["attributes"]["pipeline"] == enterprise.id


def test_stage_id_and_pipeline_lookups(state: SandboxState) -> None:
    won = state.stage_id("Opportunity Pipeline", "CLOSED_WON")
    pipeline = state.pipeline("Opportunity Pipeline")
    assert state.pipeline(pipeline.id) is pipeline
    assert won in pipeline.stage_ids()
    assert state.pipelines_snapshot()[3]["pipeline_name"] == "Opportunity Pipeline"


def test_unknown_attributes_and_wrong_types_are_refused_before_any_change(
    state: SandboxState,
) -> None:
    deal_id = state.create_deal("D", attributes={"amount": 5})
    cases: list[tuple[dict[str, Any], str]] = [
        ({"no_such_attribute": 1}, "does not exist"),
        ({"amount": "12"}, "must be a number"),
        ({"amount": True}, "must be a number"),
        ({"deal_type": "Charity"}, "not an option"),
        ({"close_date": "next week"}, "not a valid date"),
        ({"is_strategic": "yes"}, "must be a boolean"),
    ]
    for attributes, message in cases:
        with pytest.raises(SandboxError, match=message):
            state.update_deal(deal_id, attributes={"amount": 99, **attributes})
    assert state.get_deal(deal_id)["attributes"]["amount"] == 5


def test_select_options_accept_key_or_label_and_store_the_label(state: SandboxState) -> None:
    deal_id = state.create_deal("D", attributes={"deal_type": "new_business"})
    assert state.get_deal(deal_id)["attributes"]["deal_type"] == "New Business"


def test_null_clears_managed_attributes_are_ignored_and_name_is_required(
    state: SandboxState,
) -> None:
    deal_id = state.create_deal("D", attributes={"amount": 5, "created_at": "1999-01-01"})
    attrs = state.get_deal(deal_id)["attributes"]
    assert not attrs["created_at"].startswith("1999")
    state.update_deal(deal_id, attributes={"amount": None})
    assert "amount" not in state.get_deal(deal_id)["attributes"]
    with pytest.raises(SandboxError) as err:
        state.create_deal("  ")
    assert err.value.code == "missing_parameter"
    with pytest.raises(SandboxError, match="deal_name is required"):
        state.update_deal(deal_id, attributes={"deal_name": None})


def test_patching_linked_lists_replaces_them_and_link_unlink_edits_them(
    state: SandboxState,
) -> None:
    deal_id = state.create_deal("D", linked_contacts=[1, 2], linked_companies=["a", "b"])
    state.update_deal(deal_id, linked_contacts=[7])
    deal = state.get_deal(deal_id)
    assert deal["linkedContactsIds"] == [7]
    assert deal["linkedCompaniesIds"] == ["a", "b"]  # not given: unchanged
    assert deal["attributes"]["number_of_contacts"] == 1
    state.link_unlink_deal(
        deal_id,
        {"linkContactIds": [8, 7], "unlinkContactIds": [], "unlinkCompanyIds": ["a"],
         "linkCompanyIds": ["c"]},
    )  # fmt: skip
    deal = state.get_deal(deal_id)
    assert deal["linkedContactsIds"] == [7, 8]
    assert deal["linkedCompaniesIds"] == ["b", "c"]
    with pytest.raises(SandboxError, match="positive integers"):
        state.update_deal(deal_id, linked_contacts=["7"])


def test_company_side_of_the_links_follows_the_deals(
    state: SandboxState, clock: ManualClock
) -> None:
    company = state.companies.add({"name": "Acme"}, [], to_ms(clock()))
    first = state.create_deal("A", linked_companies=[company.id])
    second = state.create_deal("B", linked_companies=[company.id])
    assert state.companies.to_json(company)["linkedDealsIds"] == [first, second]
    state.update_deal(first, linked_companies=[])
    state.delete_deal(second)
    assert state.companies.to_json(company)["linkedDealsIds"] == []


def test_missing_deal_is_brevos_404(state: SandboxState) -> None:
    for call in (
        lambda: state.get_deal("nope"),
        lambda: state.update_deal("nope", attributes={"amount": 1}),
        lambda: state.delete_deal("nope"),
    ):
        with pytest.raises(SandboxError) as err:
            call()
        assert (err.value.status, err.value.body()) == (
            404,
            {"code": "document_not_found", "message": "Document not found"},
        )


def test_snapshots_are_independent_copies_in_creation_order(
    state: SandboxState, clock: ManualClock
) -> None:
    ids = []
    for name in ("one", "two", "three"):
        ids.append(state.create_deal(name, linked_contacts=[1]))
        clock.advance(1)
    snapshot = state.deals_snapshot()
    assert [d["id"] for d in snapshot] == ids
    snapshot[0]["attributes"]["amount"] = 1
    snapshot[0]["linkedContactsIds"].append(99)
    assert "amount" not in state.get_deal(ids[0])["attributes"]
    assert state.get_deal(ids[0])["linkedContactsIds"] == [1]
    assert state.deal_count() == 3


def test_custom_attributes_can_be_left_out_and_created(clock: ManualClock) -> None:
    bare = SandboxState(clock=clock, custom_attributes=False)
    deal_id = bare.create_deal("D")
    with pytest.raises(SandboxError, match="probability does not exist"):
        bare.update_deal(deal_id, attributes={"probability": 50})
    bare.create_attribute(
        {"label": "Probability", "attributeType": "number", "objectType": "deals"}
    )
    bare.update_deal(deal_id, attributes={"probability": 50})
    with pytest.raises(SandboxError) as err:
        bare.create_attribute(
            {"label": "probability", "attributeType": "number", "objectType": "deals"}
        )
    assert err.value.code == "duplicate_parameter"
    with pytest.raises(SandboxError, match="optionsLabels"):
        bare.create_attribute(
            {"label": "Tier", "attributeType": "single-select", "objectType": "deals"}
        )
