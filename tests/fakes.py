"""An in-memory Brevo for service tests: the gateway port's semantics without HTTP.

It pages like Brevo (creation order ascending, offset/limit, `modifiedSince` inclusive) and
counts every call the way the real gateway does, so request budgets can be pinned here too.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from brevo_sync.domain.budget import BudgetSnapshot, RequestCounter
from brevo_sync.domain.sync import DealPage, RawRecord

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class FakeBrevo:
    """Deals, pipelines and a clock; `now` advances one second per edit unless set."""

    def __init__(self) -> None:
        self.now = T0
        self.deals: list[dict[str, Any]] = []  # creation order
        self.pipelines: list[dict[str, Any]] = [
            {
                "pipeline": "p1",
                "pipeline_name": "Enterprise Sales",
                "stages": [
                    {"id": "s-lead", "name": "Lead"},
                    {"id": "s-qual", "name": "Qualified"},
                    {"id": "s-won", "name": "Closed Won"},
                    {"id": "s-lost", "name": "Closed Lost"},
                ],
            }
        ]
        self.attributes: list[dict[str, Any]] = [
            {"internalName": "deal_name", "label": "Deal Name", "attributeTypeName": "text"},
            {"internalName": "amount", "label": "Amount", "attributeTypeName": "number"},
        ]
        self._requests = RequestCounter()
        self.fail_on_call: int | None = None  # raise on the n-th list_deals call
        self._list_calls = 0

    # -- editing, as a user in Brevo would --------------------------------------------
    def tick(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def add(self, n: int, *, stage: str = "s-lead", amount: float = 1000.0) -> list[str]:
        ids = []
        for _ in range(n):
            when = stamp(self.tick())
            deal_id = f"d{len(self.deals):06d}"
            self.deals.append(
                {
                    "id": deal_id,
                    "attributes": {
                        "deal_name": f"Deal {deal_id}",
                        "deal_owner": "ana@example.com",
                        "amount": amount,
                        "pipeline": "p1",
                        "deal_stage": stage,
                        "created_at": when,
                        "last_updated_date": when,
                        "stage_updated_at": when,
                    },
                    "linkedContactsIds": [1],
                    "linkedCompaniesIds": [],
                }
            )
            ids.append(deal_id)
        return ids

    def edit(self, deal_id: str, **attributes: Any) -> None:
        deal = next(d for d in self.deals if d["id"] == deal_id)
        when = stamp(self.tick())
        if "deal_stage" in attributes:
            deal["attributes"]["stage_updated_at"] = when
        deal["attributes"].update(attributes)
        deal["attributes"]["last_updated_date"] = when

    # -- the gateway port --------------------------------------------------------------
    @property
    def requests(self) -> RequestCounter:
        return self._requests

    @property
    def budget(self) -> BudgetSnapshot:
        return BudgetSnapshot(limit=100, remaining=100 - self._requests.total, reset_at=None)

    def list_deals(self, *, modified_since: datetime | None, offset: int, limit: int) -> DealPage:
        self._requests.add("GET /crm/deals")
        self._list_calls += 1
        if self.fail_on_call is not None and self._list_calls >= self.fail_on_call:
            from brevo_sync.errors import BrevoUnavailable

            raise BrevoUnavailable("GET /crm/deals: 503 (fake outage)", status=503)
        since = stamp(modified_since) if modified_since else None
        matching = [
            d for d in self.deals if since is None or d["attributes"]["last_updated_date"] >= since
        ]
        page = copy.deepcopy(matching[offset : offset + limit])
        return DealPage(items=page, server_time=self.now.replace(microsecond=0))

    def prime_budget(self, spent: Sequence[tuple[datetime, int]]) -> None:
        self.primed = list(spent)

    def get_deal(self, deal_id: str) -> RawRecord:
        self._requests.add("GET /crm/deals/{id}")
        return copy.deepcopy(next(d for d in self.deals if d["id"] == deal_id))

    def list_pipelines(self) -> list[RawRecord]:
        self._requests.add("GET /crm/pipeline/details/all")
        return copy.deepcopy(self.pipelines)

    def list_deal_attributes(self) -> list[RawRecord]:
        self._requests.add("GET /crm/attributes/deals")
        return copy.deepcopy(self.attributes)

    def close(self) -> None:
        pass
