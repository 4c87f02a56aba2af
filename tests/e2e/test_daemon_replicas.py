"""Three `brevo-sync run` replicas on one PostgreSQL database against the sandbox, with short
intervals, deals changing in Brevo meanwhile, a shop sending order webhooks to all three
(behind a load balancer), and one replica killed with SIGKILL midway: every scheduled run
happened once, every outbox row was sent once, every inbox event was processed once (one
order, one deal), the mirror is exact.
And a small hourly budget with a queue of pushes: no 429 reaches a job, changes go first,
delete detection waits."""

from __future__ import annotations

import itertools
import json
import re
import signal
import socket
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from brevo_sync.entrypoints.web.signatures import base64_signature
from brevo_sync.sandbox import SandboxServer, SandboxState
from tests.e2e.conftest import Cli, base_env, mirror_rows, orders_file, sandbox_rows
from tests.e2e.test_cli_orders import _rules

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLAIM_SECONDS = 3.0
SHOPIFY_SECRET = "shpss_replicas"
WEBHOOK_ORDERS = 30
FAST = {
    "BREVO_SYNC_PULL_INTERVAL_SECONDS": "1",
    "BREVO_SYNC_PULL_MAX_INTERVAL_SECONDS": "2",
    "BREVO_SYNC_PUSH_INTERVAL_SECONDS": "1",
    "BREVO_SYNC_INBOX_INTERVAL_SECONDS": "1",
    "BREVO_SYNC_SWEEP_INTERVAL_SECONDS": "2",
    "BREVO_SYNC_RENEWALS_INTERVAL_SECONDS": "5",
    "BREVO_SYNC_RECONCILE_INTERVAL_SECONDS": "3",
    "BREVO_SYNC_JOB_CLAIM_SECONDS": str(CLAIM_SECONDS),
    "BREVO_SYNC_LOCK_WAIT_SECONDS": "1",
    "BREVO_SYNC_IMPORT_THRESHOLD": "1000",  # one request per deal: pushes take a while
}


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[str]:
    """A fresh database for the test (dropped afterwards): the daemons' URL."""
    name = f"t_daemon_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _refs(state: SandboxState) -> Counter[str]:
    return Counter(
        str(d["attributes"]["brevo_sync_ref"])
        for d in state.deals_snapshot()
        if d["attributes"].get("brevo_sync_ref")
    )


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "never got there"
        time.sleep(0.2)


def _query(url: str, sql: str) -> list[sa.Row[tuple[object, ...]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)))
    finally:
        engine.dispose()


def _editing(state: SandboxState, stop: threading.Event) -> threading.Thread:
    """A sales rep in Brevo: a deal's amount changes every 0.3 s."""

    def edit() -> None:
        ids = [d["id"] for d in state.deals_snapshot()][:60]
        i = 0
        while not stop.wait(0.3):
            state.update_deal(ids[i % len(ids)], attributes={"amount": 500 + i})
            i += 1

    thread = threading.Thread(target=edit, daemon=True)
    thread.start()
    return thread


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class Shop:
    """A Shopify shop sending `orders/create` webhooks through a load balancer in front of
    the replicas: a delivery a replica cannot take (it is dead) goes to the next one."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.accepted: dict[str, str] = {}  # webhook id -> the first answer's status
        self.repeats: list[str] = []  # the status answered to each repeated delivery
        self._turn = itertools.count()

    def deliver(self, order_no: int, webhook_id: str) -> None:
        order = {
            "id": 9_100_000 + order_no,
            "email": f"w{order_no}@example.test",
            "created_at": "2026-11-20T10:00:00+01:00",
            "total_price": f"{7000 + order_no}.00",
            "currency": "EUR",
            "customer": {"first_name": "Web", "last_name": f"Hook {order_no}"},
            "line_items": [{"sku": "SKU-1", "title": "Widget", "quantity": 1}],
        }
        raw = json.dumps(order).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": base64_signature(SHOPIFY_SECRET, raw),
            "X-Shopify-Shop-Domain": "replicas.myshopify.com",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": webhook_id,
        }
        for _ in range(3 * len(self.ports)):
            port = self.ports[next(self._turn) % len(self.ports)]
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/webhooks/orders/shopify",
                    content=raw,
                    headers=headers,
                    timeout=5,
                )
            except httpx.HTTPError:
                continue  # that replica is gone: the balancer tries the next
            assert answer.status_code in (200, 202), answer.text
            status = str(answer.json()["status"])
            if webhook_id in self.accepted:
                self.repeats.append(status)
            else:
                self.accepted[webhook_id] = status
            return
        raise AssertionError(f"no replica took webhook {webhook_id}")


def _sending(shop: Shop, stop: threading.Event) -> threading.Thread:
    """Orders arrive every 0.2 s; every fifth is delivered a second time (the shop did not
    see our answer), through whichever replica the balancer picks."""

    def send() -> None:
        for n in range(WEBHOOK_ORDERS):
            shop.deliver(n, f"wh-{n}")
            if n % 5 == 4:
                shop.deliver(n, f"wh-{n}")
            if stop.wait(0.2):
                return

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_three_replicas_one_killed_every_run_row_and_event_once_mirror_exact(
    tmp_path: Path, pg_database: str
) -> None:
    state = SandboxState.seeded(seed=31, deals=200)
    with SandboxServer(state) as sandbox:
        env = {**base_env(tmp_path), **FAST}
        env.update(
            BREVO_API_KEY=state.api_key,
            BREVO_BASE_URL=sandbox.base_url,
            BREVO_SYNC_DATABASE_URL=pg_database,
            BREVO_SYNC_RULES=str(_rules(tmp_path)),
            BREVO_SYNC_SHOPIFY_WEBHOOK_SECRET=SHOPIFY_SECRET,
        )
        cli = Cli(env=env, cwd=tmp_path)
        assert cli("db", "upgrade").returncode == 0
        assert cli("run", "--once").returncode == 0  # the first full read
        assert (
            cli("orders", "import", str(orders_file(tmp_path, 24, "R", shop="replicas"))).returncode
            == 0
        )
        state.faults.delay(0.15, path_prefix="/crm/deals", method="POST")
        stop_edits = threading.Event()
        editor = _editing(state, stop_edits)
        ports = [_free_port() for _ in range(3)]
        replicas = [cli.start("run", "--port", str(port)) for port in ports]
        _wait_for(lambda: all(_healthy(p) for p in ports))
        shop = Shop(ports)
        sender = _sending(shop, stop_edits)
        _wait_for(lambda: sum(_refs(state).values()) >= 4 and len(shop.accepted) >= 8)
        replicas[0].send_signal(signal.SIGKILL)  # mid-job, whichever it was running
        replicas[0].wait()
        sender.join(timeout=30)
        assert len(shop.accepted) == WEBHOOK_ORDERS  # every delivery was taken by a replica
        assert set(shop.accepted.values()) == {"accepted"}
        assert shop.repeats == ["duplicate"] * (WEBHOOK_ORDERS // 5)
        time.sleep(2)
        stop_edits.set()
        editor.join()

        def settled() -> bool:
            left = _query(
                pg_database,
                "SELECT (SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending'))"
                " + (SELECT count(*) FROM inbox WHERE state = 'pending')",
            )[0][0]
            return left == 0 and mirror_rows(pg_database) == sandbox_rows(state)

        _wait_for(settled)
        for proc in replicas[1:]:
            proc.send_signal(signal.SIGTERM)
        for proc in replicas[1:]:
            _, stderr = proc.communicate(timeout=15)
            assert proc.returncode == 0, stderr

        refs = _refs(state)  # every order's deal, the file's and the webhooks', created once
        assert len(refs) == 24 + WEBHOOK_ORDERS and max(refs.values()) == 1
        assert mirror_rows(pg_database) == sandbox_rows(state)
        _check_inbox(pg_database)
        _check_runs(pg_database, killed=replicas[0].pid)


def _check_inbox(url: str) -> None:
    """One inbox row per webhook order (a repeated delivery is no second row), each done;
    one order recorded per row, its deal queued once."""
    rows = _query(url, "SELECT state, outcome FROM inbox")
    assert len(rows) == WEBHOOK_ORDERS
    assert {r.state for r in rows} == {"done"}, rows
    orders = _query(
        url, "SELECT order_id, decision, deal_key FROM orders WHERE source LIKE 'webhook:%'"
    )
    assert len(orders) == WEBHOOK_ORDERS and {o.decision for o in orders} == {"deal"}
    sent = _query(
        url,
        "SELECT o.state FROM outbox o JOIN orders r ON r.deal_key = o.key"
        " WHERE r.source LIKE 'webhook:%'",
    )
    assert [s.state for s in sent] == ["done"] * WEBHOOK_ORDERS


def _check_runs(url: str, *, killed: int) -> None:
    """Each job's runs: one per sequence number, never two at once (a run the killed replica
    left open is taken over only once its claim expired), shared between the replicas."""
    rows = _query(url, "SELECT job, seq, replica, started_at, finished_at FROM job_runs")
    by_job: dict[str, list[sa.Row[tuple[object, ...]]]] = defaultdict(list)
    for row in rows:
        by_job[row.job].append(row)
    replicas = {row.replica for row in rows}
    assert len(replicas) >= 2, replicas
    assert by_job["pull"] and by_job["push"], sorted(by_job)
    for job, runs in by_job.items():
        runs.sort(key=lambda r: r.seq)
        assert [r.seq for r in runs] == list(range(1, len(runs) + 1)), job
        for before, after in itertools.pairwise(runs):
            if before.finished_at is None:  # the killed replica's: its claim had to expire
                assert f":{killed}:" in before.replica, (job, before)
                assert after.started_at >= before.started_at + timedelta(seconds=CLAIM_SECONDS)
            else:
                assert after.started_at >= before.finished_at, (job, before, after)


def test_a_small_budget_sends_changes_first_and_defers_delete_detection(
    tmp_path: Path, pg_database: str
) -> None:
    state = SandboxState.seeded(seed=37, deals=150)
    with SandboxServer(state) as sandbox:
        env = {**base_env(tmp_path), **FAST}
        env.update(
            BREVO_API_KEY=state.api_key,
            BREVO_BASE_URL=sandbox.base_url,
            BREVO_SYNC_DATABASE_URL=pg_database,
            BREVO_SYNC_RECONCILE_BUDGET_SHARE="0.5",
        )
        cli = Cli(env=env, cwd=tmp_path)
        assert cli("run", "--once").returncode == 0
        assert (
            cli("orders", "import", str(orders_file(tmp_path, 12, "B", shop="replicas"))).returncode
            == 0
        )
        state.ratelimit.configure("crm", 8, 4.0)  # 8 requests per 4-second window
        cli.env["BREVO_SYNC_RECONCILE_INTERVAL_SECONDS"] = "1"
        proc = cli.start("run", "--no-http")
        _wait_for(lambda: len(_refs(state)) == 12, timeout=60)
        time.sleep(1.5)  # delete detection looks at the window the pushes spent
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
        assert proc.returncode == 0, stderr
        # No job failed on a 429 (a timestamp's digits may spell 429: look for the status).
        assert not re.search(r"HTTP 429|\b429 Too Many|\"status\": 429", stderr), stderr
        runs = _query(
            pg_database,
            "SELECT job, outcome, detail, started_at FROM job_runs ORDER BY started_at",
        )
        assert not [r for r in runs if r.outcome == "failed"], runs
        pushes = [r for r in runs if r.job == "push" and r.outcome == "ok"]
        first_sent = pushes[0].started_at
        last_sent = pushes[-1].started_at
        walks = [r for r in runs if r.job == "reconcile" and r.started_at > first_sent]
        waited = [r for r in walks if r.outcome in ("deferred", "busy")]
        assert waited, walks  # delete detection waited while changes were being sent
        walked_meanwhile = [r for r in walks if r.outcome == "ok" and r.started_at < last_sent]
        assert all("0 pages" in (r.detail or "") for r in walked_meanwhile)
        assert max(_refs(state).values()) == 1
