"""Folding old runs: per command, into the oldest row, sums kept; never the newest run of a
command nor a running one; a lone old run stays as it is; a folded row folds again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from brevo_sync.domain.retention import fold_runs
from brevo_sync.domain.runs import Outcome, RunInfo

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def run(run_id: int, command: str, day: int, outcome: Outcome = "ok", **kw: object) -> RunInfo:
    start = T0 + day * DAY
    return RunInfo(
        run_id,
        command,
        start,
        outcome,
        finished_at=None if outcome == "running" else start + timedelta(minutes=2),
        **kw,  # type: ignore[arg-type]
    )


def test_old_runs_fold_per_command_into_the_oldest_with_their_sums() -> None:
    runs = [
        run(1, "pull", 0, requests={"GET /crm/deals": 3}, deals_written=10),
        run(2, "push", 0, requests={"PATCH /crm/deals/{id}": 2}),
        run(3, "pull", 1, "failed", requests={"GET /crm/deals": 1, "GET /crm/pipeline": 1}),
        run(4, "pull", 2, requests={"GET /crm/deals": 2}, deals_written=5),
        run(5, "pull", 30),  # young
        run(6, "push", 40),
    ]
    newest = {"pull": 5, "push": 6}
    (fold,) = fold_runs(runs, T0 + 10 * DAY, newest)
    assert fold.drop == (3, 4)
    into = fold.into
    assert (into.id, into.command, into.outcome) == (1, "pull", "compacted")
    assert dict(into.requests) == {"GET /crm/deals": 6, "GET /crm/pipeline": 1}
    assert into.requests_total == 7 and into.deals_written == 15
    assert into.started_at == T0 and into.finished_at == T0 + 2 * DAY + timedelta(minutes=2)
    assert "2026-01-01 00:00 to 2026-01-03 00:02" in (into.detail or "")


def test_the_newest_and_running_runs_are_never_folded_and_a_lone_one_stays() -> None:
    runs = [run(1, "pull", 0), run(2, "pull", 1, "running"), run(3, "pull", 2)]
    assert fold_runs(runs, T0 + 10 * DAY, {"pull": 3}) == []  # only run 1 is foldable
    assert fold_runs(runs, T0 + 10 * DAY, {"pull": 9}) != []  # 1 and 3 fold (2 runs)


def test_a_folded_row_folds_again_with_later_runs() -> None:
    first = fold_runs([run(1, "pull", 0, requests={"a": 1}), run(2, "pull", 1)], T0 + 5 * DAY, {})
    older = first[0].into
    (again,) = fold_runs([older, run(7, "pull", 8, requests={"a": 2})], T0 + 20 * DAY, {})
    assert again.into.id == 1 and again.drop == (7,)
    assert dict(again.into.requests) == {"a": 3} and again.into.started_at == T0
