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
from brevo_sync.errors import BrevoBadRequest, BrevoNotFound, BrevoUnavailable

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
        self.fail_next: dict[str, list[Exception]] = {}
        self.apply_then_fail: set[str] = set()
        self.patches: list[tuple[str, dict[str, Any]]] = []
        self.imports: list[tuple[list[dict[str, Any]], bool]] = []
        self.tasks: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.companies: dict[str, dict[str, Any]] = {}
        self.enrolled: set[tuple[str, int]] = set()  # (program, contact)
        self.transactions: dict[str, dict[str, Any]] = {}
        self.tiers: dict[int, str] = {}

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

    # -- the write side ------------------------------------------------------------------
    # `fail_next[endpoint]`: exceptions to raise (once each, in order) on that endpoint; an
    # exception with `outcome_unknown` may be raised after the write took effect
    # (`apply_then_fail`), as a dropped answer would.

    def _maybe_fail(self, endpoint: str, before: bool) -> None:
        queue = self.fail_next.get(endpoint)
        if queue and (endpoint not in self.apply_then_fail) == before:
            raise queue.pop(0)

    def _write(self, endpoint: str) -> None:
        self._requests.add(endpoint)
        self._maybe_fail(endpoint, before=True)

    def list_deals_created_since(self, since: datetime, *, offset: int, limit: int) -> DealPage:
        self._requests.add(LIST)
        after = stamp(since)
        matching = [d for d in self.deals if d["attributes"]["created_at"] >= after]
        page = [copy.deepcopy(d) for d in matching[offset : offset + limit]]
        return DealPage(items=page, server_time=self.now.replace(microsecond=0))

    def create_deal(
        self,
        *,
        name: str,
        attributes: Any = None,
        linked_contacts_ids: Any = None,
        linked_companies_ids: Any = None,
    ) -> str:
        self._write("POST /crm/deals")
        when = stamp(self.tick())
        deal_id = f"d{len(self.deals):06d}"
        attrs = {"deal_name": name, **dict(attributes or {})}
        attrs.update(created_at=when, last_updated_date=when, stage_updated_at=when)
        if "deal_owner" in attrs and "@" in str(attrs["deal_owner"]):
            attrs["deal_owner"] = self.user(str(attrs["deal_owner"]))
        self.deals.append(
            {
                "id": deal_id,
                "attributes": attrs,
                "linkedContactsIds": list(linked_contacts_ids or []),
                "linkedCompaniesIds": list(linked_companies_ids or []),
            }
        )
        self._maybe_fail("POST /crm/deals", before=False)
        return deal_id

    def update_deal(self, deal_id: str, *, attributes: Any = None, **_: Any) -> None:
        self._write("PATCH /crm/deals/{id}")
        deal = next((d for d in self.deals if d["id"] == deal_id), None)
        if deal is None:
            raise BrevoNotFound("PATCH /crm/deals/{id}: 404 Document not found", status=404)
        changes = dict(attributes or {})
        if "@" in str(changes.get("deal_owner", "")):  # Brevo takes an e-mail, keeps the id
            changes["deal_owner"] = self.user(str(changes["deal_owner"]))
        self.edit(deal_id, **changes)
        self.patches.append((deal_id, dict(attributes or {})))

    def import_deals(self, rows: Sequence[Any], *, update_existing: bool) -> int:
        self._write("POST /crm/deals/import")
        self.imports.append(([dict(r) for r in rows], update_existing))
        return len(self.imports)

    def apply_imports(self) -> None:
        """What Brevo does some time after answering an import."""
        for rows, updating in self.imports:
            for row in rows:
                row = dict(row)
                if updating:
                    self.edit(str(row.pop("deal_id")), **row)
                else:
                    row.pop("associated_contact", None)
                    row.pop("associated_company", None)
                    name = str(row.pop("deal_name", "imported"))
                    self.deals.append(self._new(name, row))
        self.imports.clear()

    def _new(self, name: str, attrs: dict[str, Any]) -> dict[str, Any]:
        when = stamp(self.tick())
        attributes = {"deal_name": name, **attrs}
        attributes.update(created_at=when, last_updated_date=when, stage_updated_at=when)
        return {
            "id": f"d{len(self.deals):06d}",
            "attributes": attributes,
            "linkedContactsIds": [],
            "linkedCompaniesIds": [],
        }

    def create_deal_attribute(self, *, label: str, attribute_type: str, **_: Any) -> None:
        self._write("POST /crm/attributes")
        self.attributes.append(
            {"internalName": label, "label": label, "attributeTypeName": attribute_type}
        )

    def list_task_types(self) -> list[RawRecord]:
        self._requests.add("GET /crm/tasktypes")
        return [{"id": "tt-todo", "title": "To do"}, {"id": "tt-call", "title": "Call"}]

    def create_task(self, **task: Any) -> str:
        self._write("POST /crm/tasks")
        task_id = f"t{len(self.tasks):04d}"
        self.tasks.append({"id": task_id, **task})
        self._maybe_fail("POST /crm/tasks", before=False)
        return task_id

    def deal_tasks(self, deal_id: str) -> list[RawRecord]:
        self._requests.add("GET /crm/tasks")
        return [copy.deepcopy(t) for t in self.tasks if deal_id in t.get("deal_ids", [])]

    def create_note(self, **note: Any) -> str:
        self._write("POST /crm/notes")
        note_id = f"n{len(self.notes):04d}"
        self.notes.append({"id": note_id, **note})
        self._maybe_fail("POST /crm/notes", before=False)
        return note_id

    def deal_notes(self, deal_id: str) -> list[RawRecord]:
        self._requests.add("GET /crm/notes")
        return [copy.deepcopy(n) for n in self.notes if deal_id in n.get("deal_ids", [])]

    def get_company(self, company_id: str) -> RawRecord:
        self._requests.add("GET /companies/{id}")
        return {"id": company_id, "attributes": dict(self.companies.get(company_id, {}))}

    def update_company(self, company_id: str, attributes: Any) -> None:
        self._write("PATCH /companies/{id}")
        self.companies.setdefault(company_id, {}).update(dict(attributes))
        self._maybe_fail("PATCH /companies/{id}", before=False)

    def loyalty_subscribe(self, program_id: str, contact_id: int) -> None:
        self._requests.add("POST /loyalty/config/programs/{pid}/subscriptions")
        self.enrolled.add((program_id, contact_id))

    def loyalty_begin(self, program_id: str, **credit: Any) -> str:
        self._write("POST /loyalty/balance/programs/{pid}/transactions")
        if (program_id, credit["contact_id"]) not in self.enrolled:  # as Brevo (and the sandbox)
            raise BrevoBadRequest(
                f"422: Contact {credit['contact_id']} is not subscribed to program {program_id}"
            )
        tid = f"tx{len(self.transactions):04d}"
        self.transactions[tid] = {**credit, "status": "draft"}
        self._maybe_fail("POST /loyalty/balance/programs/{pid}/transactions", before=False)
        return tid

    def loyalty_complete(self, program_id: str, transaction_id: str) -> None:
        self._write("POST /loyalty/balance/programs/{pid}/transactions/{tid}/complete")
        self.transactions[transaction_id]["status"] = "completed"

    def loyalty_tiers(self, program_id: str) -> list[RawRecord]:
        self._requests.add("GET /loyalty/tier/programs/{pid}/tiers")
        return [{"id": "tier-gold", "name": "Gold"}, {"id": "tier-silver", "name": "Silver"}]

    def loyalty_assign_tier(self, program_id: str, contact_id: int, tier_id: str) -> None:
        self._write("POST /loyalty/tier/programs/{pid}/contacts/{cid}/tiers/{tid}")
        self.tiers[contact_id] = tier_id

    def completed_credits(self) -> list[dict[str, Any]]:
        return [t for t in self.transactions.values() if t["status"] == "completed"]

    def close(self) -> None:
        pass
