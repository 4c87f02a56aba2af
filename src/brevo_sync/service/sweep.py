"""The time-rules sweep: raise every newly crossed time rule over the whole mirror, once.

A sweep is idempotent for a given `now`: a second sweep at the same moment raises nothing,
and a crash mid-sweep leaves either all of its alerts or none (one transaction).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from brevo_sync.adapters.store.alerts import raise_alerts, sweep_cache
from brevo_sync.adapters.store.mirror import ensure_deal_indexes
from brevo_sync.domain.rules.timing import TimeRules


@dataclass(frozen=True, slots=True)
class SweepReport:
    """New alerts per rule key (0 for rules that found nothing new) and how long it took."""

    now: datetime
    raised: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.raised.values())


def _sweep(conn: sa.Connection, rules: TimeRules, now: datetime) -> dict[str, int]:
    # A first pull that crashed leaves the sweep's indexes deferred (SqlMirror.
    # prepare_full_read); sweeping without them would be right but a hundred times slower.
    ensure_deal_indexes(conn)
    return raise_alerts(conn, rules, now)


def run_time_sweep(bind: sa.Engine | sa.Connection, rules: TimeRules, now: datetime) -> SweepReport:
    """Sweep the mirror at `now` (aware UTC) in one transaction.

    Given an Engine, the sweep opens and commits its own transaction. Given a Connection
    already in a transaction (a unit of work), it joins it and the caller commits; given an
    idle Connection, it begins and commits one on it.
    """
    if now.tzinfo is None:
        raise ValueError(f"the sweep needs an aware `now`, got {now!r}")
    started = time.perf_counter()
    if isinstance(bind, sa.Engine):
        with bind.connect() as conn, sweep_cache(conn), conn.begin():
            raised = _sweep(conn, rules, now)
    elif bind.in_transaction():
        with sweep_cache(bind):
            raised = _sweep(bind, rules, now)
    else:
        with sweep_cache(bind), bind.begin():
            raised = _sweep(bind, rules, now)
    return SweepReport(now=now, raised=raised, seconds=time.perf_counter() - started)
