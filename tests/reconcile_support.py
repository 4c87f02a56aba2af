"""What the reconcile tests share: a FakeBrevo with a rate-limit window and deletes, and the
5% delete / edit / add scenario run to an exact mirror."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.reports import DealQuery
from brevo_sync.domain.sync import RawRecord
from brevo_sync.errors import BrevoNotFound
from brevo_sync.service.alerts import AlertFilter, list_alerts, list_stale
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.deals import DealFilter, list_deals
from brevo_sync.service.pull import pull_deals
from brevo_sync.service.reconcile import reconcile
from brevo_sync.service.reconcile_report import ReconcileReport
from brevo_sync.service.status import mirror_status
from brevo_sync.service.sweep import sweep_mirror
from tests.fakes import LIST, FakeBrevo

GET = "GET /crm/deals/{id}"


class WindowedBrevo(FakeBrevo):
    """FakeBrevo with an hourly window of `limit` requests (`new_window()` is the next hour),
    deletes, and a 404 for a deal it does not have."""

    def __init__(self, limit: int = 100) -> None:
        super().__init__()
        self.limit = limit
        self._window_start = 0
        self.deleted: set[str] = set()
        self._created = 0

    def add(self, n: int, **kwargs: Any) -> list[str]:
        """As FakeBrevo's, with ids never used before (its own reuse a deleted deal's)."""
        ids = super().add(n, **kwargs)
        fresh = []
        for deal in self.deals[len(self.deals) - n :]:
            deal["id"] = f"d{self._created:06d}"
            self._created += 1
            fresh.append(deal["id"])
        assert len(fresh) == len(ids)
        return fresh

    def new_window(self) -> None:
        self._window_start = self.requests.total

    @property
    def budget(self) -> BudgetSnapshot:
        spent = self.requests.total - self._window_start
        return BudgetSnapshot(limit=self.limit, remaining=self.limit - spent, reset_at=None)

    def delete(self, deal_id: str) -> None:
        self.deals = [d for d in self.deals if d["id"] != deal_id]
        self.deleted.add(deal_id)

    def get_deal(self, deal_id: str) -> RawRecord:
        self.requests.add(GET)
        for deal in self.deals:
            if deal["id"] == deal_id:
                return copy.deepcopy(deal)
        raise BrevoNotFound(f"{GET}: HTTP 404 Document not found", status=404, endpoint=GET)

    def get_calls(self) -> int:
        return self.requests.by_endpoint[GET]


def deal_view(deal: Deal) -> dict[str, Any]:
    """What "the mirror is exact" compares: every raw attribute, links and the name."""
    return {
        "attributes": deal.attributes,
        "contacts": list(deal.contact_ids),
        "companies": list(deal.company_ids),
    }


def remote_view(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "attributes": raw["attributes"],
        "contacts": [int(c) for c in raw["linkedContactsIds"]],
        "companies": [str(c) for c in raw["linkedCompaniesIds"]],
    }


def live_mirror(ctx: ServiceContext) -> dict[str, dict[str, Any]]:
    """Every live mirrored deal, as `deal_view`; and the tombstoned ids."""
    with ctx.uow() as uow:
        ids = [r["id"] for r in uow.queries.find_deals(DealQuery(limit=None))]
        deals = uow.deals.get(ids)
    return {i: deal_view(d) for i, d in deals.items()}


def tombstones(ctx: ServiceContext) -> set[str]:
    with ctx.uow() as uow:
        rows = uow.queries.find_deals(DealQuery(include_deleted=True, limit=None))
    return {r["id"] for r in rows if r["deleted_at"] is not None}


def remote_deals(brevo: FakeBrevo) -> dict[str, dict[str, Any]]:
    return {d["id"]: remote_view(d) for d in brevo.deals}


@dataclass
class Runs:
    """The reports of the runs until a walk completed after the last change."""

    reports: list[ReconcileReport] = field(default_factory=list)
    checked_tombstones: list[set[str]] = field(default_factory=list)

    def total(self, endpoint: str) -> int:
        return sum(r.requests.get(endpoint, 0) for r in self.reports)

    @property
    def pages(self) -> int:
        return self.total(LIST)

    @property
    def gets(self) -> int:
        return self.total(GET)

    @property
    def suspects(self) -> int:
        return sum(r.suspects_checked for r in self.reports)


def churn(brevo: WindowedBrevo, share: float = 0.05) -> tuple[set[str], set[str], set[str]]:
    """Delete, edit and add `share` of the deals (deterministically spread): the ids."""
    n = max(1, round(len(brevo.deals) * share))
    ids = [d["id"] for d in brevo.deals]
    step = max(1, len(ids) // (2 * n))
    deleted = set(ids[1::step][:n])
    edited = set([i for i in ids[::step] if i not in deleted][:n])
    for deal_id in sorted(edited):
        brevo.edit(deal_id, amount=4242.0)
    for deal_id in sorted(deleted):
        brevo.delete(deal_id)
    added = set(brevo.add(n, amount=777.0))
    return deleted, edited, added


def run_until_complete(
    ctx: ServiceContext, brevo: WindowedBrevo, *, repair: bool = True, max_runs: int = 50
) -> Runs:
    """Reconcile run after run (each in a fresh budget window) until a walk completes; after
    every run, check that no deal Brevo still has was tombstoned."""
    runs = Runs()
    for _ in range(max_runs):
        brevo.new_window()
        report = reconcile(ctx, repair=repair)
        runs.reports.append(report)
        dead = tombstones(ctx)
        assert not dead & {d["id"] for d in brevo.deals}, "an existing deal was tombstoned"
        runs.checked_tombstones.append(dead)
        if report.phase == "complete":
            return runs
    raise AssertionError(f"no walk completed in {max_runs} runs")


def tombstones_leave_every_figure(ctx: ServiceContext, brevo: WindowedBrevo) -> None:
    """Deals confirmed gone leave `deals list` (unless --include-deleted), the status counts,
    the alerts (listed and open), the stale list and every later sweep."""
    big = [d["id"] for d in brevo.deals[:4]]
    for deal_id in big:
        brevo.edit(deal_id, amount=30000.0, deal_currency="EUR")
    limit, brevo.limit = brevo.limit, 1000
    pull_deals(ctx, sweep=False)
    brevo.limit = limit
    later = replace(ctx, clock=lambda: brevo.now + timedelta(days=40))
    assert sweep_mirror(later).total > 0
    alerted = {line.alert.deal_id for line in list_alerts(later, AlertFilter(limit=None)).lines}
    stale = {r["id"] for r in list_stale(later).rows}
    assert set(big) <= stale and set(big[:2]) <= alerted
    total = len(brevo.deals)
    open_before = mirror_status(later, 100).mirror.alerts_open

    gone = big[:2]
    for deal_id in gone:
        brevo.delete(deal_id)
    brevo.tick()
    run_until_complete(ctx, brevo)
    assert tombstones(ctx) == set(gone)

    listed = {r["id"] for r in list_deals(later, DealFilter(limit=None)).rows}
    assert listed == {d["id"] for d in brevo.deals}
    every = list_deals(later, DealFilter(limit=None, include_deleted=True)).rows
    assert {r["id"] for r in every} == listed | set(gone)
    status = mirror_status(later, 100).mirror
    assert (status.deals, status.tombstones) == (total - 2, 2)
    lines = list_alerts(later, AlertFilter(limit=None)).lines
    assert not {line.alert.deal_id for line in lines} & set(gone)
    assert status.alerts_open < open_before
    assert {r["id"] for r in list_stale(later).rows} == stale - set(gone)
    much_later = replace(ctx, clock=lambda: brevo.now + timedelta(days=400))
    sweep_mirror(much_later)
    lines = list_alerts(much_later, AlertFilter(limit=None)).lines
    assert not {line.alert.deal_id for line in lines} & set(gone)
