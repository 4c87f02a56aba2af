"""Runs: one record per command that works on the mirror, with the Brevo requests it spent.

`status` reports them, the local request ceiling counts from them, and a second run on the
same mirror names the one that holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# "compacted": old runs of one command folded into one row by `db prune` (their requests and
# deals summed, so totals survive).
Outcome = Literal["running", "ok", "failed", "interrupted", "compacted"]


@dataclass(frozen=True, slots=True)
class RunResult:
    outcome: Outcome
    finished_at: datetime
    requests: Mapping[str, int] = field(default_factory=dict)
    deals_written: int = 0
    detail: str | None = None

    @property
    def requests_total(self) -> int:
        return sum(self.requests.values())


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A run as recorded: what `status` shows and what a busy mirror names."""

    id: int
    command: str
    started_at: datetime
    outcome: Outcome
    pid: int | None = None
    finished_at: datetime | None = None
    requests: Mapping[str, int] = field(default_factory=dict)
    deals_written: int = 0
    detail: str | None = None

    @property
    def requests_total(self) -> int:
        return sum(self.requests.values())
