"""The write path in memory: a decision becomes outbox rows, push sends each once, in the
fewest requests, and every failure ends in a retry, a dead letter with its reason, or a lookup
before anything that creates is sent again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.domain.outbox import Features, OutboxFilter
from brevo_sync.domain.rules.events import CreateDealRequested
from brevo_sync.errors import BrevoBadRequest, BrevoUnavailable
from brevo_sync.service.context import PushOptions, ServiceContext
from brevo_sync.service.deal_changes import ChangeRefused, advance_deal, assign_deal
from brevo_sync.service.outbox import queue_decisions, retry_rows
from brevo_sync.service.push import push_outbox
from tests.fakes import FakeBrevo
from tests.unit.service.support import memory_context, pull

PATCH = "PATCH /crm/deals/{id}"


class Unclear(BrevoUnavailable):
    outcome_unknown = True


def setup(n: int = 3, **push: object) -> tuple[FakeBrevo, ServiceContext]:
    brevo = FakeBrevo()
    brevo.add(n)
    ctx = memory_context(MemoryMirror(), brevo, push=PushOptions(**push))  # type: ignore[arg-type]
    pull(ctx, full=True)
    return brevo, ctx


def rows(ctx: ServiceContext, *states: str) -> list:
    with ctx.uow() as uow:
        return uow.outbox.find(OutboxFilter(states=states or ("pending",), limit=None))  # type: ignore[arg-type]


def test_an_advance_queues_one_patch_and_the_stage_actions_and_push_sends_them_once() -> None:
    brevo, ctx = setup()
    result = advance_deal(ctx, "d000000", "Qualified")
    assert result.change == "Lead -> Qualified"
    assert result.attributes["deal_stage"] == "s-qual" and result.attributes["pipeline"] == "p1"
    kinds = sorted(r.kind for r in rows(ctx))
    assert kinds == ["create_task", "update_deal"]  # Qualified: "schedule demo"

    report = push_outbox(ctx)
    assert (report.sent, report.failed, report.dead) == (2, 0, 0)
    # The custom attributes the rules write are created once, on first use.
    assert report.requests == {
        "POST /crm/attributes": 4,
        PATCH: 1,
        "GET /crm/tasktypes": 1,
        "POST /crm/tasks": 1,
    }
    deal = next(d for d in brevo.deals if d["id"] == "d000000")
    assert deal["attributes"]["deal_stage"] == "s-qual"
    assert deal["attributes"]["probability"] == 25
    assert [t["deal_ids"] for t in brevo.tasks] == [["d000000"]]

    again = push_outbox(ctx)  # nothing left: nothing spent
    assert again.requests == {} and again.sent == 0
    advance_deal(ctx, "d000001", "Qualified")
    third = push_outbox(ctx)  # attributes and task types are known now
    assert third.requests == {PATCH: 1, "POST /crm/tasks": 1}


def test_k_changes_on_m_deals_cost_m_patches() -> None:
    brevo, ctx = setup(3)
    for deal in ("d000000", "d000001"):
        assign_deal(ctx, deal, "ben@example.com")
        assign_deal(ctx, deal, "cleo@example.com")
    report = push_outbox(ctx)
    assert report.requests[PATCH] == 2
    owners = {d["id"]: d["attributes"]["deal_owner"] for d in brevo.deals}
    assert owners["d000000"] == brevo.user("cleo@example.com")


def test_above_the_threshold_updates_go_through_one_import_confirmed_by_the_next_pull() -> None:
    brevo, ctx = setup(5, import_threshold=2)
    for n in range(5):
        assign_deal(ctx, f"d00000{n}", "ben@example.com")
    report = push_outbox(ctx)
    # One import for the five owners; the note to each earlier seller is one request each.
    assert report.requests == {"POST /crm/deals/import": 1, "POST /crm/notes": 5}
    assert report.unconfirmed == 5
    assert len(rows(ctx, "unconfirmed")) == 5
    brevo.apply_imports()
    pull(ctx)
    assert rows(ctx, "unconfirmed") == []
    assert len(rows(ctx, "done")) == 10  # 5 updates confirmed by the pull, 5 notes


def test_a_refused_move_changes_nothing_and_names_every_reason() -> None:
    _, ctx = setup()
    with pytest.raises(ChangeRefused) as refused:
        advance_deal(ctx, "d000000", "Closed Lost")  # Lost needs a reason
    assert refused.value.reasons
    assert rows(ctx) == []


def test_a_4xx_is_a_dead_letter_with_its_reason_and_retry_brings_it_back() -> None:
    brevo, ctx = setup()
    advance_deal(ctx, "d000000", "Qualified")
    brevo.fail_next[PATCH] = [BrevoBadRequest("PATCH: 400 invalid_parameter: probability")]
    report = push_outbox(ctx)
    assert report.dead == 1
    dead = rows(ctx, "dead")
    assert "probability" in (dead[0].last_error or "")
    assert retry_rows(ctx, [], all_dead=True) == 1
    assert push_outbox(ctx).sent == 1


def test_a_5xx_backs_off_then_dies_after_max_attempts() -> None:
    brevo, ctx = setup(max_attempts=2)
    assign_deal(ctx, "d000000", "ben@example.com")
    brevo.fail_next[PATCH] = [BrevoUnavailable("503"), BrevoUnavailable("503")]
    assert push_outbox(ctx).failed == 1
    assert push_outbox(ctx).requests == {}  # not due yet: backoff
    brevo.tick(120)
    assert push_outbox(ctx).dead == 1


def test_a_creation_with_an_unclear_outcome_is_looked_up_not_posted_twice() -> None:
    brevo, ctx = setup()
    deal = CreateDealRequested(
        key="order:shop:1001",
        name="ACME - Order #1001",
        pipeline="Enterprise Sales",
        stage="Qualified",
        pipeline_id="p1",
        stage_id="s-qual",
        attributes={"brevo_sync_ref": "order:shop:1001"},
    )
    with ctx.uow() as uow:
        queue_decisions(ctx, uow, [deal], origin="orders")
        uow.commit()
    brevo.apply_then_fail.add("POST /crm/deals")
    brevo.fail_next["POST /crm/deals"] = [Unclear("read timeout")]
    first = push_outbox(ctx)
    assert first.unclear == 1
    assert len(brevo.deals) == 4  # it did reach Brevo
    brevo.tick(5)
    second = push_outbox(ctx)
    assert "POST /crm/deals" not in second.requests  # found by reference, not re-posted
    assert second.sent == 1
    assert len(brevo.deals) == 4
    (done,) = rows(ctx, "done")
    assert done.result_id == brevo.deals[-1]["id"]


def test_a_field_changed_on_both_sides_is_a_conflict_brevo_wins() -> None:
    brevo, ctx = setup(conflict_max_age=timedelta(0))
    assign_deal(ctx, "d000000", "ben@example.com")
    brevo.edit("d000000", deal_owner=brevo.user("dora@example.com"))
    report = push_outbox(ctx)
    assert report.conflicts == 1
    # One GET for Brevo's values, no PATCH (nothing left to send), the note to the seller.
    assert report.requests == {"GET /crm/deals/{id}": 1, "POST /crm/notes": 1}
    with ctx.uow() as uow:
        (conflict,) = uow.outbox.conflicts()
    assert conflict.field == "deal_owner" and conflict.resolution == "brevo"
    assert brevo.deals[0]["attributes"]["deal_owner"] == brevo.user("dora@example.com")


def test_a_deal_deleted_in_brevo_fails_the_row_once_with_that_reason() -> None:
    brevo, ctx = setup()
    assign_deal(ctx, "d000000", "ben@example.com")
    brevo.deals.pop(0)
    report = push_outbox(ctx)
    assert report.dead == 1
    assert "deleted in Brevo" in (rows(ctx, "dead")[0].last_error or "")


def test_a_pull_before_the_push_keeps_our_move_in_the_mirror() -> None:
    brevo, ctx = setup()
    advance_deal(ctx, "d000000", "Qualified")
    brevo.edit("d000000", amount=5000)  # an unrelated edit in Brevo
    report = pull(ctx)
    assert report.stage_changes == 0  # not seen as a move back
    with ctx.uow() as uow:
        deal = uow.deals.get(["d000000"])["d000000"]
    assert deal.stage_id == "s-qual" and float(deal.amount or 0) == 5000
    push_outbox(ctx)
    assert brevo.deals[0]["attributes"]["deal_stage"] == "s-qual"


def test_a_task_whose_answer_was_lost_is_found_not_created_twice() -> None:
    brevo, ctx = setup()
    advance_deal(ctx, "d000000", "Qualified")
    brevo.apply_then_fail.add("POST /crm/tasks")
    brevo.fail_next["POST /crm/tasks"] = [Unclear("connection dropped")]
    assert push_outbox(ctx).unclear == 1
    second = push_outbox(ctx)
    assert second.requests.get("GET /crm/tasks") == 1  # one lookup on the deal
    assert "POST /crm/tasks" not in second.requests
    assert len(brevo.tasks) == 1


def test_loyalty_points_are_credited_once_across_a_lost_answer_and_a_move_back() -> None:
    push = {
        "features": Features(loyalty=True),
        "loyalty_program_id": "lp",
        "loyalty_balance_id": "b",
    }
    brevo, ctx = setup(**push)
    brevo.pipelines[0]["stages"].insert(2, {"id": "s-demo", "name": "Demo"})
    pull(ctx, full=True)
    advance_deal(ctx, "d000000", "Qualified")
    advance_deal(ctx, "d000000", "Demo")  # milestone: 100 points
    begin = "POST /loyalty/balance/programs/{pid}/transactions"
    brevo.apply_then_fail.add(begin)
    brevo.fail_next[begin] = [Unclear("timeout")]
    assert push_outbox(ctx).failed == 1  # a draft may exist: it credits nothing
    brevo.tick(120)  # past the backoff
    push_outbox(ctx)
    advance_deal(ctx, "d000000", "Qualified", reason="back")
    advance_deal(ctx, "d000000", "Demo")
    push_outbox(ctx)
    assert len(brevo.transactions) == 2  # the lost draft and the one completed
    assert [t["amount"] for t in brevo.completed_credits()] == [100.0]


def test_a_contact_is_enrolled_before_its_first_credit_only_and_again_in_a_new_program() -> None:
    push = {"features": Features(loyalty=True), "loyalty_balance_id": "b"}
    brevo, ctx = setup(loyalty_program_id="lp", **push)
    brevo.pipelines[0]["stages"].insert(2, {"id": "s-demo", "name": "Demo"})
    pull(ctx, full=True)
    enrol = "POST /loyalty/config/programs/{pid}/subscriptions"
    begin = "POST /loyalty/balance/programs/{pid}/transactions"

    def credit(deal_id: str, context: ServiceContext) -> dict[str, int]:
        advance_deal(context, deal_id, "Qualified")
        advance_deal(context, deal_id, "Demo")  # milestone: 100 points for contact 1
        spent = push_outbox(context).requests
        return {k: n for k, n in spent.items() if "loyalty" in k}

    assert credit("d000000", ctx)[enrol] == 1  # the first credit enrols contact 1
    assert enrol not in credit("d000001", ctx)  # the ledger knows it: two requests, not three
    # The operator moves to another program: Brevo refuses the credit, contact 1 is enrolled
    # there and the credit goes through, once.
    moved = replace(ctx, push=replace(ctx.push, loyalty_program_id="lp2"))
    spent = credit("d000002", moved)
    assert spent[enrol] == 1 and spent[begin] == 2
    assert brevo.enrolled == {("lp", 1), ("lp2", 1)}
    assert [t["amount"] for t in brevo.completed_credits()] == [100.0, 100.0, 100.0]


def test_a_refused_import_is_sent_row_by_row() -> None:
    brevo, ctx = setup(5, import_threshold=2)
    for n in range(4):
        assign_deal(ctx, f"d00000{n}", "ben@example.com")
    brevo.fail_next["POST /crm/deals/import"] = [BrevoBadRequest("400: unknown deal_id")]
    report = push_outbox(ctx)
    assert report.requests[PATCH] == 4 and report.dead == 0


def test_an_import_no_pull_confirms_in_time_is_sent_one_by_one() -> None:
    brevo, ctx = setup(5, import_threshold=2, confirm_timeout=timedelta(minutes=10))
    for n in range(4):
        assign_deal(ctx, f"d00000{n}", "ben@example.com")
    assert push_outbox(ctx).requests.get("POST /crm/deals/import") == 1
    brevo.imports.clear()  # Brevo lost the import
    assert push_outbox(ctx).requests == {}  # still within the confirmation timeout
    brevo.tick(601)
    report = push_outbox(ctx)
    assert report.requests == {PATCH: 4}  # one by one, not another import
    assert {d["attributes"]["deal_owner"] for d in brevo.deals[:4]} == {
        brevo.user("ben@example.com")
    }


def test_a_won_deal_grows_its_company_spend_once_even_when_the_patch_is_retried() -> None:
    brevo, ctx = setup()
    brevo.deals[0]["linkedCompaniesIds"] = ["c1"]
    brevo.companies["c1"] = {"annual_spend": 40000}
    brevo.edit("d000000", amount=1000)
    pull(ctx)
    advance_deal(ctx, "d000000", "Qualified")
    advance_deal(ctx, "d000000", "Closed Won")
    brevo.apply_then_fail.add("PATCH /companies/{id}")
    brevo.fail_next["PATCH /companies/{id}"] = [BrevoUnavailable("502 after the write")]
    assert push_outbox(ctx).failed == 1
    brevo.tick(120)
    push_outbox(ctx)
    assert brevo.companies["c1"]["annual_spend"] == 41000  # not 42,000
    assert brevo.companies["c1"]["last_deal_closed"] == brevo.now.date().isoformat()
    assert [r for r in rows(ctx, "pending", "dead") if r.kind == "company_update"] == []
