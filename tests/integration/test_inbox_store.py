"""The inbox on SQLite and PostgreSQL: the same delivery (or order) recorded by many
connections at once is one row; concurrent workers never claim the same row; the repository
answers as its in-memory twin does."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.memory import MemoryMirror, MemoryUnitOfWork
from brevo_sync.adapters.store.tables import inbox
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.inbox import Delivery, InboxFilter
from brevo_sync.service.ports import UnitOfWork

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LEASE = NOW + timedelta(minutes=5)


def order(n: int, *, sent: str | None = None, dedupe: str | None = None) -> Delivery:
    return Delivery(
        route="orders",
        kind="order",
        payload={"id": str(n), "amount": "7200"},
        headers={"user-agent": "test"},
        delivery_key=sent,
        dedupe_key=dedupe if dedupe is not None else f"order:default:{n}",
    )


def _all_at_once(n: int, work: Callable[[int], object]) -> list[object]:
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_the_same_delivery_from_many_connections_at_once_is_one_row(
    mirror_engine: Engine,
) -> None:
    def add(i: int) -> tuple[int, bool]:
        # Half repeat the delivery id, half the order through another route; some in a
        # group commit with other orders.
        sent = "shopify:w1" if i % 2 == 0 else f"orders:own-{i}"
        with SqlUnitOfWork(mirror_engine) as uow:
            if i % 3 == 0:
                result = uow.inbox.add_many([order(100 + i), order(1, sent=sent)], NOW)[1]
            else:
                result = uow.inbox.add(order(1, sent=sent), NOW)
            uow.commit()
            return result

    results = _all_at_once(8, add)
    new = [r for r in results if r[1]]  # type: ignore[index]
    assert len(new) == 1
    assert {r[0] for r in results} == {new[0][0]}  # type: ignore[index]
    with mirror_engine.connect() as conn:
        ones = (
            sa.select(sa.func.count())
            .select_from(inbox)
            .where(inbox.c.payload["id"].as_string() == "1")
        )
        assert conn.scalar(ones) == 1


def test_concurrent_workers_never_claim_the_same_row(mirror_engine: Engine) -> None:
    with SqlUnitOfWork(mirror_engine) as uow:
        for n in range(60):
            uow.inbox.add(order(n), NOW)
        uow.commit()

    def claim_all(_: int) -> list[int]:
        taken: list[int] = []
        while True:
            with SqlUnitOfWork(mirror_engine) as uow:
                rows = uow.inbox.claim(("order",), NOW, lease_until=LEASE, limit=7)
                uow.commit()
            if not rows:
                return taken
            taken += [r.id for r in rows]

    results = _all_at_once(4, claim_all)
    claimed = [i for r in results for i in r]  # type: ignore[attr-defined]
    assert len(claimed) == 60 and len(set(claimed)) == 60
    with SqlUnitOfWork(mirror_engine) as uow:
        assert {r.attempts for r in uow.inbox.find(InboxFilter(limit=None))} == {1}


def _lifecycle(uow: UnitOfWork) -> list[object]:
    """The same steps on any unit of work; what each answered (ids as first seen, since a
    PostgreSQL sequence also spends ids on inserts that conflicted)."""
    seen: list[object] = []
    names: dict[int, int] = {}

    def n(row_id: int | None) -> int | None:
        return None if row_id is None else names.setdefault(row_id, len(names) + 1)

    box = uow.inbox
    for delivery in (
        order(1, sent="orders:a"),
        order(1, sent="orders:a"),  # the delivery again
        order(1, sent="shopify:b"),  # the order again, through another route
        order(2),
        Delivery("brevo", "brevo_hint", {"e": 1}),
        Delivery("brevo", "brevo_hint", {"e": 2}),  # no keys: both kept
    ):
        row_id, new = box.add(delivery, NOW)
        seen.append((n(row_id), new))
    newest = box.newest_pending("brevo_hint")
    assert newest is not None
    seen.append(n(newest))
    claimed = box.claim(("order", "subscription"), NOW, lease_until=LEASE, limit=10)
    seen.append([(n(r.id), r.attempts, r.next_attempt_at) for r in claimed])
    seen.append(box.claim(("order",), NOW, lease_until=LEASE, limit=10))  # leased: none due
    seen.append(box.finish({claimed[0].id: "deal queued"}, NOW))
    seen.append(box.finish({claimed[0].id: "again"}, NOW))  # done already: nothing changes
    box.fail(claimed[1].id, error="no pipelines", retry_at=NOW + timedelta(seconds=5))
    again = box.claim(("order",), NOW + timedelta(seconds=5), lease_until=LEASE, limit=10)
    seen.append([(n(r.id), r.attempts) for r in again])
    box.fail(claimed[1].id, error="still none", retry_at=None)
    seen.append(box.finish_pending("brevo_hint", up_to=newest - 1, outcome="pulled", now=NOW))
    seen.append(box.counts())
    seen.append(box.retry([claimed[0].id, claimed[1].id], NOW))  # the done one is not retried
    got = box.get(claimed[1].id)
    assert got is not None
    seen.append((got.state, got.attempts, got.last_error, got.payload, got.headers))
    seen.append([(n(r.id), r.state, r.outcome) for r in box.find(InboxFilter(limit=None))])
    seen.append([n(r.id) for r in box.find(InboxFilter(states=("done",), kinds=("order",)))])
    seen.append(box.get(10_000))
    batch = box.add_many(
        [
            order(3, sent="orders:c"),  # new
            order(1, sent="orders:z"),  # the order of row 1 again
            order(3, sent="shopify:c"),  # the first of this batch again
            Delivery("brevo", "brevo_hint", {"e": 3}),
            order(4, sent="orders:a"),  # a new order, but row 1's delivery id: a repeat
            Delivery("brevo", "brevo_hint", {"e": 4}),
            order(5, sent="orders:e"),
        ],
        NOW,
    )
    seen.append([(n(row_id), new) for row_id, new in batch])
    return seen


def test_sql_and_memory_inboxes_answer_alike(mirror_engine: Engine) -> None:
    with SqlUnitOfWork(mirror_engine) as sql:
        in_sql = _lifecycle(sql)
        sql.commit()
    with MemoryUnitOfWork(MemoryMirror()) as memory:
        in_memory = _lifecycle(memory)
    assert in_sql == in_memory
    assert in_sql[:6] == [(1, True), (1, False), (1, False), (2, True), (3, True), (4, True)]
