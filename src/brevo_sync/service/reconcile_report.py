"""What a reconcile run reports: requests, coverage of the account, what it found and fixed
(`service/reconcile.py` fills it; the CLI prints it as text or JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from brevo_sync.domain.reconcile import Finding, WalkTally

# Ids each kind of finding lists in the report (the counts are always complete).
EXAMPLES = 10


class ReconcileProgress(Protocol):
    def page(self, read: int, written: int) -> None: ...


@dataclass
class ReconcileReport:
    repair: bool
    budget_share: float
    allowance: int | None = None  # the most this run could spend (once the window was known)
    resumed: bool = False  # the walk began in an earlier run
    walk_started_at: datetime | None = None
    phase: str = "walk"  # after the run: "walk", "confirm" (suspects left) or "complete"
    ended_by: str = "budget"  # "budget" (the run's share is spent) or "complete"
    pages: int = 0  # pages this run read
    deals_walked: int = 0
    walk_pages: int = 0  # the walk so far, over all its runs
    walk_deals: int = 0
    estimated_total: int = 0  # deals in Brevo, as best known
    estimated_pages: int = 0
    missing: int = 0
    drifted: int = 0  # behind + differs
    behind: int = 0  # Brevo has a newer version (a pull would catch up)
    differs: int = 0  # same or older version, other values
    drift_fields: dict[str, int] = field(default_factory=dict)
    pending_local: int = 0  # differ only by our changes on their way to Brevo: not drift
    unreadable: int = 0  # records that could not be parsed (the pull quarantines them)
    suspects_checked: int = 0
    skipped_by_paging: int = 0  # suspects Brevo still has (a GET answered 200)
    gone: int = 0  # suspects Brevo answered 404 for
    suspects_left: int = 0
    repaired: int = 0  # deals written from Brevo's answer
    tombstoned: int = 0
    walk_tally: WalkTally = field(default_factory=WalkTally)  # the walk so far
    examples: dict[str, list[str]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)

    @property
    def requests_total(self) -> int:
        return sum(self.requests.values())

    @property
    def coverage(self) -> float:
        """The share of the account the walk has read (1.0 once complete)."""
        if self.phase != "walk":
            return 1.0
        return min(1.0, self.walk_deals / self.estimated_total) if self.estimated_total else 0.0

    def _example(self, kind: str, deal_id: str) -> None:
        ids = self.examples.setdefault(kind, [])
        if len(ids) < EXAMPLES:
            ids.append(deal_id)

    def found(self, finding: Finding) -> None:
        self._example(finding.kind, finding.deal_id)
        if finding.kind == "missing":
            self.missing += 1
            return
        self.drifted += 1
        if finding.kind == "behind":
            self.behind += 1
        else:
            self.differs += 1
        for name in finding.fields:
            self.drift_fields[name] = self.drift_fields.get(name, 0) + 1

    def went(self, deal_id: str) -> None:
        self.gone += 1
        self._example("gone", deal_id)
