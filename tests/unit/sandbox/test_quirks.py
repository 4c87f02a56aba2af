"""The quirk switches over HTTP (in-process): page maximum, date offsets, error bodies,
rate-limit headers, and `/_sandbox/quirks` that changes them at run time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from brevo_sync.sandbox import ManualClock, Quirks, SandboxState
from tests.unit.sandbox.conftest import http_client

RATE_HEADERS = {"x-sib-ratelimit-limit", "x-sib-ratelimit-remaining", "x-sib-ratelimit-reset"}
NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()["items"]]


def test_over_limit_refuse_is_a_400_naming_the_maximum(seeded: SandboxState) -> None:
    with http_client(seeded) as api:
        for path in ("/crm/deals", "/companies", "/crm/tasks", "/crm/notes"):
            refused = api.get(path, params={"limit": 101})
            assert refused.status_code == 400, path
            assert refused.json() == {
                "code": "invalid_parameter",
                "message": "limit must be between 1 and 100",
            }
        assert len(_ids(api.get("/crm/deals", params={"limit": 100}))) == 100


def test_over_limit_clamp_serves_the_maximum_silently_and_pages_by_item(
    clock: ManualClock,
) -> None:
    state = SandboxState.seeded(seed=7, deals=330, clock=clock, over_limit="clamp")
    everything = [d["id"] for d in state.deals_snapshot()]
    with http_client(state) as api:
        normal = api.get("/crm/deals", params={"limit": 100})
        clamped = api.get("/crm/deals", params={"limit": 250})
        assert clamped.status_code == 200
        assert set(clamped.headers) == set(normal.headers)  # nothing says it was clamped
        assert _ids(clamped) == _ids(normal)
        read: list[str] = []
        offset = 0
        while True:  # a client that trusts nothing: advance by what came, stop on empty
            page = _ids(
                api.get("/crm/deals", params={"sort": "asc", "offset": offset, "limit": 250})
            )
            assert len(page) <= 100
            if not page:
                break
            read += page
            offset += len(page)
        assert read == everything
        assert len(api.get("/companies", params={"limit": 500}).json()["items"]) == 13
        zero = api.get("/crm/deals", params={"limit": 0})
        assert zero.status_code == 400
        assert zero.json()["message"] == "limit must be between 1 and 100"


def test_no_page_maximum_honours_any_positive_limit(clock: ManualClock) -> None:
    state = SandboxState.seeded(seed=7, deals=330, clock=clock, max_page_limit=None)
    with http_client(state) as api:
        assert len(_ids(api.get("/crm/deals", params={"limit": 5000}))) == 330
        refused = api.get("/crm/deals", params={"limit": 0})
        assert refused.json() == {"code": "invalid_parameter", "message": "limit must be >= 1"}


def _new_year_deal(offset: str | None) -> tuple[SandboxState, str]:
    state = SandboxState(clock=ManualClock(NEW_YEAR), date_offset=offset)
    deal_id = state.create_deal("D", attributes={"close_date": "2026-01-01T00:00:00.000Z"})
    return state, deal_id


@pytest.mark.parametrize(
    ("offset", "stamp", "day"),
    [
        (None, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"),
        ("+05:30", "2026-01-01T05:30:00.000+05:30", "2026-01-01T00:00:00.000+05:30"),
        ("-08:00", "2025-12-31T16:00:00.000-08:00", "2026-01-01T00:00:00.000-08:00"),
        ("+00:00", "2026-01-01T00:00:00.000+00:00", "2026-01-01T00:00:00.000+00:00"),
    ],
)
def test_date_offset_renders_instants_and_days(offset: str | None, stamp: str, day: str) -> None:
    state, deal_id = _new_year_deal(offset)
    with http_client(state) as api:
        one = api.get(f"/crm/deals/{deal_id}").json()["attributes"]
        listed = api.get("/crm/deals").json()["items"][0]["attributes"]
    for attrs in (one, listed):
        assert attrs["created_at"] == attrs["last_updated_date"] == stamp
        assert attrs["stage_updated_at"] == stamp
        assert attrs["close_date"] == day
    stored = state.get_deal(deal_id)["attributes"]  # storage keeps Brevo's UTC spelling
    assert (stored["created_at"], stored["close_date"]) == ("2026-01-01T00:00:00.000Z",) * 2


def test_date_offset_covers_every_seeded_timestamp_and_filters_still_work(
    clock: ManualClock,
) -> None:
    state = SandboxState.seeded(seed=7, deals=200, clock=clock, date_offset="+05:30")
    stored = {d["id"]: d["attributes"] for d in state.deals_snapshot()}
    with http_client(state) as api:
        rendered = api.get("/crm/deals", params={"limit": 100, "sort": "asc"}).json()["items"]
        names = ("created_at", "last_updated_date", "stage_updated_at", "last_activity_date",
                 "next_activity_date", "close_date")  # fmt: skip
        seen = set()
        for deal in rendered:
            before = stored[deal["id"]]
            for name in names:
                if name not in before:
                    continue
                seen.add(name)
                value = deal["attributes"][name]
                assert value.endswith("+05:30"), (name, value)
                if name == "close_date":  # local midnight of the same calendar day
                    assert value == before[name][:10] + "T00:00:00.000+05:30"
                else:  # the same instant
                    assert datetime.fromisoformat(value) == datetime.fromisoformat(before[name])
        assert seen == set(names)
        newest = rendered[-1]["attributes"]  # `since` values with an offset, sent back
        params = {"modifiedSince": newest["last_updated_date"], "sort": "asc",
                  "createdSince": newest["created_at"], "limit": 100}  # fmt: skip
        assert rendered[-1]["id"] in _ids(api.get("/crm/deals", params=params))


def _bare(response: httpx.Response, status: int, message: str) -> None:
    assert (response.status_code, response.json()) == (status, {"message": message})


def test_documented_message_only_errors_by_default(state: SandboxState) -> None:
    with http_client(state) as api:
        _bare(api.get("/crm/deals/nope"), 404, "Document not found")
        _bare(api.get("/crm/pipeline/details/nope"), 400, "Pipeline not found")
        other = api.delete("/crm/deals/nope")  # undocumented: Brevo's usual body
        assert other.json() == {"code": "document_not_found", "message": "Document not found"}
        wrong_key = api.get("/crm/deals", headers={"api-key": "x"})
        assert wrong_key.json() == {"code": "unauthorized", "message": "Key not found"}


def test_message_only_error_style_covers_every_error(
    clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = SandboxState(clock=clock, error_style="message_only", requests_per_hour=6)
    with http_client(state) as api, http_client(state, "/_sandbox") as admin:
        _bare(api.get("/crm/deals", headers={"api-key": "x"}), 401, "Key not found")
        _bare(api.get("/crm/deals", params={"limit": 500}), 400, "limit must be between 1 and 100")
        _bare(api.delete("/crm/deals/nope"), 404, "Document not found")
        _bare(api.get("/no/such/route"), 404, "No route /v3/no/such/route")
        state.faults.fail_next(1, status=503)
        _bare(api.get("/crm/deals"), 503, "Injected fault: HTTP 503")
        monkeypatch.setattr(state, "deals_page_json", lambda params: 1 / 0)
        _bare(api.get("/crm/deals"), 500, "Sandbox error")
        monkeypatch.undo()
        while api.get("/companies").status_code != 429:
            pass
        _bare(api.get("/companies"), 429, "The rate limit has been exceeded")
        bad = admin.post("/quirks", json={"colour": "red"})  # the sandbox's own API keeps codes
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_parameter"


def test_without_rate_limit_headers_no_response_carries_them(clock: ManualClock) -> None:
    state = SandboxState(clock=clock, requests_per_hour=2, rate_limit_headers=False)
    with http_client(state) as api:
        responses = [api.get("/crm/deals") for _ in range(3)]
        assert [r.status_code for r in responses] == [200, 200, 429]
        state.faults.fail_next(1, status=429)
        state.ratelimit.reset()
        responses.append(api.get("/crm/deals"))
        assert responses[-1].status_code == 429
        assert all(not RATE_HEADERS & set(r.headers) for r in responses)
        state.set_quirks(rate_limit_headers=True)
        assert set(api.get("/crm/deals").headers) >= RATE_HEADERS


def test_quirks_admin_endpoint_reads_validates_and_switches(seeded: SandboxState) -> None:
    defaults: dict[str, Any] = {
        "owner_ids": True,
        "max_page_limit": 100,
        "over_limit": "refuse",
        "date_offset": None,
        "error_style": "code_and_message",
        "rate_limit_headers": True,
    }
    with http_client(seeded) as api, http_client(seeded, "/_sandbox") as admin:
        assert admin.get("/quirks").json() == defaults == Quirks().to_json()
        for bad in (
            {"colour": "red"},
            {"over_limit": "sometimes"},
            {"max_page_limit": 0},
            {"max_page_limit": "100"},
            {"date_offset": "+5:30"},
            {"date_offset": "+15:00"},
            {"owner_ids": "yes"},
            {"error_style": "none"},
            {"rate_limit_headers": 1},
            {"over_limit": "clamp", "max_page_limit": -1},  # all or nothing
            ["over_limit"],
        ):
            refused = admin.post("/quirks", json=bad)
            assert refused.status_code == 400, bad
            assert refused.json()["code"] == "invalid_parameter"
        assert admin.get("/quirks").json() == defaults
        changed = admin.post("/quirks", json={"over_limit": "clamp", "max_page_limit": 10,
                                              "date_offset": "-03:00"})  # fmt: skip
        assert changed.status_code == 200
        assert changed.json() == {**defaults, "over_limit": "clamp", "max_page_limit": 10,
                                  "date_offset": "-03:00"}  # fmt: skip
        page = api.get("/crm/deals", params={"limit": 100}).json()["items"]
        assert len(page) == 10 and page[0]["attributes"]["created_at"].endswith("-03:00")
        assert len(api.get("/companies", params={"limit": 100}).json()["items"]) == 10
        admin.post("/quirks", json={"error_style": "message_only", "date_offset": None})
        _bare(api.get("/crm/deals", headers={"api-key": "x"}), 401, "Key not found")
        assert api.get("/crm/deals").json()["items"][0]["attributes"]["created_at"].endswith("Z")
        admin.post("/quirks", json={"max_page_limit": None})
        assert len(api.get("/crm/deals", params={"limit": 1000}).json()["items"]) == 400


def test_bad_constructor_values_are_refused() -> None:
    for kwargs in (
        {"over_limit": "maybe"},
        {"date_offset": "IST"},
        {"max_page_limit": 0},
        {"error_style": "terse"},
        {"owner_ids": None},
    ):
        with pytest.raises(ValueError, match=r".+"):
            SandboxState(**kwargs)
