"""The daemon's shared state on SQLite and PostgreSQL: a job slot claimed by one replica,
its claim expiring, and outbox rows claimed by one push at a time (SKIP LOCKED)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.jobs import Finished
from brevo_sync.domain.outbox import Effect

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_a_job_slot_is_claimed_once_and_a_dead_claim_expires(mirror_engine: Engine) -> None:
    with SqlUnitOfWork(mirror_engine) as uow:
        first = uow.jobs.claim("pull", replica="a", now=T0, until=T0 + MINUTE)
        second = uow.jobs.claim("pull", replica="b", now=T0, until=T0 + MINUTE)
        uow.commit()
    assert first is not None and first.runs == 1 and second is None
    with SqlUnitOfWork(mirror_engine) as uow:  # "a" died: after its claim, "b" takes over
        late = uow.jobs.claim("pull", replica="b", now=T0 + MINUTE, until=T0 + 2 * MINUTE)
        assert late is not None and late.runs == 2
        assert not uow.jobs.extend("pull", replica="a", until=T0 + 3 * MINUTE)
        done = Finished("ok", T0 + 5 * MINUTE, "fine", requests=3, interval=5 * MINUTE)
        assert uow.jobs.release("pull", 2, replica="b", now=T0 + MINUTE, finished=done)
        uow.jobs.hint("pull", T0 + 2 * MINUTE)
        uow.commit()
    with SqlUnitOfWork(mirror_engine) as uow:
        slot = uow.jobs.get("pull")
        runs = uow.jobs.runs_since(T0 - MINUTE)
    assert slot is not None and slot.claimed_by is None and slot.interval_seconds == 300
    assert slot.next_due_at == T0 + 2 * MINUTE  # the hint made it due earlier
    assert [(r.seq, r.replica, r.outcome, r.requests) for r in runs] == [
        (1, "a", None, 0),
        (2, "b", "ok", 3),
    ]


def _queue(engine: Engine, n: int) -> None:
    with SqlUnitOfWork(engine) as uow:
        effects = [
            Effect(key=f"k{i}", kind="update_deal", deal_id=f"d{i}", payload={"attributes": {}})
            for i in range(n)
        ]
        uow.outbox.add(effects, origin="local", now=T0)
        uow.commit()


def test_two_pushes_claim_disjoint_rows(mirror_engine: Engine) -> None:
    _queue(mirror_engine, 6)
    first, second = SqlUnitOfWork(mirror_engine), SqlUnitOfWork(mirror_engine)
    with first, second:
        mine = first.outbox.claim(T0, owner="p1", until=T0 + MINUTE, limit=4)
        if mirror_engine.dialect.name == "postgresql":  # p1 has not committed: rows are locked
            theirs = second.outbox.claim(T0, owner="p2", until=T0 + MINUTE)
            assert [r.key for r in theirs] == ["k4", "k5"]
            second.commit()
        first.commit()
    assert [r.key for r in mine] == ["k0", "k1", "k2", "k3"]
    with SqlUnitOfWork(mirror_engine) as uow:
        left = uow.outbox.claim(T0, owner="p3", until=T0 + MINUTE)
        expected = [] if mirror_engine.dialect.name == "postgresql" else ["k4", "k5"]
        assert [r.key for r in left] == expected
        assert uow.outbox.release_claims("p1") == 4
        assert [r.key for r in uow.outbox.claim(T0, owner="p3", until=T0 + MINUTE)][:4] == [
            "k0",
            "k1",
            "k2",
            "k3",
        ]
        expired = uow.outbox.claim(T0 + MINUTE, owner="p4", until=T0 + 2 * MINUTE)
        assert len(expired) == 6  # every claim above ran out
        uow.commit()
    with mirror_engine.connect() as conn:
        holders = conn.execute(sa.text("SELECT DISTINCT claimed_by FROM outbox")).scalars().all()
    assert holders == ["p4"]
