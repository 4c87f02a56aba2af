"""`brevo-sync pull`, `status` and `deals list` as an operator runs them, against the sandbox."""

from __future__ import annotations

import json
import math
import signal
import time
from pathlib import Path

import sqlalchemy as sa

from brevo_sync.sandbox import SandboxServer
from tests.e2e.conftest import SANDBOX_DEALS, Cli, mirror_rows, sandbox_rows


def _pull(cli: Cli, *args: str) -> dict[str, object]:
    result = cli("pull", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_full_then_incremental_pull_mirrors_exactly_and_counts_requests(
    cli: Cli, sandbox: SandboxServer
) -> None:
    state = sandbox.state
    first = _pull(cli)
    assert first["full"] is True and first["deals_read"] == SANDBOX_DEALS
    assert first["requests_total"] <= math.ceil(SANDBOX_DEALS / 100) + 3
    assert first["requests_total"] == state.stats.snapshot()["total"]
    assert mirror_rows(cli.database_url) == sandbox_rows(state)

    state.stats.reset()
    idle = _pull(cli)
    assert idle["requests"] == {"GET /crm/deals": 1}
    assert state.stats.snapshot()["by_endpoint"] == {"GET /crm/deals": 1}

    deals = state.deals_snapshot()
    for deal in deals[:3]:
        state.update_deal(deal["id"], attributes={"amount": 123456})
    changed = _pull(cli)
    assert changed["deals_written"] == 3
    assert changed["requests_total"] <= math.ceil((3 + 1) / 100) + 1
    assert mirror_rows(cli.database_url) == sandbox_rows(state)


def test_stage_move_in_brevo_lands_in_stage_history(cli: Cli, sandbox: SandboxServer) -> None:
    state = sandbox.state
    _pull(cli)
    deal = next(d for d in state.deals_snapshot() if d["attributes"].get("deal_stage"))
    pipeline = state.pipeline(deal["attributes"]["pipeline"])
    target = next(s.id for s in pipeline.stages if s.id != deal["attributes"]["deal_stage"])
    state.update_deal(deal["id"], attributes={"pipeline": pipeline.id, "deal_stage": target})
    report = _pull(cli)
    assert report["stage_changes"] == 1
    engine = sa.create_engine(cli.database_url)
    with engine.connect() as conn:
        moves = conn.execute(
            sa.text(
                "SELECT from_stage_id, to_stage_id FROM stage_history "
                "WHERE deal_id = :id ORDER BY id"
            ),
            {"id": deal["id"]},
        ).all()
    engine.dispose()
    assert moves[-1] == (deal["attributes"]["deal_stage"], target)


def test_outage_mid_pull_fails_cleanly_and_the_next_pull_resumes(
    cli: Cli, sandbox: SandboxServer
) -> None:
    state = sandbox.state
    # Requests 1-2 are the catalogue, 3-4 the first two deal pages; then Brevo is down.
    state.faults.fail_from(5, status=503)
    failed = cli("pull")
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    (line,) = [ln for ln in failed.stderr.splitlines() if ln.startswith("brevo-sync:")]
    assert "503" in line and "resume" in line
    assert len(mirror_rows(cli.database_url)) == 200

    state.faults.clear()
    state.stats.reset()
    resumed = _pull(cli)
    assert resumed["resumed"] is True and resumed["deals_read"] == SANDBOX_DEALS - 200
    assert state.stats.snapshot()["by_endpoint"] == {"GET /crm/deals": 1}
    assert mirror_rows(cli.database_url) == sandbox_rows(state)


def test_killed_pull_resumes_to_an_exact_mirror(cli: Cli, sandbox: SandboxServer) -> None:
    state = sandbox.state
    state.faults.delay(0.4, path_prefix="/crm/deals")
    proc = cli.start("pull")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.1)
        try:
            if len(mirror_rows(cli.database_url)) >= 100:
                break
        except sa.exc.OperationalError:
            continue  # the schema is not there yet
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    mirrored_before = len(mirror_rows(cli.database_url))
    assert 100 <= mirrored_before < SANDBOX_DEALS

    state.faults.clear()
    resumed = _pull(cli)
    assert resumed["resumed"] is True
    assert resumed["deals_read"] == SANDBOX_DEALS - mirrored_before
    assert mirror_rows(cli.database_url) == sandbox_rows(state)


def test_budget_is_waited_for_instead_of_running_into_429(tmp_path: Path) -> None:
    from brevo_sync.sandbox import SandboxState
    from tests.e2e.conftest import base_env

    state = SandboxState.seeded(seed=3, deals=450, requests_per_hour=3, window_seconds=1.5)
    with SandboxServer(state) as server:
        env = base_env(tmp_path)
        env.update(BREVO_API_KEY=state.api_key, BREVO_BASE_URL=server.base_url)
        cli = Cli(env=env, cwd=tmp_path)
        started = time.monotonic()
        result = cli("pull", "--json")
        elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["deals_read"] == 450
        stats = state.stats.snapshot()
        assert "429" not in stats["by_status"]
        assert report["requests_total"] == stats["total"] == 2 + 5
        waits = [ln for ln in result.stderr.splitlines() if ln.startswith("Waiting until")]
        assert waits and all("UTC" in w and "rate-limit window" in w for w in waits)
        assert elapsed >= 1.5  # 7 requests at 3 per window cannot fit in one
        assert mirror_rows(cli.database_url) == sandbox_rows(state)


def test_status_and_deals_list_read_the_mirror_without_an_api_key(
    cli: Cli, sandbox: SandboxServer, offline_cli: Cli
) -> None:
    _pull(cli)
    offline = Cli(env={**offline_cli.env, "BREVO_SYNC_DATABASE_URL": cli.database_url}, cwd=cli.cwd)
    status = offline("status", "--json")
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["deals"] == SANDBOX_DEALS
    assert doc["requests_total"] >= 4 and doc["cursor"] is not None
    assert doc["budget"]["limit"] is not None

    text = offline("status")
    assert text.returncode == 0 and f"Deals mirrored:   {SANDBOX_DEALS}" in text.stdout

    snapshot = sandbox.state.deals_snapshot()
    big = sorted(
        (
            d
            for d in snapshot
            if (d["attributes"].get("amount") or 0) >= 25000
            and d["attributes"].get("deal_currency") == "EUR"
        ),
        key=lambda d: -float(d["attributes"]["amount"]),
    )
    listed = offline(
        "deals",
        "list",
        "--min-amount",
        "25000",
        "--currency",
        "EUR",
        "--sort",
        "-amount",
        "--limit",
        "0",
        "--json",
    )
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["amount"] for r in rows] == [float(d["attributes"]["amount"]) for d in big]
    assert set(rows[0]) >= {
        "id",
        "name",
        "pipeline_id",
        "stage_id",
        "owner",
        "amount",
        "currency",
        "close_date",
        "created_at",
        "updated_at",
        "stage_updated_at",
        "attributes",
        "contact_ids",
        "company_ids",
        "stage_name",
    }

    stage_name = rows[0]["stage_name"]
    by_stage = json.loads(
        offline("deals", "list", "--stage", stage_name.upper(), "--limit", "0", "--json").stdout
    )
    assert by_stage and all(r["stage_name"].upper() == stage_name.upper() for r in by_stage)
    table = offline("deals", "list", "--limit", "5")
    assert table.returncode == 0 and "5 deals" in table.stdout
