"""Benchmark: pushing 1,000 stage moves (on 500 deals, two each) and 200 order deals to the
sandbox over loopback HTTP, three ways, each on a fresh sandbox and mirror:

- one by one: `brevo_sync.service.push.push_outbox` as `brevo-sync push` runs it, with the
  import threshold out of reach: moves of one deal coalesced into one PATCH, one POST per deal;
- with the import path: the same, threshold 20 (Brevo's bulk import, one request per batch
  of 500 rows; the rows are confirmed by the pull that follows, counted too);
- naive: one SDK call per change (`deals.update_a_deal` per move, `deals.create_a_deal` per
  order), no coalescing, as a home-made script would.

Every way sends the same changes; the sandbox counts the requests. Prints requests and wall
time, and the verdicts: with the import path at least 10x fewer requests than naive; the
one-by-one way no more than one request per deal touched.

    python bench/push_bench.py                  # 1,000 moves + 200 orders (about a minute)
    python bench/push_bench.py --moves 100 --orders 20    # a quick smoke run
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from brevo_sync.sandbox import SandboxServer, SandboxState

API_KEY = "bench-key"


def _state(deals: int) -> SandboxState:
    state = SandboxState.seeded(seed=3, deals=deals, api_key=API_KEY)
    state.imports.delay_seconds = 0
    return state


def _moves(state: SandboxState, moves: int) -> list[tuple[str, dict[str, Any]]]:
    """(deal id, attributes) of each move: two per deal, to another open stage and back on."""
    out: list[tuple[str, dict[str, Any]]] = []
    deals = state.deals_snapshot()
    for deal in deals[: moves // 2]:
        attributes = deal["attributes"]
        pipeline = attributes["pipeline"]
        stages = _stage_ids(state, pipeline)
        here = stages.index(attributes["deal_stage"]) if attributes["deal_stage"] in stages else 0
        for step in (1, 2):
            stage = stages[(here + step) % len(stages)]
            out.append(
                (
                    str(deal["id"]),
                    {"pipeline": pipeline, "deal_stage": stage, "probability": 10 * step},
                )
            )
    return out


def _stage_ids(state: SandboxState, pipeline_id: str) -> list[str]:
    for name in ("Enterprise Sales", "E-Commerce Upsell", "Renewals", "Opportunity Pipeline"):
        p = state.pipeline(name)
        if p.id == pipeline_id:
            return [s.id for s in p.stages]
    raise KeyError(pipeline_id)


def _orders(orders: int) -> list[dict[str, Any]]:
    return [
        {"name": f"Bench customer {i} - Order #B{i}", "attributes": {"amount": 5000 + i}}
        for i in range(orders)
    ]


def ours(moves: int, orders: int, threshold: int, awards: int = 0) -> dict[str, Any]:
    from brevo_sync.bootstrap import Container
    from brevo_sync.config import load_settings
    from brevo_sync.domain.rules.events import (
        CreateDealRequested,
        LoyaltyPointsAwarded,
        UpdateDealRequested,
    )
    from brevo_sync.service.outbox import queue_decisions
    from brevo_sync.service.pull import pull_deals
    from brevo_sync.service.push import push_outbox

    state = _state(max(600, moves))
    with SandboxServer(state) as sandbox, tempfile.TemporaryDirectory() as tmp:
        from brevo_sync.sandbox.loyalty import LOYALTY_BALANCE_DEFINITION_ID, LOYALTY_PROGRAM_ID

        settings = load_settings(
            api_key=API_KEY,
            base_url=sandbox.base_url,
            database_url=f"sqlite:///{Path(tmp) / 'mirror.db'}",
            import_threshold=threshold,
            loyalty_program_id=LOYALTY_PROGRAM_ID,
            loyalty_balance_id=LOYALTY_BALANCE_DEFINITION_ID,
            log_level="WARNING",
        )
        container = Container(settings=settings)
        ctx = container.context
        pull_deals(ctx, full=True, sweep=False)
        changes = _moves(state, moves)
        events: list[Any] = [
            UpdateDealRequested(f"bench:move:{n}", deal, attrs)
            for n, (deal, attrs) in enumerate(changes)
        ]
        pipeline = state.pipeline("E-Commerce Upsell")
        for i, order in enumerate(_orders(orders)):
            events.append(
                CreateDealRequested(
                    key=f"bench:order:{i}",
                    name=order["name"],
                    pipeline="E-Commerce Upsell",
                    stage=pipeline.stages[0].name,
                    pipeline_id=pipeline.id,
                    stage_id=pipeline.stages[0].id,
                    attributes=dict(order["attributes"]),
                )
            )
        with_contacts = [d for d in state.deals_snapshot() if d["linkedContactsIds"]]
        for i, deal in enumerate(with_contacts[:awards]):
            events.append(
                LoyaltyPointsAwarded(
                    f"bench:award:{i}",
                    str(deal["id"]),
                    "contact",
                    str(deal["linkedContactsIds"][0]),
                    100,
                    "Deal milestone: Demo",
                )
            )
        with ctx.uow() as uow:
            queue_decisions(ctx, uow, events, origin="bench")
            uow.commit()
        state.stats.reset()
        started = time.perf_counter()
        report = push_outbox(ctx)
        confirm = 0
        if report.unconfirmed:
            before = state.stats.snapshot()["total"]
            pull_deals(ctx, sweep=False)
            confirm = state.stats.snapshot()["total"] - before
        seconds = time.perf_counter() - started
        with ctx.uow() as uow:
            counts = uow.outbox.counts()
        container.close()
        total = state.stats.snapshot()["total"]
        _check_remote(state, changes, orders)
    return {
        "requests": total,
        "confirm_requests": confirm,
        "by_endpoint": report.requests,
        "seconds": seconds,
        "outbox": counts,
    }


def naive(moves: int, orders: int) -> dict[str, Any]:
    import brevo

    state = _state(max(600, moves))
    with SandboxServer(state) as sandbox:
        client = brevo.Brevo(api_key=API_KEY, base_url=sandbox.base_url)
        changes = _moves(state, moves)
        pipeline = state.pipeline("E-Commerce Upsell")
        state.stats.reset()
        started = time.perf_counter()
        for deal, attrs in changes:
            client.deals.update_a_deal(deal, attributes=attrs)
        for order in _orders(orders):
            client.deals.create_a_deal(
                name=order["name"],
                attributes={
                    **order["attributes"],
                    "pipeline": pipeline.id,
                    "deal_stage": pipeline.stages[0].id,
                },
            )
        seconds = time.perf_counter() - started
        total = state.stats.snapshot()["total"]
        _check_remote(state, changes, orders)
    return {"requests": total, "seconds": seconds}


def _check_remote(
    state: SandboxState, changes: list[tuple[str, dict[str, Any]]], orders: int
) -> None:
    """Every way must leave Brevo the same: the last move of each deal, every order once."""
    final = {deal: attrs["deal_stage"] for deal, attrs in changes}
    remote = {d["id"]: d["attributes"] for d in state.deals_snapshot()}
    wrong = [d for d, stage in final.items() if remote[d]["deal_stage"] != stage]
    assert not wrong, f"{len(wrong)} deals not at their last stage"
    made = [a for a in remote.values() if str(a.get("deal_name", "")).startswith("Bench customer")]
    assert len(made) == orders, f"{len(made)} order deals, expected {orders}"


def main() -> None:
    from brevo_sync.logs import configure_logging

    configure_logging("WARNING", "console")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument(
        "--day", action="store_true", help="A typical day: 200 moves, 50 orders, 20 awards."
    )
    args = parser.parse_args()
    if args.day:
        for name, threshold in (("one by one", 10**9), ("import path", 20)):
            result = ours(200, 50, threshold, awards=20)
            print(f"typical day, {name}: {result['requests']} requests", result["by_endpoint"])
        return
    m, o = args.moves, args.orders
    single = ours(m, o, threshold=10**9)
    imported = ours(m, o, threshold=20)
    baseline = naive(m, o)
    deals = m // 2 + o
    print(f"push of {m:,} stage moves on {m // 2:,} deals and {o:,} order deals")
    for name, result in (("one by one", single), ("import path", imported), ("naive", baseline)):
        print(
            f"  {name:<12} {result['requests']:>6,} requests  {result['seconds']:6.2f} s"
            + (f"  {result.get('by_endpoint')}" if "by_endpoint" in result else "")
        )
    print(
        f"  (import path: {imported['confirm_requests']} of its requests are the confirming pull)"
    )
    ratio = baseline["requests"] / max(1, imported["requests"])
    print(
        f"fewer requests than naive: one by one {baseline['requests'] / single['requests']:.1f}x, "
        f"import path {ratio:.1f}x"
    )
    ok_import = ratio >= 10
    ok_single = single["requests"] <= deals + 10  # + the custom attributes created once
    print(
        f"RESULT: {'PASS' if ok_import and ok_single else 'FAIL'} "
        f"(import path >= 10x fewer: {ok_import}; one by one <= one request per deal: {ok_single})"
    )


if __name__ == "__main__":
    main()
