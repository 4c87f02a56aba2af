"""An in-memory Brevo for service tests: the gateway port's semantics without HTTP.

It pages like Brevo (creation order ascending, offset/limit, `modifiedSince` inclusive) and
counts every call the way the real gateway does, so request budgets can be pinned here too.
Like Brevo, deals carry their owner's user id and the owner filter takes an e-mail. Switches
make it as odd as an account can be: a page maximum it clamps to or refuses above
(`max_limit`, `over_limit`), an outage from the n-th list call on (`fail_on_call`), a server
that ignores `offset` (`ignore_offset`).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from brevo_sync.domain.budget import BudgetSnapshot, RequestCounter
from brevo_sync.domain.sync import DealPage, RawRecord
from brevo_sync.errors import BrevoBadRequest, BrevoUnavailable

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
ANA = "ana@example.com"
LIST = "GET /crm/deals"


@dataclass(frozen=True, slots=True)
class ListCall:
    """One `list_deals` call as Brevo received it (refused ones included)."""

    since: datetime | None
    offset: int
    limit: int
    owner: str | None


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
        # Brevo's users by e-mail (lower case) -> user id: what `deal_owner` holds.
        self.users: dict[str, str] = {}
        self.user(ANA)
        self._requests = RequestCounter()
        self.fail_on_call: int | None = None  # raise on the n-th list_deals call and after
        self.max_limit: int | None = None  # the largest `limit` the account serves
        self.over_limit: Literal["refuse", "clamp"] = "refuse"  # above it: 400, or cut pages
        self.ignore_offset = False  # serve the first page whatever the offset
        self.calls: list[ListCall] = []

    def user(self, email: str) -> str:
        """The user id of `email`, a new Brevo user if it has none yet."""
        key = email.strip().lower()
        return self.users.setdefault(key, f"{len(self.users) + 1:024x}")

    # -- editing, as a user in Brevo would --------------------------------------------
    def tick(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def add(
        self,
        n: int,
        *,
        stage: str = "s-lead",
        amount: float = 1000.0,
        owner: str = ANA,
    ) -> list[str]:
        ids = []
        for _ in range(n):
            when = stamp(self.tick())
            deal_id = f"d{len(self.deals):06d}"
            self.deals.append(
                {
                    "id": deal_id,
                    "attributes": {
                        "deal_name": f"Deal {deal_id}",
                        "deal_owner": self.user(owner),
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

    def list_deals(
        self,
        *,
        modified_since: datetime | None,
        offset: int,
        limit: int,
        owner: str | None = None,
    ) -> DealPage:
        self._requests.add(LIST)
        self.calls.append(ListCall(modified_since, offset, limit, owner))
        if self.fail_on_call is not None and len(self.calls) >= self.fail_on_call:
            raise BrevoUnavailable(f"{LIST}: 503 (fake outage)", status=503, endpoint=LIST)
        if self.max_limit is not None and limit > self.max_limit:
            if self.over_limit == "refuse":
                raise BrevoBadRequest(
                    f"{LIST}: HTTP 400 invalid_parameter: limit must be between 1 and "
                    f"{self.max_limit}",
                    status=400,
                    endpoint=LIST,
                    code="invalid_parameter",
                )
            limit = self.max_limit
        since = stamp(modified_since) if modified_since else None
        # Brevo filters owners by e-mail (any case) but stores and returns user ids.
        owner_id = self.users.get(owner.strip().lower()) if owner is not None else None
        matching = [
            d
            for d in self.deals
            if (since is None or d["attributes"]["last_updated_date"] >= since)
            and (
                owner is None
                or (owner_id is not None and d["attributes"].get("deal_owner") == owner_id)
            )
        ]
        start = 0 if self.ignore_offset else offset
        page: list[RawRecord] = [copy.deepcopy(d) for d in matching[start : start + limit]]
        return DealPage(items=page, server_time=self.now.replace(microsecond=0))

    def list_offsets(self) -> list[int]:
        """The offsets of the list calls so far (a resumed run must not go back)."""
        return [c.offset for c in self.calls]

    def prime_budget(self, spent: Sequence[tuple[datetime, int]]) -> None:
        self.primed = list(spent)

    def get_deal(self, deal_id: str) -> RawRecord:
        self._requests.add("GET /crm/deals/{id}")
        return copy.deepcopy(next(d for d in self.deals if d["id"] == deal_id))

    def list_pipelines(self) -> list[RawRecord]:
        self._requests.add("GET /crm/pipeline/details/all")
        return [copy.deepcopy(p) for p in self.pipelines]

    def list_deal_attributes(self) -> list[RawRecord]:
        self._requests.add("GET /crm/attributes/deals")
        return [copy.deepcopy(a) for a in self.attributes]

    def close(self) -> None:
        pass
