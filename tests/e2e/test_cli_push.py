"""The write path end to end: `deals advance`/`assign` queue, `plan` shows the cost without
spending, `push` sends each change once (counts pinned against the sandbox over HTTP), the
next pull sees no move back, and what Brevo refuses or lost is a dead letter with its reason."""

from __future__ import annotations

import json
from typing import Any

from brevo_sync.sandbox import SandboxServer, SandboxState
from tests.e2e.conftest import Cli


def _json(cli: Cli, *args: str, code: int = 0) -> Any:
    result = cli(*args, "--json")
    assert result.returncode == code, result.stderr
    return json.loads(result.stdout)


def _deal_in(state: SandboxState, pipeline: str, stage: str) -> str:
    p = state.pipeline(pipeline)
    stage_id = state.stage_id(pipeline, stage)
    return str(
        next(
            d["id"]
            for d in state.deals_snapshot()
            if d["attributes"]["pipeline"] == p.id and d["attributes"]["deal_stage"] == stage_id
        )
    )


def _remote(state: SandboxState, deal_id: str) -> dict[str, Any]:
    deal = next(d for d in state.deals_snapshot() if d["id"] == deal_id)
    return dict(deal["attributes"])


def test_advance_plan_push_pull(cli: Cli, sandbox: SandboxServer) -> None:
    state = sandbox.state
    _json(cli, "pull")
    deal = _deal_in(state, "Opportunity Pipeline", "NEW_LEAD")
    moved = _json(cli, "deals", "advance", deal, "qualification")
    assert moved["change"] == "NEW_LEAD -> QUALIFICATION"
    assert moved["queued"] >= 1

    before = state.stats.snapshot()["total"]
    plan = _json(cli, "plan")
    assert state.stats.snapshot()["total"] == before  # a plan spends nothing
    patches = [u for u in plan["units"] if u["kind"] == "patch"]
    assert [u["deal_id"] for u in patches] == [deal]

    pushed = _json(cli, "push")
    assert pushed["dead"] == 0 and pushed["failed"] == 0
    assert pushed["requests"]["PATCH /crm/deals/{id}"] == 1
    assert pushed["requests_total"] == plan["crm_requests"]  # the plan was exact
    remote = _remote(state, deal)
    assert remote["deal_stage"] == state.stage_id("Opportunity Pipeline", "QUALIFICATION")

    again = _json(cli, "push")
    assert again["requests_total"] == 0 and again["sent"] == 0
    pulled = _json(cli, "pull")
    assert pulled["stage_changes"] == 0  # our own move is not seen as a move
    status = _json(cli, "status")
    assert status["outbox"].get("pending", 0) == 0 and status["outbox"]["done"] >= 1


def test_a_refused_move_exits_2_with_every_reason(cli: Cli, sandbox: SandboxServer) -> None:
    _json(cli, "pull")
    deal = _deal_in(sandbox.state, "Opportunity Pipeline", "NEW_LEAD")
    result = cli("deals", "advance", deal, "closed lost")
    assert result.returncode == 2
    assert "refused" in result.stderr and "reason" in result.stderr.lower()
    unknown = cli("deals", "advance", deal, "qualificaton")
    assert unknown.returncode == 2 and "QUALIFICATION" in unknown.stderr  # a suggestion
    assert _json(cli, "outbox", "list")["rows"] == []


def test_many_changes_go_through_one_import_confirmed_by_a_pull(
    cli: Cli, sandbox: SandboxServer
) -> None:
    state = sandbox.state
    _json(cli, "pull")
    deals = [str(d["id"]) for d in state.deals_snapshot()[:6]]
    seller = state.add_user("new.seller@example.com")  # a user of the account, no deal yet
    for deal in deals:
        _json(cli, "deals", "assign", deal, "new.seller@example.com")
    state.imports.delay_seconds = 0  # lands on the next deal request (the pull below)
    env = {"BREVO_SYNC_IMPORT_THRESHOLD": "3"}
    result = cli("push", "--json", env=env)
    assert result.returncode == 0, result.stderr
    pushed = json.loads(result.stdout)
    assert pushed["requests"].get("POST /crm/deals/import") == 1
    assert "PATCH /crm/deals/{id}" not in pushed["requests"]
    assert pushed["unconfirmed"] == 6
    _json(cli, "pull")
    listed = _json(cli, "outbox", "list", "--state", "unconfirmed")
    assert listed["rows"] == []
    assert {_remote(state, d)["deal_owner"] for d in deals} == {seller}  # Brevo keeps the id
    listed = _json(cli, "deals", "list", "--owner", "new.seller@example.com")
    assert len(listed) == 6  # the id was learned from the import's outcome


def test_a_deal_deleted_in_brevo_is_a_dead_letter_not_a_retry_loop(
    cli: Cli, sandbox: SandboxServer
) -> None:
    state = sandbox.state
    _json(cli, "pull")
    deal = str(state.deals_snapshot()[0]["id"])
    state.add_user("someone@example.com")
    _json(cli, "deals", "assign", deal, "someone@example.com")
    state.delete_deal(deal)
    pushed = _json(cli, "push", code=1)
    assert pushed["dead"] >= 1
    dead = _json(cli, "outbox", "list", "--dead")["rows"]
    assert any("deleted in Brevo" in (r["last_error"] or "") for r in dead)
    assert _json(cli, "push")["requests_total"] == 0


def test_dead_letters_are_shown_retried_and_dropped_and_conflicts_listed(
    cli: Cli, sandbox: SandboxServer
) -> None:
    state = sandbox.state
    _json(cli, "pull")
    first, second = (str(d["id"]) for d in state.deals_snapshot()[:2])
    _json(cli, "deals", "assign", first, "nobody@example.com")  # not a user: Brevo says 400
    pushed = _json(cli, "push", code=1)
    assert pushed["dead"] == 1
    (dead,) = _json(cli, "outbox", "list", "--dead")["rows"]
    assert "not a user" in dead["last_error"]
    shown = _json(cli, "outbox", "show", str(dead["id"]))
    assert shown["payload"]["attributes"]["deal_owner"] == "nobody@example.com"
    assert cli("outbox", "retry", str(dead["id"])).returncode == 0
    assert _json(cli, "outbox", "list", "--state", "pending")["rows"][0]["id"] == dead["id"]
    dropped = cli("outbox", "drop", str(dead["id"]), "--reason", "wrong person")
    assert dropped.returncode == 0
    (row,) = _json(cli, "outbox", "list", "--state", "dropped")["rows"]
    assert "wrong person" in row["last_error"]
    missing = cli("outbox", "show", "999999")
    assert missing.returncode == 2 and "outbox list --all" in missing.stderr

    # A field changed in Brevo while ours waited: Brevo's value stays, ours is logged.
    mine = state.add_user("mine@example.com")
    theirs = state.add_user("theirs@example.com")
    _json(cli, "deals", "assign", second, "mine@example.com")
    state.update_deal(second, attributes={"deal_owner": theirs})
    result = cli("push", "--json", env={"BREVO_SYNC_CONFLICT_MAX_AGE_SECONDS": "0"})
    assert json.loads(result.stdout)["conflicts"] == 1
    (conflict,) = _json(cli, "conflicts")
    assert conflict["field"] == "deal_owner" and conflict["resolution"] == "brevo"
    assert _remote(state, second)["deal_owner"] == theirs != mine
