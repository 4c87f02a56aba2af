"""`POST /crm/deals/import`: validation at once, rows applied later (lazily, on the clock)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from brevo_sync.sandbox import ManualClock, SandboxState
from tests.unit.sandbox.conftest import http_client

GOOD = "deal_name,amount,source\r\nAcme - Order #1,5400.5,Website\r\nBeta,12,\r\n"


@pytest.fixture
def api(state: SandboxState) -> Iterator[httpx.Client]:
    with http_client(state) as client:
        yield client


@pytest.fixture
def admin(state: SandboxState) -> Iterator[httpx.Client]:
    with http_client(state, "/_sandbox") as client:
        yield client


def post_import(
    api: httpx.Client, csv_text: str | None, mapping: dict[str, object] | str | None = None
) -> httpx.Response:
    files = {"file": ("deals.csv", csv_text.encode(), "text/csv")} if csv_text is not None else {}
    data = {}
    if mapping is not None:
        data["mapping"] = mapping if isinstance(mapping, str) else json.dumps(mapping)
    if not files:  # httpx sends multipart only with files: force it with a dummy field
        files = {"other": ("x.txt", b"x", "text/plain")}
    return api.post("/crm/deals/import", files=files, data=data)


def deal_names(api: httpx.Client) -> list[str]:
    items = api.get("/crm/deals", params={"sort": "asc"}).json()["items"]
    return [d["attributes"]["deal_name"] for d in items]


def test_import_answers_at_once_and_lands_after_the_delay(
    api: httpx.Client, admin: httpx.Client, clock: ManualClock, state: SandboxState
) -> None:
    response = post_import(api, GOOD, {"update_existing_records": False})

    assert response.status_code == 200
    assert response.json() == {"processId": 1}
    assert deal_names(api) == []  # accepted, not applied yet
    assert admin.get("/imports").json()["processes"][0]["status"] == "queued"

    clock.advance(0.999)
    assert deal_names(api) == []
    clock.advance(0.001)
    assert deal_names(api) == ["Acme - Order #1", "Beta"]

    process = admin.get("/imports").json()["processes"][0]
    assert (process["status"], process["created"], process["updated"], process["failed"]) == (
        "applied",
        2,
        0,
        0,
    )
    first = state.get_deal(process["created_ids"][0])
    assert first["attributes"]["amount"] == 5400.5
    assert first["attributes"]["source"] == "Website"
    assert first["attributes"]["last_updated_date"] == "2025-03-10T09:30:01.000Z"  # due time
    assert "source" not in state.get_deal(process["created_ids"][1])["attributes"]
    assert state.stats.snapshot()["by_endpoint"]["POST /crm/deals/import"] == 1


def test_updates_by_deal_id_and_links_entities(
    api: httpx.Client, admin: httpx.Client, clock: ManualClock, state: SandboxState
) -> None:
    deal_id = state.create_deal("Old", attributes={"amount": 1}, linked_contacts=[5])
    stage = state.stage_id("Enterprise Sales", "Demo")
    pipeline = state.pipeline("Enterprise Sales").id
    csv_text = (
        "deal_id,pipeline,deal_stage,probability,associated_contact,deal_name\r\n"
        f'{deal_id},{pipeline},{stage},40,"6,7",\r\n'
        f",{pipeline},{stage},10,,Fresh\r\n"
    )
    clock.advance(60)

    assert post_import(api, csv_text, {"update_existing_records": True}).status_code == 200
    clock.advance(1)
    state.settle_imports()

    updated = state.get_deal(deal_id)
    assert updated["attributes"]["deal_stage"] == stage
    assert updated["attributes"]["probability"] == 40
    assert updated["attributes"]["deal_name"] == "Old"  # empty cell: left alone
    assert updated["attributes"]["amount"] == 1
    assert updated["linkedContactsIds"] == [5, 6, 7]  # linked, not replaced
    assert updated["attributes"]["last_updated_date"] == "2025-03-10T09:31:01.000Z"
    process = admin.get("/imports").json()["processes"][0]
    assert (process["updated_ids"], process["created"]) == ([deal_id], 1)


def test_rows_brevo_would_refuse_fail_alone(
    api: httpx.Client, admin: httpx.Client, clock: ManualClock, state: SandboxState
) -> None:
    doomed = state.create_deal("Doomed")
    csv_text = (
        "deal_id,deal_name,amount,source,is_strategic\r\n"
        ",Good,1,,yes\r\n"
        ",Bad number,lots,,\r\n"
        ",Bad option,1,Carrier pigeon,\r\n"
        ",,1,,\r\n"
        f"{doomed},,2,,\r\n"
    )
    post_import(api, csv_text, {"update_existing_records": True})
    state.delete_deal(doomed)  # deleted before the import lands
    clock.advance(1)

    process = admin.get("/imports").json()["processes"][0]

    assert (process["created"], process["updated"], process["failed"]) == (1, 0, 4)
    assert [e["row"] for e in process["errors"]] == [2, 3, 4, 5]
    assert "amount must be a number" in process["errors"][0]["message"]
    assert process["errors"][3]["message"] == "Document not found"
    assert state.get_deal(process["created_ids"][0])["attributes"]["is_strategic"] is True


@pytest.mark.parametrize(
    ("csv_text", "mapping", "message"),
    [
        (None, None, "file is required"),
        ("", None, "no header row"),
        ("deal_name,amount\r\n", None, "no rows"),
        ("deal_name,colour\r\nA,red\r\n", None, "Attribute colour does not exist"),
        ("deal_name,deal_name\r\nA,B\r\n", None, "twice"),
        ("deal_name,amount\r\nA\r\n", None, "row 1 has 1 cells"),
        ("deal_name\r\nA\r\n", "{not json", "mapping is not valid JSON"),
        ("deal_name\r\nA\r\n", {"update_existing_records": "yes"}, "true or false"),
        ("deal_id,amount\r\nnope,1\r\n", {"update_existing_records": True}, "deal nope not found"),
    ],
)
def test_bad_requests_are_400_with_a_message_and_queue_nothing(
    api: httpx.Client,
    admin: httpx.Client,
    csv_text: str | None,
    mapping: dict[str, object] | str | None,
    message: str,
) -> None:
    response = post_import(api, csv_text, mapping)

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message"}  # documented as message only
    assert message in body["message"]
    assert admin.get("/imports").json()["processes"] == []


def test_a_body_that_is_not_multipart_is_400(api: httpx.Client) -> None:
    response = api.post("/crm/deals/import", json={"file": "deal_name\nA"})
    assert response.status_code == 400
    assert "multipart" in response.json()["message"]


def test_without_update_a_deal_id_column_is_ignored_and_every_row_creates(
    api: httpx.Client, clock: ManualClock, state: SandboxState
) -> None:
    existing = state.create_deal("Existing")
    post_import(
        api, f"deal_id,deal_name\r\n{existing},Copy\r\n", {"update_existing_records": False}
    )
    clock.advance(1)

    assert deal_names(api) == ["Existing", "Copy"]


def test_the_delay_is_a_switch(api: httpx.Client, admin: httpx.Client, state: SandboxState) -> None:
    assert admin.post("/imports", json={"delay_seconds": 0}).json()["delay_seconds"] == 0
    post_import(api, GOOD)
    assert deal_names(api) == ["Acme - Order #1", "Beta"]  # due at once: the next read applies
    assert admin.post("/imports", json={"delay_seconds": -1}).status_code == 400
    assert admin.post("/imports", json={"delay": 1}).status_code == 400
    state.imports.delay_seconds = 2.5  # the Python switch
    assert admin.get("/imports").json()["delay_seconds"] == 2.5


def test_imports_spend_the_crm_budget_and_faults_reach_them(
    clock: ManualClock, admin: httpx.Client
) -> None:
    state = SandboxState(clock=clock, requests_per_hour=1)
    with http_client(state) as api:
        state.faults.fail_next(1, status=503, path_prefix="/crm/deals/import")
        failed = post_import(api, GOOD)
        assert failed.status_code == 503
        assert state.imports.processes == []  # failed before processing: nothing queued

        accepted = post_import(api, GOOD)
        assert accepted.status_code == 200
        assert accepted.headers["x-sib-ratelimit-remaining"] == "0"
        assert post_import(api, GOOD).status_code == 429
        assert len(state.imports.processes) == 1


def test_a_connection_dropped_after_processing_still_imports(clock: ManualClock) -> None:
    state = SandboxState(clock=clock)
    with http_client(state) as api:
        state.faults.drop_next(1, path_prefix="/crm/deals/import")
        with pytest.raises(httpx.RemoteProtocolError):
            post_import(api, GOOD)
        clock.advance(1)
        assert deal_names(api) == ["Acme - Order #1", "Beta"]  # the client never heard
