"""The sandbox's whole world, behind one lock: deals, companies, tasks, notes, loyalty,
users, plus the run-time switches (faults, rate limit, quirks) and the request statistics.

The HTTP server runs in another thread and calls the same methods as tests do, so every
data access takes `self.lock`; faults, rate limiter and stats guard themselves.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from brevo_sync.sandbox import catalogue
from brevo_sync.sandbox.activities import NoteStore, TaskStore
from brevo_sync.sandbox.attributes import AttributeCatalogue
from brevo_sync.sandbox.catalogue import PipelineDef
from brevo_sync.sandbox.clock import Clock, to_ms, utc_now
from brevo_sync.sandbox.companies import CompanyStore
from brevo_sync.sandbox.deal_query import CREATED_SORT, DealQuery, parse_deal_query, run_deal_query
from brevo_sync.sandbox.deals import DealStore
from brevo_sync.sandbox.errors import invalid
from brevo_sync.sandbox.faults import FaultInjector
from brevo_sync.sandbox.ids import ObjectIdFactory
from brevo_sync.sandbox.imports import ImportStore, apply_process
from brevo_sync.sandbox.index import DealRecord
from brevo_sync.sandbox.lookups import StateLookups
from brevo_sync.sandbox.loyalty import LoyaltyStore
from brevo_sync.sandbox.meta import MetaEventStore
from brevo_sync.sandbox.quirks import DEFAULT_MAX_PAGE_LIMIT, ErrorStyle, OverLimit, Quirks
from brevo_sync.sandbox.ratelimit import RateLimiter
from brevo_sync.sandbox.render import DateRenderer
from brevo_sync.sandbox.stats import RequestStats
from brevo_sync.sandbox.users import UserRegistry

DEFAULT_API_KEY = "sandbox-key"


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def deal_copy(rec: DealRecord) -> dict[str, Any]:
    """A deal's JSON as an independent copy (lists inside attributes copied too)."""
    attrs = {k: list(v) if isinstance(v, list) else v for k, v in rec.attributes.items()}
    return {
        "id": rec.id,
        "attributes": attrs,
        "linkedContactsIds": list(rec.contacts),
        "linkedCompaniesIds": list(rec.companies),
    }


class SandboxState(StateLookups):
    """An in-memory Brevo account. `SandboxState.seeded(seed, deals)` for sample data."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        clock: Clock = utc_now,
        requests_per_hour: int | None = None,
        loyalty_requests_per_hour: int | None = None,
        window_seconds: float = 3600.0,
        max_page_limit: int | None = DEFAULT_MAX_PAGE_LIMIT,
        seed: int = 0,
        custom_attributes: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        owner_ids: bool = True,
        over_limit: OverLimit = "refuse",
        date_offset: str | None = None,
        error_style: ErrorStyle = "code_and_message",
        rate_limit_headers: bool = True,
    ) -> None:
        """`max_page_limit` and the last five keywords are the quirks (see `quirks.py`);
        `set_quirks` or `POST /_sandbox/quirks` change them at run time. ValueError for a
        bad value."""
        self.api_key = api_key
        self.clock = clock
        self.quirks = Quirks(
            owner_ids=owner_ids,
            max_page_limit=max_page_limit,
            over_limit=over_limit,
            date_offset=date_offset,
            error_style=error_style,
            rate_limit_headers=rate_limit_headers,
        )
        self.lock = threading.RLock()
        self.users = UserRegistry(catalogue.OWNERS)
        self.faults = FaultInjector()
        self.ratelimit = RateLimiter(
            {"crm": requests_per_hour, "loyalty": loyalty_requests_per_hour},
            window_seconds,
            monotonic,
        )
        self.stats = RequestStats()
        self.pipelines: list[PipelineDef] = catalogue.default_pipelines()
        attrs = catalogue.system_attributes() + (
            catalogue.custom_attributes() if custom_attributes else []
        )
        self.deal_attributes = AttributeCatalogue(attrs)
        self.deals = DealStore(self.deal_attributes, self.pipelines, ObjectIdFactory(seed, "deal"))
        self.companies = CompanyStore(ObjectIdFactory(seed, "company"), self.deals.by_company)
        self.tasks = TaskStore(ObjectIdFactory(seed, "task"), catalogue.task_types())
        self.notes = NoteStore(ObjectIdFactory(seed, "note"))
        self.loyalty = LoyaltyStore()
        self._attribute_ids = ObjectIdFactory(seed, "attribute")
        self.imports = ImportStore()  # `imports.delay_seconds`: when an import lands
        self.meta = MetaEventStore()  # the Meta Conversions API stand-in's record

    @classmethod
    def seeded(cls, seed: int = 42, deals: int = 500, **kwargs: Any) -> SandboxState:
        """Deterministic sample data: the same seed and clock day give byte-identical JSON.

        Timestamps are spread over the ~120 days before midnight UTC of the clock's today,
        so data looks recent; inject a fixed `clock` for data that never changes.
        """
        from brevo_sync.sandbox.seed import seed_state

        state = cls(seed=seed, **kwargs)
        seed_state(state, seed=seed, deals=deals)
        return state

    def now_ms(self) -> int:
        return to_ms(self.clock())

    def _settle(self) -> None:
        """Apply the bulk imports that are due (see `imports.py`). Called under the lock by
        every deal read and write, so an import lands before anything can see past it."""
        if self.imports.queued:  # the hot path pays one integer test
            self.imports.settle(
                self.now_ms(), lambda p: apply_process(p, self.deals, self._owner_written)
            )

    def settle_imports(self) -> None:
        """Apply the bulk imports that are due now (what the next deal request would do)."""
        with self.lock:
            self._settle()

    # ---- quirks and users ------------------------------------------------------------------

    @property
    def max_page_limit(self) -> int | None:
        return self.quirks.max_page_limit

    def set_quirks(self, **changes: Any) -> Quirks:
        """Change quirks at run time (all or nothing; ValueError for a bad key or value).
        Stored data is not rewritten: e.g. owners written while `owner_ids` was off stay
        e-mails."""
        with self.lock:
            self.quirks = self.quirks.with_changes(changes)
            return self.quirks

    def _owner_written(self, attributes: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """With `owner_ids`, a written `deal_owner` becomes the user's id (400 if it names no
        user); None or "" still clear it. Call under the lock."""
        if not self.quirks.owner_ids or not attributes:
            return attributes
        owner = attributes.get("deal_owner")
        if owner is None or owner == "":
            return attributes
        return {**attributes, "deal_owner": self.users.resolve_owner(owner)}

    # ---- deals: Python API (tests) and HTTP handlers share these ---------------------------

    def create_deal(
        self,
        name: Any,
        *,
        attributes: Mapping[str, Any] | None = None,
        linked_contacts: Iterable[Any] | None = None,
        linked_companies: Iterable[Any] | None = None,
        created_at: datetime | None = None,
    ) -> str:
        """Create like `POST /crm/deals`; returns the new id. SandboxError when refused."""
        _check_mapping(attributes, "attributes")
        with self.lock:
            self._settle()
            created_ms = None if created_at is None else to_ms(created_at)
            rec = self.deals.create(
                name,
                self._owner_written(attributes),
                linked_contacts,
                linked_companies,
                self.now_ms(),
                created_ms,
            )
            return rec.id

    def update_deal(
        self,
        deal_id: str,
        *,
        attributes: Mapping[str, Any] | None = None,
        name: Any = None,
        linked_contacts: Iterable[Any] | None = None,
        linked_companies: Iterable[Any] | None = None,
    ) -> None:
        """Modify like `PATCH /crm/deals/{id}` (linked lists, when given, replace)."""
        _check_mapping(attributes, "attributes")
        with self.lock:
            self._settle()
            self.deals.update(
                deal_id,
                name,
                self._owner_written(attributes),
                linked_contacts,
                linked_companies,
                self.now_ms(),
            )

    def link_unlink_deal(self, deal_id: str, links: Mapping[str, Any]) -> None:
        _check_mapping(links, "body")
        with self.lock:
            self._settle()
            self.deals.link_unlink(deal_id, links, self.now_ms())

    def delete_deal(self, deal_id: str) -> None:
        with self.lock:
            self._settle()
            self.deals.delete(deal_id)

    def get_deal(self, deal_id: str) -> dict[str, Any]:
        """The stored deal (an independent copy; dates as stored, whatever `date_offset`)."""
        with self.lock:
            self._settle()
            return deal_copy(self.deals.get(deal_id))

    def deal_json(self, deal_id: str) -> bytes:
        """The body of `GET /crm/deals/{id}`, as the API renders it (quirks applied)."""
        with self.lock:
            self._settle()
            rec = self.deals.get(deal_id).to_json()
            renderer = self._renderer()
            return dumps(rec if renderer is None else renderer.deal(rec))

    def deal_count(self) -> int:
        with self.lock:
            self._settle()
            return len(self.deals)

    def deals_snapshot(self) -> list[dict[str, Any]]:
        """Every deal's JSON, oldest created first (independent copies)."""
        with self.lock:
            self._settle()
            return [deal_copy(self.deals.records[k[2]]) for k in self.deals.index.created]

    def list_deals(self, query: DealQuery | None = None) -> list[dict[str, Any]]:
        """One page as `GET /crm/deals` would return it (copies, quirks applied)."""
        with self.lock:
            self._settle()
            deals = [deal_copy(r) for r in self._query(query or DealQuery())]
            renderer = self._renderer()
            return deals if renderer is None else [renderer.deal(d) for d in deals]

    def deals_page_json(self, params: Mapping[str, str]) -> bytes:
        """The body of `GET /crm/deals`, serialised under the lock (records are shared)."""
        quirks = self.quirks
        query = parse_deal_query(params, quirks.max_page_limit, quirks.over_limit)
        with self.lock:
            self._settle()
            renderer = self._renderer()
            if renderer is None:  # the hot path: the stored containers, serialised as they are
                return dumps({"items": [r.to_json() for r in self._query(query)]})
            return dumps({"items": [renderer.deal(r.to_json()) for r in self._query(query)]})

    def _query(self, query: DealQuery) -> list[DealRecord]:
        store = self.deals
        return run_deal_query(
            query,
            store.records,
            store.index.created,
            store.index.updated,
            store.index.modified_view,
            lambda name: name in self.deal_attributes or name in CREATED_SORT,
            self.users.id_of if self.quirks.owner_ids else None,
        )

    def _renderer(self) -> DateRenderer | None:
        """How dates are re-spelled for `date_offset`; None (nothing to do) by default."""
        offset = self.quirks.date_offset
        if offset is None:
            return None
        return DateRenderer(offset, self.deal_attributes.names_of_type("date"))

    def create_attribute(self, body: Mapping[str, Any]) -> str:
        """`POST /crm/attributes`: only deal attributes are kept (company ones are accepted)."""
        _check_mapping(body, "body")
        object_type = body.get("objectType")
        if object_type not in ("deals", "companies"):
            raise invalid("objectType must be deals or companies")
        options = body.get("optionsLabels") or []
        if not isinstance(options, list):
            raise invalid("optionsLabels must be a list")
        with self.lock:
            if object_type == "deals":
                self.deal_attributes.add(
                    str(body.get("label") or ""), str(body.get("attributeType")), options
                )
            return self._attribute_ids.new(self.now_ms())


def _check_mapping(value: Any, name: str) -> None:
    if value is not None and not isinstance(value, Mapping):
        raise invalid(f"{name} must be an object")
