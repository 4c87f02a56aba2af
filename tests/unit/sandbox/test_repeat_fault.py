"""The `repeat` fault over HTTP (in-process): a server that answers an old page again."""

from __future__ import annotations

import httpx

from brevo_sync.sandbox import ManualClock, SandboxState
from tests.unit.sandbox.conftest import http_client


def _page(api: httpx.Client, offset: int) -> httpx.Response:
    return api.get("/crm/deals", params={"sort": "asc", "offset": offset, "limit": 10})


def test_repeat_from_answers_the_last_page_again_whatever_the_offset(
    seeded: SandboxState,
) -> None:
    ids = [d["id"] for d in seeded.deals_snapshot()]
    seeded.faults.repeat_from(3, path_prefix="/crm/deals", method="GET")
    with http_client(seeded) as api:
        first, second, third, fourth = (_page(api, offset) for offset in (0, 10, 20, 30))
        assert [d["id"] for d in first.json()["items"]] == ids[:10]
        assert [d["id"] for d in second.json()["items"]] == ids[10:20]
        assert (third.status_code, third.content) == (200, second.content)
        assert fourth.content == second.content
        assert third.headers["content-type"] == "application/json"
        assert third.headers["x-sib-ratelimit-remaining"]  # a normal answer otherwise
        assert api.get(f"/crm/deals/{ids[0]}").json()["id"] == ids[0]  # own path, own memory
        seeded.faults.clear()
        assert [d["id"] for d in _page(api, 30).json()["items"]] == ids[30:40]
    assert seeded.stats.snapshot()["by_status"] == {"200": 6}


def test_repeat_with_nothing_before_serves_normally_and_keeps_waiting(
    clock: ManualClock,
) -> None:
    state = SandboxState.seeded(seed=1, deals=30, clock=clock)
    ids = [d["id"] for d in state.deals_snapshot()]
    with http_client(state) as api, http_client(state, "/_sandbox") as admin:
        armed = admin.post(
            "/faults",
            json={"kind": "repeat", "count": 1, "path_prefix": "/crm/deals", "method": "GET"},
        )
        assert armed.status_code == 201 and armed.json()["rules"][0]["kind"] == "repeat"
        assert api.get("/crm/deals/nope").status_code == 404  # a failure is not remembered
        assert [d["id"] for d in _page(api, 0).json()["items"]] == ids[:10]
        assert [d["id"] for d in _page(api, 10).json()["items"]] == ids[:10]  # repeated
        assert [d["id"] for d in _page(api, 10).json()["items"]] == ids[10:20]  # rule spent
        assert admin.get("/faults").json() == {"rules": []}


def test_repeat_after_processing_runs_the_write_and_answers_the_old_id(
    state: SandboxState,
) -> None:
    with http_client(state) as api:
        first = api.post("/crm/deals", json={"name": "one"})
        state.faults.repeat_next(1, method="POST", path_prefix="/crm/deals", phase="after")
        second = api.post("/crm/deals", json={"name": "two"})
        assert (second.status_code, second.json()) == (201, first.json())
        assert [d["attributes"]["deal_name"] for d in state.deals_snapshot()] == ["one", "two"]
