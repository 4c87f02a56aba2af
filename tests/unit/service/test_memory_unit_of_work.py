"""The in-memory unit of work keeps the port's transaction rules: nothing is seen before
`commit()`, nothing survives leaving without it, and a closed one cannot be used."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from brevo_sync.adapters.memory import MemoryMirror, MemoryUnitOfWork
from brevo_sync.domain.deal import Deal, DealAttribute, Pipeline, Stage
from brevo_sync.domain.moves import MirroredDeal
from brevo_sync.domain.rules.events import StageChanged
from brevo_sync.domain.runs import RunResult
from brevo_sync.domain.sync import SyncState

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


def deal(deal_id: str, **kw: object) -> Deal:
    fields: dict[str, object] = {
        "id": deal_id, "name": f"Deal {deal_id}", "pipeline_id": "p1", "stage_id": "s1",
        "amount": Decimal("1200.50"), "currency": "EUR", "close_date": date(2026, 4, 1),
        "created_at": NOW, "updated_at": NOW, "attributes": {"deal_name": f"Deal {deal_id}"},
        "contact_ids": (1, 2), "company_ids": ("c1",), **kw,
    }  # fmt: skip
    return Deal(**fields)  # type: ignore[arg-type]


def test_writes_are_seen_inside_and_only_after_commit_outside(mirror: MemoryMirror) -> None:
    with MemoryUnitOfWork(mirror) as writer, MemoryUnitOfWork(mirror) as reader:
        writer.deals.upsert([deal("a")], NOW)
        assert set(writer.deals.mirrored(["a"])) == {"a"}  # its own write
        assert reader.deals.mirrored(["a"]) == {}  # not committed: invisible to others
        writer.commit()
        assert set(reader.deals.mirrored(["a"])) == {"a"}


def test_leaving_without_commit_drops_every_write(mirror: MemoryMirror) -> None:
    with MemoryUnitOfWork(mirror) as uow:
        uow.deals.upsert([deal("a")], NOW)
        run_id = uow.runs.start("pull", NOW, None)
        uow.sync.save(SyncState(cursor=NOW))
        uow.catalog.replace([Pipeline("p1", "Sales", (Stage("s1", "Lead", 0),))], [], NOW)
    with MemoryUnitOfWork(mirror) as uow:
        assert uow.deals.mirrored(["a"]) == {}
        assert uow.runs.running() == [] and uow.sync.get() == SyncState()
        assert uow.catalog.pipelines() == []
        assert uow.runs.start("pull", NOW, None) > run_id  # ids are never handed out twice


def test_writes_after_a_commit_need_their_own(mirror: MemoryMirror) -> None:
    with MemoryUnitOfWork(mirror) as uow:
        uow.deals.upsert([deal("a")], NOW)
        uow.commit()
        uow.deals.upsert([deal("b")], NOW)
        uow.rollback()
        assert set(uow.deals.mirrored(["a", "b"])) == {"a"}
        uow.deals.upsert([deal("c")], NOW)
    with MemoryUnitOfWork(mirror) as uow:
        assert set(uow.deals.mirrored(["a", "b", "c"])) == {"a"}


def test_a_unit_of_work_is_not_reentrant_nor_usable_once_left(mirror: MemoryMirror) -> None:
    uow = MemoryUnitOfWork(mirror)
    with uow:
        deals = uow.deals
        with pytest.raises(RuntimeError, match="not reentrant"), uow:
            pass  # pragma: no cover - never reached
    with pytest.raises(RuntimeError, match="closed"):
        deals.mirrored(["a"])
    with pytest.raises(RuntimeError, match="outside"):
        uow.commit()
    with uow:  # and it can be opened again
        assert uow.deals.mirrored(["a"]) == {}


def test_deals_come_back_as_stored_and_an_upsert_revives_a_tombstone(
    mirror: MemoryMirror,
) -> None:
    stored = deal("a", stage_updated_at=datetime(2026, 2, 1, 10, 0, tzinfo=PARIS))
    with MemoryUnitOfWork(mirror) as uow:
        uow.deals.upsert([stored], NOW)
        uow.commit()
    mirror.tombstone("a", NOW)
    with MemoryUnitOfWork(mirror) as uow:
        assert uow.deals.mirrored(["a"]) == {"a": MirroredDeal("p1", "s1", NOW, True)}
        back = uow.deals.get(["a", "nope"])["a"]
        assert back == stored and back.stage_updated_at.tzinfo is UTC  # type: ignore[union-attr]
        back.attributes["changed"] = True  # a copy: the mirror is not touched
        assert "changed" not in uow.deals.get(["a"])["a"].attributes
        uow.deals.upsert([deal("a", stage_id="s2")], NOW)
        assert uow.deals.mirrored(["a"]) == {"a": MirroredDeal("p1", "s2", NOW, False)}
    with pytest.raises(ValueError, match="naive"), MemoryUnitOfWork(mirror) as uow:
        uow.deals.upsert([deal("b", created_at=datetime(2026, 1, 1))], NOW)


def test_the_catalogue_keeps_its_attributes_when_given_none(mirror: MemoryMirror) -> None:
    sales = Pipeline("p1", "Sales", (Stage("s2", "Won", 1), Stage("s1", "Lead", 0)), 1)
    other = Pipeline("p0", "Other", (), 0)
    attribute = DealAttribute("amount", "Amount", "number")
    with MemoryUnitOfWork(mirror) as uow:
        assert uow.deals.defer_indexes() is False
        uow.catalog.replace([sales, other], [attribute], NOW)
        uow.catalog.replace([sales], None, NOW)  # what vanished from Brevo goes
        uow.commit()
        (kept,) = uow.catalog.pipelines()
    assert [s.id for s in kept.stages] == ["s1", "s2"]  # by position
    assert mirror.attributes() == [attribute]


def test_events_are_recorded_once_by_key(mirror: MemoryMirror) -> None:
    moved = StageChanged("k1", "a", "p1", "s1", "s2", NOW, None, "observed")
    later = StageChanged("k2", "a", "p1", "s2", "s3", NOW, None, "observed")
    with MemoryUnitOfWork(mirror) as uow:
        assert uow.events.record([moved, moved], origin="pull", now=NOW) == 1
        assert uow.events.record([moved, later], origin="pull", now=NOW) == 1
        assert uow.events.record([], origin="pull", now=NOW) == 0
        assert uow.events.pending() == [("k1", "StageChanged", "a"), ("k2", "StageChanged", "a")]
        assert uow.events.pending(limit=1) == [("k1", "StageChanged", "a")]


def test_runs_and_spending(mirror: MemoryMirror) -> None:
    with MemoryUnitOfWork(mirror) as uow:
        old = uow.runs.start("pull", NOW - timedelta(hours=2), 7)
        uow.runs.finish(old, RunResult("ok", NOW - timedelta(hours=2), {"GET /crm/deals": 3}))
        idle = uow.runs.start("sweep", NOW - timedelta(minutes=5), 7)
        uow.runs.finish(idle, RunResult("ok", NOW, {}))
        busy = uow.runs.start("pull", NOW, 8)
        uow.runs.finish(404, RunResult("ok", NOW))  # no such run: nothing happens
        assert [r.id for r in uow.runs.running()] == [busy]
        assert uow.runs.spent_since(NOW - timedelta(hours=3)) == [(NOW - timedelta(hours=2), 3)]
        assert uow.runs.spent_since(NOW - timedelta(hours=1)) == []
        status = uow.queries.status(NOW)
    assert status.last_run is not None and status.last_run.id == idle
    assert (status.requests_total, status.requests_last_hour) == (3, 0)
