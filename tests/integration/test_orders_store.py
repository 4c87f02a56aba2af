"""Orders on SQLite and PostgreSQL: the same order recorded at the same moment by two
connections is one row and one deal; the repository answers as its in-memory twin does."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.memory import MemoryMirror, MemoryUnitOfWork
from brevo_sync.adapters.store.tables import orders, outbox
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.order_intake import OrderRecord
from brevo_sync.domain.orders import ReceivedOrder, parse_order
from brevo_sync.service.orders import receive_orders
from brevo_sync.service.ports import UnitOfWork
from tests.contexts import sql_context
from tests.fakes import FakeBrevo
from tests.unit.service.support import pull
from tests.unit.service.test_orders import PIPELINES

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def record(order_id: str = "1001", **changes: object) -> OrderRecord:
    fields: dict[str, object] = {
        "shop": "eu",
        "order_id": order_id,
        "kind": "order",
        "payload": {"id": order_id},
        "source": "file:a-file-name-much-longer-than-the-column-holds.jsonl",
        "received_at": NOW,
        "decision": "deal",
        "reason": "order of 7200 EUR",
        "deal_key": f"order:eu:{order_id}",
        **changes,
    }
    return OrderRecord(**fields)  # type: ignore[arg-type]


def subscription(order_id: str, expires: datetime, decision: str = "waiting") -> OrderRecord:
    return record(
        order_id,
        kind="subscription",
        decision=decision,
        deal_key=None,
        expires_at=expires,
        renewal_due_at=expires - timedelta(days=90),
    )


def test_a_second_connection_inserting_the_same_order_waits_and_records_nothing(
    mirror_engine: Engine,
) -> None:
    second: list[bool] = []

    def insert_again() -> None:
        with SqlUnitOfWork(mirror_engine) as uow:
            second.append(uow.orders.insert_if_new(record()))
            uow.commit()

    with SqlUnitOfWork(mirror_engine) as first:
        assert first.orders.insert_if_new(record())
        thread = threading.Thread(target=insert_again)
        thread.start()
        thread.join(0.3)
        assert thread.is_alive()  # held behind the first transaction's row (or write lock)
        first.commit()
    thread.join(15)
    assert second == [False]
    with mirror_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar() == 1


def test_two_imports_of_the_same_orders_at_once_make_one_deal_each(
    mirror_engine: Engine,
) -> None:
    """Two files holding the same orders in opposite order, imported at the same moment
    (rows are written in (shop, id) order: no deadlock on PostgreSQL)."""
    brevo = FakeBrevo()
    brevo.pipelines += PIPELINES
    ctx = sql_context(mirror_engine, brevo)
    pull(ctx, full=True)
    orders_ = [
        parse_order(
            {"id": i, "created_at": "2026-05-01", "amount": 9000, "customer": {"name": "A"}},
            default_currency="EUR",
        )
        for i in ("1001", "1002", "1003")
    ]
    start = threading.Barrier(2)
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def receive(batch: list[ReceivedOrder]) -> None:
        start.wait()
        try:
            report = receive_orders(ctx, batch, source="webhook")
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)
            return
        outcomes.extend(o.outcome for o in report.outcomes)

    threads = [
        threading.Thread(target=receive, args=(batch,))
        for batch in (orders_, list(reversed(orders_)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert sorted(outcomes) == ["already_received"] * 3 + ["deal"] * 3
    with mirror_engine.connect() as conn:
        keys = conn.execute(sa.select(outbox.c.key).where(outbox.c.origin == "orders")).all()
        assert sorted(k for (k,) in keys) == [
            f"order:default:{i}" for i in ("1001", "1002", "1003")
        ]


def _scenario(uow_of: Callable[[], UnitOfWork]) -> dict[str, object]:
    """The same steps on any unit of work; what each step answered."""
    seen: dict[str, object] = {}
    with uow_of() as uow:
        uow.deals.upsert(
            [
                Deal("d1", owner="u1", attributes={"email": " Ann@Acme.TEST"}, contact_ids=(12,)),
                Deal("d2", owner="u2", contact_ids=(1,), company_ids=("c_9",)),
                Deal("d3", owner=None, contact_ids=(1,)),  # nobody's: not a seller's lead
                Deal("d4", owner="u4", company_ids=("c%9",)),
                Deal("d5", owner="u5", contact_ids=(1,)),
            ],
            NOW,
        )
        uow.reconcile.tombstone(["d5"], NOW)
        uow.commit()
    with uow_of() as uow:
        seen["new"] = uow.orders.insert_if_new(record())
        seen["again"] = uow.orders.insert_if_new(record(reason="other"))
        due = NOW + timedelta(days=90)
        uow.orders.insert_if_new(subscription("s-due", due))
        uow.orders.insert_if_new(subscription("s-later", due + timedelta(days=30)))
        uow.orders.insert_if_new(subscription("s-done", due, decision="deal"))
        uow.commit()
    with uow_of() as uow:
        got = uow.orders.get("eu", "1001")
        seen["get"] = None if got is None else (got.source, got.reason, got.received_at)
        seen["due"] = [r.order_id for r in uow.orders.due_renewals(NOW)]
        seen["upcoming"] = [r.order_id for r in uow.orders.upcoming_renewals()]
        seen["claimed"] = uow.orders.mark_renewed("eu", "s-due", deal_key="k", reason="r")
        seen["claimed_twice"] = uow.orders.mark_renewed("eu", "s-due", deal_key="k", reason="r")
        seen["not_later"] = uow.orders.extend_subscription(subscription("s-later", due))
        later = subscription("s-later", due + timedelta(days=400))
        seen["later"] = uow.orders.extend_subscription(later)
        seen["order_is_no_subscription"] = uow.orders.extend_subscription(
            record(expires_at=due + timedelta(days=999))
        )
        uow.commit()
    with uow_of() as uow:
        s = uow.orders.get("eu", "s-later")
        seen["extended"] = None if s is None else (s.expires_at, s.renewal_due_at)
        seen["due_after"] = [r.order_id for r in uow.orders.due_renewals(NOW + timedelta(days=9))]
        keys = ["email:ann@acme.test", "contact:1", "company:c%9"]
        seen["customers"] = [d.id for d in uow.orders.customer_deals(keys)]
        seen["company_underscore"] = [d.id for d in uow.orders.customer_deals(["company:c_9"])]
    return seen


def test_the_repository_answers_as_its_memory_twin(mirror_engine: Engine) -> None:
    sql = _scenario(lambda: SqlUnitOfWork(mirror_engine))
    mirror = MemoryMirror()
    memory = _scenario(lambda: MemoryUnitOfWork(mirror))
    assert sql == memory
    due = NOW + timedelta(days=90)
    assert sql["get"] == ("file:a-fil…he-column-holds.jsonl", "order of 7200 EUR", NOW)
    assert (sql["new"], sql["again"]) == (True, False)
    assert (sql["due"], sql["upcoming"]) == (["s-due"], ["s-due", "s-later"])
    assert (sql["claimed"], sql["claimed_twice"]) == (True, False)
    assert (sql["not_later"], sql["later"], sql["order_is_no_subscription"]) == (
        False,
        True,
        False,
    )
    expiry = due + timedelta(days=400)
    assert sql["extended"] == (expiry, expiry - timedelta(days=90))
    assert sql["due_after"] == []
    assert sql["customers"] == ["d1", "d2", "d4"]
    assert sql["company_underscore"] == ["d2"]
