"""The pull use case on real databases (SQLite and PostgreSQL) against the in-memory Brevo,
through the services and the SQL unit of work, as the CLI runs it."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.tables import (
    SWEEP_INDEXES,
    deals,
    quarantine,
    rule_events,
    runs,
    stage_history,
    stages,
)
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.errors import BrevoError, BrevoUnavailable
from brevo_sync.service.pull import PullReport, expected_full_pull_requests, pull_deals
from brevo_sync.service.sweep import run_sweep
from tests.contexts import sql_context
from tests.fakes import FakeBrevo

PAGE = 10


def run(brevo: FakeBrevo, engine: Engine, *, full: bool = False, page: int = PAGE) -> PullReport:
    return pull_deals(sql_context(engine, brevo, page=page), full=full, sweep=False)


def mirrored(engine: Engine) -> dict[str, tuple[str | None, float | None]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(deals.c.id, deals.c.stage_id, deals.c.amount))
        return {r.id: (r.stage_id, r.amount) for r in rows}


def remote(brevo: FakeBrevo) -> dict[str, tuple[str | None, float | None]]:
    return {
        d["id"]: (d["attributes"]["deal_stage"], d["attributes"]["amount"]) for d in brevo.deals
    }


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11, 100, 105])
def test_full_pull_mirrors_every_deal_within_the_request_bound(
    mirror_engine: Engine, n: int
) -> None:
    brevo = FakeBrevo()
    brevo.add(n)
    report = run(brevo, mirror_engine)
    assert mirrored(mirror_engine) == remote(brevo)
    assert report.full and report.deals_written == n
    assert report.requests_total <= expected_full_pull_requests(n, PAGE)
    # One more list call while the account has not shown a full page: a short first page
    # may be a page the server cut (BREVO_SYNC_PAGE_SIZE above what it gives).
    unproven = 1 if 0 < n < PAGE else 0
    assert report.requests["GET /crm/deals"] == math.floor(n / PAGE) + 1 + unproven
    assert report.requests["GET /crm/pipeline/details/all"] == 1
    assert report.requests["GET /crm/attributes/deals"] == 1


def test_incremental_pull_without_changes_spends_one_request(mirror_engine: Engine) -> None:
    brevo = FakeBrevo()
    brevo.add(35)
    run(brevo, mirror_engine)
    brevo.tick(60)
    report = run(brevo, mirror_engine)
    assert report.requests == {"GET /crm/deals": 1}
    assert report.deals_written == 0 and not report.full


@pytest.mark.parametrize("k", [1, 5, 9, 10, 25])
def test_incremental_pull_with_k_changes_stays_within_its_bound(
    mirror_engine: Engine, k: int
) -> None:
    brevo = FakeBrevo()
    ids = brevo.add(40)
    run(brevo, mirror_engine)
    brevo.tick(60)
    for deal_id in ids[:k]:
        brevo.edit(deal_id, amount=5000.0)
    report = run(brevo, mirror_engine)
    assert report.requests_total <= math.ceil((k + 1) / PAGE) + 1
    assert set(report.requests) == {"GET /crm/deals"}
    assert report.deals_written == k
    assert mirrored(mirror_engine) == remote(brevo)


def test_stage_change_between_pulls_is_written_to_history_with_brevos_time(
    mirror_engine: Engine,
) -> None:
    brevo = FakeBrevo()
    (deal_id,) = brevo.add(1)
    run(brevo, mirror_engine)
    brevo.tick(3600)
    brevo.edit(deal_id, deal_stage="s-qual")
    moved_at = brevo.now
    report = run(brevo, mirror_engine)
    assert report.stage_changes == 1
    with mirror_engine.connect() as conn:
        history = conn.execute(sa.select(stage_history).order_by(stage_history.c.id)).all()
    assert [(h.from_stage_id, h.to_stage_id) for h in history] == [
        (None, "s-lead"),
        ("s-lead", "s-qual"),
    ]
    assert history[1].changed_at == moved_at
    assert history[1].source == "pull"


def test_a_move_is_decided_by_the_rules_once(mirror_engine: Engine) -> None:
    brevo = FakeBrevo()
    (deal_id,) = brevo.add(1)
    first = run(brevo, mirror_engine)
    assert first.decisions == 0  # a deal seen for the first time was not moved now
    brevo.tick(3600)
    brevo.edit(deal_id, deal_stage="s-won")
    moved = run(brevo, mirror_engine)
    with mirror_engine.connect() as conn:
        kinds = sorted(conn.execute(sa.select(rule_events.c.kind)).scalars())
    assert moved.decisions == len(kinds) > 0
    # Enterprise Sales' Closed Won: onboarding, a loyalty milestone and the write-back.
    assert {"StageChanged", "OnboardingRequested", "UpdateDealRequested"} <= set(kinds)
    brevo.tick(30)
    again = run(brevo, mirror_engine)  # the overlap re-reads the moved deal
    assert again.decisions == 0 and again.stage_changes == 0
    full = run(brevo, mirror_engine, full=True)
    assert full.decisions == 0 and full.stage_changes == 0
    with mirror_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rule_events)).scalar() == len(
            kinds
        )


def test_bad_record_is_quarantined_and_the_pull_goes_on(mirror_engine: Engine) -> None:
    brevo = FakeBrevo()
    brevo.add(3)
    brevo.deals[1]["attributes"]["amount"] = "lots"
    report = run(brevo, mirror_engine)
    assert report.quarantined == 1 and report.deals_written == 2
    with mirror_engine.connect() as conn:
        (bad,) = conn.execute(sa.select(quarantine)).all()
    assert bad.record_id == brevo.deals[1]["id"]
    assert "amount" in bad.reason and "lots" in bad.reason
    assert bad.raw["attributes"]["amount"] == "lots"


def deal_indexes(engine: Engine) -> set[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deals' "
        "AND sql IS NOT NULL"
        if engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE tablename = 'deals' "
        "AND schemaname = current_schema() AND indexname <> 'pk_deals'"
    )
    with engine.connect() as conn:
        return set(conn.exec_driver_sql(query).scalars())


def test_crash_mid_pull_resumes_without_rereading_or_losing(mirror_engine: Engine) -> None:
    expected_indexes = {ix.name for ix in deals.indexes}
    assert deal_indexes(mirror_engine) == expected_indexes
    brevo = FakeBrevo()
    brevo.add(95)
    brevo.fail_on_call = 4  # pages 1-3 commit, the 4th request fails
    with pytest.raises(BrevoUnavailable):
        run(brevo, mirror_engine)
    assert len(mirrored(mirror_engine)) == 30
    assert deal_indexes(mirror_engine) == set()  # a first full read builds them at its end
    brevo.fail_on_call = None
    report = run(brevo, mirror_engine)
    assert report.resumed and report.full
    assert report.requests == {"GET /crm/deals": 7}  # offsets 30..90 then the short page
    with mirror_engine.connect() as conn:
        outcomes = conn.execute(sa.select(runs.c.outcome, runs.c.requests).order_by(runs.c.id))
        assert [tuple(o) for o in outcomes] == [
            ("failed", {"GET /crm/deals": 4, "GET /crm/pipeline/details/all": 1,
                        "GET /crm/attributes/deals": 1}),
            ("ok", {"GET /crm/deals": 7}),
        ]  # fmt: skip
    assert report.deals_read == 65
    assert mirrored(mirror_engine) == remote(brevo)
    sweep_indexes = {ix.name for ix in SWEEP_INDEXES}
    assert deal_indexes(mirror_engine) == expected_indexes - sweep_indexes
    run_sweep(sql_context(mirror_engine, brevo))  # the first sweep builds its own
    assert deal_indexes(mirror_engine) == expected_indexes


def test_edits_during_a_run_are_caught_by_the_next_run(mirror_engine: Engine) -> None:
    """A deal edited behind the read offset keeps its place; the cursor is held at the
    server clock of the run's start, so the next pull reads the edit."""
    brevo = FakeBrevo()
    ids = brevo.add(30)
    brevo.fail_on_call = 2
    with pytest.raises(BrevoUnavailable):
        run(brevo, mirror_engine)
    brevo.edit(ids[0], amount=77.0)  # already read, behind the offset
    brevo.tick(60)  # well past the overlap window
    brevo.edit(ids[29], amount=88.0)  # not read yet: the run will see this newer edit
    brevo.fail_on_call = None
    run(brevo, mirror_engine)
    brevo.tick(30)
    run(brevo, mirror_engine)
    assert mirrored(mirror_engine)[ids[0]] == ("s-lead", 77.0)
    assert mirrored(mirror_engine)[ids[29]] == ("s-lead", 88.0)
    assert mirrored(mirror_engine) == remote(brevo)


def test_unknown_stage_refreshes_pipelines_once(mirror_engine: Engine) -> None:
    brevo = FakeBrevo()
    deal_id, *_ = brevo.add(PAGE + 2)  # a full page proves the page size: no extra request
    run(brevo, mirror_engine)
    brevo.pipelines[0]["stages"].append({"id": "s-demo", "name": "Demo"})
    brevo.tick(10)
    brevo.edit(deal_id, deal_stage="s-demo")
    report = run(brevo, mirror_engine)
    assert report.requests == {"GET /crm/deals": 1, "GET /crm/pipeline/details/all": 1}
    with mirror_engine.connect() as conn:
        assert "s-demo" in set(conn.execute(sa.select(stages.c.id)).scalars())


def test_unknown_pipeline_refreshes_the_catalogue_too(mirror_engine: Engine) -> None:
    brevo = FakeBrevo()
    deal_id, *_ = brevo.add(PAGE + 2)
    run(brevo, mirror_engine)
    brevo.pipelines.append(
        {"pipeline": "p2", "pipeline_name": "New", "stages": [{"id": "s-lead", "name": "Lead"}]}
    )
    brevo.tick(10)
    brevo.edit(deal_id, pipeline="p2", deal_stage="s-lead")  # a stage id known, in p1 only
    report = run(brevo, mirror_engine)
    assert report.requests == {"GET /crm/deals": 1, "GET /crm/pipeline/details/all": 1}
    with mirror_engine.connect() as conn:
        keys = set(conn.execute(sa.select(stages.c.pipeline_id, stages.c.id)).all())
    assert {("p1", "s-lead"), ("p2", "s-lead")} <= {tuple(k) for k in keys}


def test_catalogue_is_reread_after_the_refresh_interval(mirror_engine: Engine) -> None:
    brevo = FakeBrevo()
    brevo.add(2)
    run(brevo, mirror_engine)
    brevo.tick(23 * 3600)
    assert "GET /crm/attributes/deals" not in run(brevo, mirror_engine).requests
    brevo.tick(3600)
    report = run(brevo, mirror_engine)
    assert report.requests["GET /crm/attributes/deals"] == 1
    assert report.requests["GET /crm/pipeline/details/all"] == 1


def test_full_flag_rereads_everything(mirror_engine: Engine) -> None:
    brevo = FakeBrevo()
    brevo.add(12)
    run(brevo, mirror_engine)
    indexes = deal_indexes(mirror_engine)
    assert indexes == {ix.name for ix in deals.indexes} - {ix.name for ix in SWEEP_INDEXES}
    with SqlUnitOfWork(mirror_engine) as uow:
        assert uow.deals.defer_indexes() is False  # not empty: nothing dropped
        uow.commit()
    assert deal_indexes(mirror_engine) == indexes
    report = run(brevo, mirror_engine, full=True)
    assert report.full and report.deals_read == 12 and report.deals_written == 0
    assert report.deals_unchanged == 12


def test_malformed_catalogue_is_a_brevo_error_not_a_crash(
    mirror_engine: Engine,
) -> None:
    brevo = FakeBrevo()
    brevo.add(3)
    brevo.pipelines = {"not": "a list"}  # type: ignore[assignment]
    with pytest.raises(BrevoError, match="unexpected shape"):
        run(brevo, mirror_engine)
    with SqlUnitOfWork(mirror_engine) as uow:
        assert uow.sync.get().cursor is None


def test_a_stage_id_repeated_across_pipelines_is_no_database_error(mirror_engine: Engine) -> None:
    brevo = FakeBrevo()
    brevo.add(2)
    brevo.pipelines.append(
        {"pipeline": "p2", "pipeline_name": "Copy", "stages": [{"id": "s-won", "name": "Won"}]}
    )
    report = run(brevo, mirror_engine)
    assert report.deals_written == 2
    with mirror_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(stages)).scalar() == 5


def test_a_full_read_makes_the_mirror_what_brevo_says(mirror_engine: Engine) -> None:
    """Even where the mirror holds a version Brevo no longer has (data restored in Brevo)."""
    brevo = FakeBrevo()
    ids = brevo.add(12)
    run(brevo, mirror_engine)
    brevo.tick(60)
    brevo.edit(ids[3], amount=999.0, deal_stage="s-qual")
    run(brevo, mirror_engine)
    restored = brevo.deals[3]["attributes"]
    restored.update(amount=1000.0, deal_stage="s-lead", last_updated_date=restored["created_at"])
    assert run(brevo, mirror_engine).deals_written == 0  # incremental: nothing newer to read
    report = run(brevo, mirror_engine, full=True)
    assert report.deals_written == 1 and report.stage_changes == 1
    assert mirrored(mirror_engine) == remote(brevo)
