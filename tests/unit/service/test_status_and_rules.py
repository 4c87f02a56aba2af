"""`status`, `db upgrade` and `rules check` on the in-memory mirror."""

from __future__ import annotations

from datetime import timedelta

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.adapters.rules_file import read_rules
from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.deal import Pipeline, Stage
from brevo_sync.domain.reports import MirrorStatus, Person
from brevo_sync.domain.sync import PageSizeFacts
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.rules_check import check_rules, mirror_pipelines
from brevo_sync.service.status import mirror_status, upgrade_schema
from brevo_sync.service.sweep import run_sweep
from tests.fakes import FakeBrevo
from tests.unit.service.support import pull


def test_an_empty_mirror_reports_nothing(ctx: ServiceContext, brevo: FakeBrevo) -> None:
    report = mirror_status(ctx, requests_per_hour=300)
    assert (report.database, report.requests_per_hour) == ("memory", 300)
    assert report.mirror == MirrorStatus(
        deals=0, tombstones=0, quarantined=0, pipelines=0, cursor=None, last_success_at=None,
        last_full_at=None, unfinished_run=None, last_run=None, requests_total=0,
        requests_last_hour=0, budget=None,
    )  # fmt: skip


def test_status_counts_what_the_mirror_holds_and_what_it_cost(
    ctx: ServiceContext, brevo: FakeBrevo, mirror: MemoryMirror
) -> None:
    first, *_ = brevo.add(12)
    brevo.deals[3]["attributes"]["amount"] = "lots"
    report = pull(ctx)
    mirror.tombstone(first, brevo.now)
    with ctx.uow() as uow:
        uow.people.put(
            Person("Ana@Example.com", brevo.users["ana@example.com"], "rules", brevo.now)
        )
        uow.commit()
    brevo.tick(8 * 24 * 3600)
    run_sweep(ctx)  # inactivity:7 for the 10 live deals
    status = mirror_status(ctx, 1000).mirror
    assert (status.deals, status.tombstones, status.quarantined, status.pipelines) == (10, 1, 1, 1)
    assert status.cursor == report.cursor
    assert status.last_full_at == status.last_success_at == brevo.now - timedelta(days=8)
    assert status.unfinished_run is None
    assert status.last_run is not None and status.last_run.command == "sweep"
    assert status.requests_total == report.requests_total == 4
    assert status.requests_last_hour == 0  # the pull was 8 days ago; the sweep spent nothing
    assert status.budget == BudgetSnapshot(100, 96, None)
    assert status.paging == PageSizeFacts(floor=10)
    assert (status.alerts_open, status.events_pending, status.people) == (10, 0, 1)


def test_upgrade_sets_the_schema_once(ctx: ServiceContext) -> None:
    assert upgrade_schema(ctx) == (None, "memory")
    assert upgrade_schema(ctx) == ("memory", "memory")


def test_rules_check_maps_the_stages_onto_the_mirrors_pipelines(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    source = read_rules(None)  # the packaged rules
    assert mirror_pipelines(ctx) == []
    unchecked = check_rules(source, None)
    assert unchecked.mirror.startswith("not checked") and unchecked.report.ok
    empty = check_rules(source, mirror_pipelines(ctx))
    assert empty.mirror.startswith("the mirror has no pipelines yet")
    assert empty.report.problems == source.report.problems

    brevo.add(1)
    pull(ctx)
    pipelines = mirror_pipelines(ctx)
    assert pipelines == [
        Pipeline("p1", "Enterprise Sales", (Stage("s-lead", "Lead", 0),
                 Stage("s-qual", "Qualified", 1), Stage("s-won", "Closed Won", 2),
                 Stage("s-lost", "Closed Lost", 3)), 0),
    ]  # fmt: skip
    checked = check_rules(source, pipelines)
    assert checked.mirror == "1 Brevo pipelines"
    # Enterprise Sales' Demo, Proposal and Negotiation (stages 2-4) are not in this account,
    # nor are the other three pipelines; each problem is given its line in the file.
    found = [p for p in checked.report.problems if p not in source.report.problems]
    assert {p.path for p in found} == {
        *(("pipelines", 0, "stages", i) for i in (2, 3, 4)),
        *(("pipelines", i, "name") for i in (1, 2, 3)),
    }
    assert all(p.severity == "error" and p.line for p in found)
    assert "'Demo' is not in Brevo pipeline 'Enterprise Sales'" in found[0].message
    assert not checked.report.ok
