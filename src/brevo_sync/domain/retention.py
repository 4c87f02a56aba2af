"""How long the mirror keeps its own history, and how old runs are folded together.

A daemon records a run every few seconds to minutes (`runs`, `job_runs`) and keeps every
webhook it processed (`inbox`): months of that is most of a database. `db prune` (and the
daemon's `prune` job) keeps `BREVO_SYNC_HISTORY_DAYS` of it. Old `runs` rows are not simply
deleted: each command's are folded into one row whose requests and deals are their sums, so
`status`'s lifetime totals stay right. Nothing Brevo-facing is pruned: the outbox keeps every
row (what was sent, dropped or dead), dead inbox rows wait for an operator, and deals,
tombstones and stage history are the mirror itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from brevo_sync.domain.runs import RunInfo

DEFAULT_HISTORY_DAYS = 90


@dataclass(frozen=True, slots=True)
class Fold:
    """One command's old runs: `into` replaces the row of the same id, `drop` are deleted."""

    into: RunInfo
    drop: tuple[int, ...]


def fold_runs(runs: Sequence[RunInfo], before: datetime, newest: Mapping[str, int]) -> list[Fold]:
    """Per command, its finished runs that ended before `before`, but never the command's
    newest run (`newest`: command -> id), folded into its oldest row. A command with fewer
    than two such runs is left as it is."""
    by_command: dict[str, list[RunInfo]] = {}
    for run in runs:
        ended = run.finished_at or run.started_at
        if run.outcome == "running" or ended >= before or newest.get(run.command) == run.id:
            continue
        by_command.setdefault(run.command, []).append(run)
    folds = []
    for command, old in sorted(by_command.items()):
        if len(old) < 2:
            continue
        old.sort(key=lambda r: r.id)
        requests: Counter[str] = Counter()
        for run in old:
            requests.update(run.requests)
        first = min(r.started_at for r in old)
        last = max(r.finished_at or r.started_at for r in old)
        into = RunInfo(
            id=old[0].id,
            command=command,
            started_at=first,
            outcome="compacted",
            finished_at=last,
            requests=dict(requests),
            deals_written=sum(r.deals_written for r in old),
            detail=f"the {command} runs from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} "
            "UTC, folded into one by `db prune`",
        )
        folds.append(Fold(into, tuple(r.id for r in old[1:])))
    return folds
