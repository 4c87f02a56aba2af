"""Exactly once under fire: `push` killed with SIGKILL at random points, over and over,
against a sandbox that fails (5xx, connections dropped after the write went through, delays)
and a small rate-limit window. In the end Brevo holds every intended change once: no
duplicate deal, task, note or loyalty credit, and the outbox is empty or every leftover has a
reason. A 429 never reaches the operator as a failure."""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from pathlib import Path

from brevo_sync.bootstrap import Container
from brevo_sync.config import load_settings
from brevo_sync.sandbox import SandboxServer, SandboxState
from brevo_sync.sandbox.faults import FaultRule
from brevo_sync.sandbox.loyalty import LOYALTY_BALANCE_DEFINITION_ID, LOYALTY_PROGRAM_ID
from brevo_sync.service.deal_changes import advance_deal, assign_deal
from tests.e2e.conftest import Cli, base_env, orders_file

KILLS = 30
ONE_SHOT_RULES = 13  # in `_faults`
MARKER = re.compile(r"\[brevo-sync ([^\]]+)\]")


def _faults(state: SandboxState) -> None:
    """Failures early and spread out: a rule counts matching requests across all pushes, so
    low starting points make sure each strikes while pushes are being killed."""
    add = state.faults.add
    add(FaultRule("delay", seconds=0.05, path_prefix="/crm"))  # room to be killed mid-way
    for start in (2, 6, 12):
        add(FaultRule("status", status=503, count=1, start_at=start, path_prefix="/crm/deals/"))
    for start in (1, 4, 8, 13):
        add(FaultRule("drop", phase="after", count=1, start_at=start, path_prefix="/crm/tasks"))
    for start in (1, 3):
        add(FaultRule("drop", phase="after", count=1, start_at=start, path_prefix="/crm/notes"))
        add(
            FaultRule(
                "drop",
                phase="after",
                count=1,
                start_at=start,
                path_prefix="/crm/deals",
                method="POST",
            )
        )
        add(
            FaultRule(
                "drop",
                phase="after",
                count=1,
                start_at=start,
                path_prefix="/loyalty/balance/programs",
                method="POST",
            )
        )


def _advance_many(cli: Cli, state: SandboxState, n: int) -> list[str]:
    """Move n Enterprise Sales deals Lead -> Qualified -> Demo -> Proposal (tasks, notes and
    loyalty milestones at Demo and Proposal)."""
    lead = state.stage_id("Enterprise Sales", "Lead")
    pipeline = state.pipeline("Enterprise Sales").id
    deals = [
        str(d["id"])
        for d in state.deals_snapshot()
        if d["attributes"]["pipeline"] == pipeline
        and d["attributes"]["deal_stage"] == lead
        and d["linkedContactsIds"]
    ][:n]
    assert len(deals) >= 5, "the seeded sandbox has too few leads"
    # The queue is made in-process through the same services the commands call (24 command
    # processes would cost more time than the kills); `deals advance` itself is tested apart.
    container = Container(settings=load_settings(**_settings(cli)))
    try:
        for deal in deals:
            for stage in ("Qualified", "Demo", "Proposal"):
                advance_deal(container.context, deal, stage)
        taker = "taker@example.com"
        state.add_user(taker)
        for deal in deals[:4]:  # a new owner, and a note to the earlier seller
            assign_deal(container.context, deal, taker)
    finally:
        container.close()
    return deals


def _settings(cli: Cli) -> dict[str, str]:
    """The CLI's BREVO_* environment as settings (what the subprocesses read)."""
    names = {"BREVO_API_KEY": "api_key", "BREVO_BASE_URL": "base_url"}
    out = {}
    for key, value in cli.env.items():
        if key in names:
            out[names[key]] = value
        elif key.startswith("BREVO_SYNC_"):
            out[key.removeprefix("BREVO_SYNC_").lower()] = value
    return out


def test_push_killed_30_times_still_sends_everything_exactly_once(tmp_path: Path) -> None:
    state = SandboxState.seeded(seed=23, deals=160)
    with SandboxServer(state) as sandbox:
        env = base_env(tmp_path)
        env.update(
            BREVO_API_KEY=state.api_key,
            BREVO_BASE_URL=sandbox.base_url,
            BREVO_SYNC_LOYALTY_PROGRAM_ID=LOYALTY_PROGRAM_ID,
            BREVO_SYNC_LOYALTY_BALANCE_ID=LOYALTY_BALANCE_DEFINITION_ID,
            BREVO_SYNC_MAX_RETRIES="1",
            BREVO_SYNC_OUTBOX_MAX_ATTEMPTS="50",
            BREVO_SYNC_OUTBOX_BACKOFF_SECONDS="0.2",
        )
        cli = Cli(env=env, cwd=tmp_path)
        assert cli("pull").returncode == 0
        deals = _advance_many(cli, state, 8)
        imported = cli(
            "orders", "import", str(orders_file(tmp_path, 6, "R", shop="reliability", amount=6000))
        )
        has_orders = imported.returncode == 0
        queued = json.loads(cli("outbox", "list", "--json", "--limit", "0").stdout)["counts"]
        assert queued["pending"] >= 8 * 3 * 2

        state.ratelimit.configure("crm", 25, 2.0)  # a small window: pushes must wait for it
        _faults(state)
        rng = random.Random(7)
        started = time.monotonic()
        for _ in range(KILLS):
            process = cli.start("push")
            time.sleep(rng.uniform(0.8, 1.7))  # start-up takes ~0.9 s; then it sends
            process.kill()
            process.wait()
            process.communicate()

        print(f"kills: {KILLS} in {time.monotonic() - started:.1f} s")
        # A one-shot rule leaves the list once it has struck: most of them must have.
        left = [r for r in state.faults.rules() if r["kind"] != "delay"]
        assert len(left) <= ONE_SHOT_RULES // 3, left
        state.faults.clear()
        outcomes = []
        started = time.monotonic()
        for _ in range(15):  # the quiet tail: push until nothing is left to send
            result = cli("push", "--json")
            assert "HTTP 429" not in result.stderr, result.stderr
            report = json.loads(result.stdout)
            outcomes.append(report)
            busy = report["failed"] or report["unclear"] or report["waiting"] or report["sent"]
            if not busy:
                break  # nothing was left to send
            time.sleep(0.5)
        print(f"tail: {len(outcomes)} pushes in {time.monotonic() - started:.1f} s")
        counts = json.loads(cli("outbox", "list", "--json").stdout)["counts"]
        assert not any(counts.get(s) for s in ("pending", "sending", "unconfirmed")), counts
        dead = json.loads(cli("outbox", "list", "--dead", "--json", "--limit", "0").stdout)
        assert all(row["last_error"] for row in dead["rows"])
        assert counts.get("dead", 0) == 0, [r["last_error"] for r in dead["rows"]][:3]

        # Every stage change arrived, once.
        proposal = state.stage_id("Enterprise Sales", "Proposal")
        remote = {d["id"]: d["attributes"] for d in state.deals_snapshot()}
        assert all(remote[d]["deal_stage"] == proposal for d in deals)
        # No task or note twice: each carries the key of the row that made it.
        for kind in ("tasks", "notes"):
            records = list(getattr(state, kind).items)
            keys = Counter(
                m for r in records for m in MARKER.findall(json.dumps(r, ensure_ascii=False))
            )
            assert keys and max(keys.values()) == 1, (kind, keys.most_common(3))
        # One completed credit per (deal, milestone): 100 at Demo, 250 at Proposal.
        credits = [t for t in state.loyalty.transactions.values() if t.get("status") == "completed"]
        by_milestone = Counter(str((t.get("meta") or {}).get("milestone")) for t in credits)
        assert len(by_milestone) == 2 * len(deals) and max(by_milestone.values()) == 1
        # Each order deal created once.
        if has_orders:
            refs = Counter(
                a.get("brevo_sync_ref") for a in remote.values() if a.get("brevo_sync_ref")
            )
            assert len(refs) == 6 and max(refs.values()) == 1, refs
