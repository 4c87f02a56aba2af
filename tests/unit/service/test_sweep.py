"""The time-rules sweep over the in-memory mirror: every crossing raised once."""

from __future__ import annotations

from datetime import timedelta

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.domain.reports import AlertQuery
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.status import mirror_status
from brevo_sync.service.sweep import run_sweep, sweep_mirror, time_rules
from tests.fakes import FakeBrevo
from tests.unit.service.support import pull

DAY = 24 * 3600


def rule_keys(ctx: ServiceContext) -> tuple[str, ...]:
    with ctx.uow() as uow:
        return time_rules(ctx, uow)[1].rule_keys


def nothing(ctx: ServiceContext) -> dict[str, int]:
    return dict.fromkeys(rule_keys(ctx), 0)


def test_alerts_are_raised_once_per_crossing(ctx: ServiceContext, brevo: FakeBrevo) -> None:
    brevo.add(2)
    (big,) = brevo.add(1, amount=30000.0)  # over seed 000's 25,000: stale after 14 days
    (won,) = brevo.add(1, stage="s-won")  # closed: never raises
    report = pull(ctx, sweep=True)
    assert report.sweep is not None and report.sweep.raised == nothing(ctx)
    assert set(rule_keys(ctx)) >= {"inactivity:7", "inactivity:14", "stale_high_value"}

    brevo.tick(8 * DAY)
    first = run_sweep(ctx)
    assert first.raised == {**nothing(ctx), "inactivity:7": 3}
    assert first.now == brevo.now
    assert run_sweep(ctx).raised == nothing(ctx)  # the same crossings: nothing new

    brevo.tick(7 * DAY)
    later = sweep_mirror(ctx)
    assert later.raised == {**nothing(ctx), "inactivity:14": 3, "stale_high_value": 1}
    with ctx.uow() as uow:
        alerts = uow.queries.alerts(AlertQuery(limit=None))
    assert len(alerts) == 7 and won not in {a.deal_id for a in alerts}
    (stale,) = [a for a in alerts if a.rule == "stale_high_value"]
    assert (stale.deal_id, stale.amount, stale.action) == (big, 30000.0, "flag_stale")
    assert stale.due_at == stale.anchor_at + timedelta(days=14)
    assert stale.raised_at == brevo.now
    earlier = {a.id for a in alerts if a.raised_at == first.now}
    assert len(earlier) == 3 and max(earlier) < min({a.id for a in alerts} - earlier)


def test_new_activity_moves_the_anchor_and_the_next_crossing_is_new(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    (deal_id,) = brevo.add(1)
    pull(ctx)
    brevo.tick(8 * DAY)
    assert run_sweep(ctx).raised["inactivity:7"] == 1
    brevo.edit(deal_id, amount=1500.0)  # an update: the deal was worked on
    pull(ctx)
    brevo.tick(6 * DAY)
    assert run_sweep(ctx).raised["inactivity:7"] == 0  # 6 days since: not yet
    brevo.tick(1 * DAY)
    assert run_sweep(ctx).raised["inactivity:7"] == 1  # a second crossing, its own alert


def test_tombstones_raise_nothing(
    ctx: ServiceContext, brevo: FakeBrevo, mirror: MemoryMirror
) -> None:
    gone, kept = brevo.add(2)
    pull(ctx)
    mirror.tombstone(gone, brevo.now)
    brevo.tick(8 * DAY)
    assert run_sweep(ctx).raised["inactivity:7"] == 1
    assert {a.deal_id for a in mirror.alerts()} == {kept}


def test_a_sweep_is_a_recorded_run_and_acknowledging_is_idempotent(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    brevo.add(2)
    pull(ctx)
    brevo.tick(8 * DAY)
    run_sweep(ctx)
    status = mirror_status(ctx, 1000).mirror
    assert status.last_run is not None and status.last_run.command == "sweep"
    assert status.last_run.outcome == "ok" and status.last_run.requests == {}
    assert status.alerts_open == 2

    with ctx.uow() as uow:
        first, second = uow.queries.alerts(AlertQuery(open_only=True))
        handled = uow.alerts.acknowledge(first.id, brevo.now)
        uow.commit()
    assert handled is not None and handled.acknowledged_at == brevo.now
    assert handled.deal_name == first.deal_name and handled.owner == first.owner
    brevo.tick(60)
    with ctx.uow() as uow:
        again = uow.alerts.acknowledge(first.id, brevo.now)  # keeps the first time
        assert again is not None and again.acknowledged_at == handled.acknowledged_at
        assert uow.alerts.acknowledge(first.id + second.id + 1000, brevo.now) is None
        open_now = uow.queries.alerts(AlertQuery(open_only=True))
        uow.commit()
    assert [a.id for a in open_now] == [second.id]
    assert mirror_status(ctx, 1000).mirror.alerts_open == 1
