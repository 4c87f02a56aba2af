"""`brevo-sync reconcile --repair` against the sandbox over real HTTP: 5% of the deals deleted,
5% edited and 5% added while a walk is under way, a budget share that allows about a third of a
walk per run. After enough runs the mirror is exact, no deal Brevo still has was ever
tombstoned, and the requests spent are the walk's pages plus one GET per deal that looked
missing."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from brevo_sync.sandbox import SandboxServer, SandboxState
from tests.e2e.conftest import Cli, base_env

DEALS = 300
PAGE = 20  # a walk: 15 full pages and the empty one that ends it
PER_HOUR = 30  # the sandbox's window ...
SHARE = 0.2  # ... of which a reconcile run may spend 6 requests: about a third of a walk
LIST, GET = "GET /crm/deals", "GET /crm/deals/{id}"


@pytest.fixture
def account(tmp_path: Path) -> Iterator[tuple[SandboxState, Cli]]:
    state = SandboxState.seeded(seed=5, deals=DEALS, requests_per_hour=PER_HOUR)
    with SandboxServer(state) as server:
        env = base_env(tmp_path)
        env.update(
            BREVO_API_KEY=state.api_key,
            BREVO_BASE_URL=server.base_url,
            BREVO_SYNC_PAGE_SIZE=str(PAGE),
            BREVO_SYNC_RECONCILE_BUDGET_SHARE=str(SHARE),
            # Each run below is a new hour for the sandbox; the local ceiling (used only until
            # Brevo's headers arrive) must not count the test's earlier runs as this hour's.
            BREVO_SYNC_REQUESTS_PER_HOUR="100000",
        )
        yield state, Cli(env=env, cwd=tmp_path)


def _mirror(url: str) -> tuple[dict[str, dict[str, Any]], set[str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, attributes, contact_ids, company_ids, deleted_at FROM deals")
            ).all()
    finally:
        engine.dispose()
    live = {
        r[0]: {"attributes": _json(r[1]), "contacts": _json(r[2]), "companies": _json(r[3])}
        for r in rows
        if r[4] is None
    }
    return live, {r[0] for r in rows if r[4] is not None}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _sandbox(state: SandboxState) -> dict[str, dict[str, Any]]:
    return {
        d["id"]: {
            "attributes": d["attributes"],
            "contacts": d["linkedContactsIds"],
            "companies": d["linkedCompaniesIds"],
        }
        for d in state.deals_snapshot()
    }


def _churn(state: SandboxState, step: int, of: int) -> None:
    """One `of`-th of the 5% deletes, edits and adds (deletes spread over the whole list, so
    some land behind the walk's offset and shift unread deals under it)."""
    n = round(DEALS * 0.05) // of
    ids = [d["id"] for d in state.deals_snapshot()]
    stride = len(ids) // n
    for i in range(n):
        state.delete_deal(ids[i * stride + step])
        state.update_deal(ids[i * stride + step + 3], attributes={"amount": 4242 + i})
        state.create_deal(f"Late deal {step}-{i}", attributes={"amount": 777})


def test_reconcile_repairs_churn_to_an_exact_mirror_within_its_request_bound(
    account: tuple[SandboxState, Cli],
) -> None:
    state, cli = account
    pulled = cli("pull", "--json")
    assert pulled.returncode == 0, pulled.stderr
    state.stats.reset()
    reports: list[dict[str, Any]] = []
    deals_during: dict[str, int] = defaultdict(int)  # most deals the account had, per walk
    completed = 0
    for run in range(40):
        if run < 3:
            _churn(state, run, of=3)  # a third of the churn before each of the first runs
        state.ratelimit.reset()  # the next hour
        result = cli("reconcile", "--repair", "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        reports.append(report)
        walk = report["walk_started_at"]
        deals_during[walk] = max(deals_during[walk], state.deal_count())
        live, dead = _mirror(cli.database_url)
        assert not dead & set(_sandbox(state)), "a deal Brevo still has was tombstoned"
        assert report["requests_total"] <= math.floor(PER_HOUR * SHARE)
        if report["phase"] == "complete":
            completed += 1
            if completed == 2:  # the second walk began after the last change
                break
    else:
        pytest.fail("two walks did not complete in 40 runs")

    live, dead = _mirror(cli.database_url)
    assert live == _sandbox(state)
    assert len(dead) == round(DEALS * 0.05)

    # Requests: each walk's pages plus one GET per suspect, nothing else; the sandbox agrees.
    pages: dict[str, int] = defaultdict(int)
    for report in reports:
        pages[report["walk_started_at"]] += report["requests"].get(LIST, 0)
        assert set(report["requests"]) <= {LIST, GET}
        assert report["requests"].get(GET, 0) == report["suspects_checked"]
    for walk, spent in pages.items():
        assert spent <= math.floor(deals_during[walk] / PAGE) + 2, walk
    spent = sum(r["requests_total"] for r in reports)
    assert spent == state.stats.snapshot()["total"]
    gets = sum(r["requests"].get(GET, 0) for r in reports)
    gone = sum(r["gone"] for r in reports)
    assert gone == len(dead) and gets == gone + sum(r["skipped_by_paging"] for r in reports)
    assert len(reports) >= 6  # about a third of a walk per run: two walks took several runs

    text = cli("reconcile")
    assert text.returncode == 0, text.stderr
    assert "Requests: GET /crm/deals" in text.stdout and "Walk covered" in text.stdout
