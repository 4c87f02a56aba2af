"""The CRM writes around deals: tasks, notes, company updates and new custom attributes.

A mixin of `SdkBrevoGateway`: every call goes through its `BrevoCaller`, so it is budgeted
(the CRM bucket), counted by endpoint template, retried only when safe and mapped to
`brevo_sync.errors`. Creates are POSTs without an idempotency key: after an unclear outcome
(5xx, read timeout, dropped connection) they raise `BrevoOutcomeUnknown` and are not repeated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import brevo

from brevo_sync.adapters.brevo.bodies import created_id, json_items
from brevo_sync.adapters.brevo.calls import BrevoCaller
from brevo_sync.adapters.brevo.times import as_utc
from brevo_sync.domain.sync import RawRecord
from brevo_sync.errors import BrevoBadRequest, BrevoError

_OMIT: Any = ...  # the SDK's "leave this field out" sentinel (None would be sent as null)

ATTRIBUTE_TYPES = ("text", "user", "number", "single-select", "date", "boolean", "multi-choice")
_SELECTS = ("single-select", "multi-choice")
_LOOKUP_LIMIT = 100  # newest first: what an unclear create may have made is among the latest


def _or_omit(values: Sequence[Any]) -> Any:
    return list(values) if values else _OMIT


def is_duplicate(exc: BrevoBadRequest) -> bool:
    """A refusal that says the object exists already (Brevo's `duplicate_parameter`, or a
    message saying so: the exact wording of a duplicate label is unverified)."""
    text = str(exc).lower()
    return exc.code == "duplicate_parameter" or "already exist" in text


class CrmWrites:
    """Tasks, notes, companies, attributes. Needs `_sdk` and `_caller` (see SdkBrevoGateway)."""

    _sdk: brevo.Brevo
    _caller: BrevoCaller

    def create_task(
        self,
        *,
        name: str,
        task_type_id: str,
        date: datetime,
        assign_to: str | None,
        deal_ids: Sequence[str],
        contact_ids: Sequence[int] = (),
        company_ids: Sequence[str] = (),
        notes: str | None = None,
        duration_ms: int | None = None,
    ) -> str:
        """`POST /crm/tasks` (201 `{id}`); returns the task id. `date` is the due time (naive
        means UTC), `assign_to` a user's e-mail or id (None: Brevo's default, the key's owner).

        Never repeated after Brevo may have received it: BrevoOutcomeUnknown. Brevo cannot
        list tasks by anything of ours, so after that the caller decides (e.g. look at
        `GET /crm/tasks?filter[deals]=...`, or accept one possible duplicate)."""
        if not name.strip():
            raise ValueError("a task needs a name")
        if duration_ms is not None and duration_ms < 0:
            raise ValueError("duration_ms must be >= 0")
        raw = self._sdk.tasks.with_raw_response
        response = self._caller.call(
            "POST",
            "/crm/tasks",
            lambda: (
                raw.create_a_task(
                    name=name,
                    task_type_id=task_type_id,
                    date=as_utc(date),
                    assign_to_id=assign_to if assign_to else _OMIT,
                    deals_ids=_or_omit(deal_ids),
                    contacts_ids=_or_omit(contact_ids),
                    companies_ids=_or_omit(company_ids),
                    notes=notes if notes is not None else _OMIT,
                    duration=duration_ms if duration_ms is not None else _OMIT,
                ).response
            ),
        )
        return created_id(response, "POST /crm/tasks")

    def list_task_types(self) -> list[RawRecord]:
        """`GET /crm/tasktypes`: `[{id, title}]` (Call, Email, Meeting, Todo, ...)."""
        raw = self._sdk.tasks.with_raw_response
        response = self._caller.call(
            "GET", "/crm/tasktypes", lambda: raw.get_all_task_types().response
        )
        return json_items(response, "GET /crm/tasktypes")

    def deal_tasks(self, deal_id: str) -> list[RawRecord]:
        """The deal's tasks, newest first (up to 100): `GET /crm/tasks?filter[deals]=id`.
        How a task whose create had an unclear outcome is found (match its name and date)."""
        raw = self._sdk.tasks.with_raw_response
        response = self._caller.call(
            "GET",
            "/crm/tasks",
            lambda: raw.get_all_tasks(filter_deals=deal_id, limit=_LOOKUP_LIMIT).response,
        )
        return json_items(response, "GET /crm/tasks")

    def create_note(
        self,
        *,
        text: str,
        deal_ids: Sequence[str],
        contact_ids: Sequence[int] = (),
        company_ids: Sequence[str] = (),
    ) -> str:
        """`POST /crm/notes` (200 `{id}`); returns the note id. `text` may use Brevo's small
        HTML subset (p, b, i, u, br, a). BrevoOutcomeUnknown after an unclear outcome."""
        if not text.strip():
            raise ValueError("a note needs text")
        raw = self._sdk.notes.with_raw_response
        response = self._caller.call(
            "POST",
            "/crm/notes",
            lambda: (
                raw.create_a_note(
                    text=text,
                    deal_ids=_or_omit(deal_ids),
                    contact_ids=_or_omit(contact_ids),
                    company_ids=_or_omit(company_ids),
                ).response
            ),
        )
        return created_id(response, "POST /crm/notes")

    def deal_notes(self, deal_id: str) -> list[RawRecord]:
        """The deal's notes, newest first (up to 100): `GET /crm/notes?entity=deals&entityIds=`.
        How a note whose create had an unclear outcome is found (match its text)."""
        raw = self._sdk.notes.with_raw_response
        response = self._caller.call(
            "GET",
            "/crm/notes",
            lambda: (
                raw.get_all_notes(entity="deals", entity_ids=deal_id, limit=_LOOKUP_LIMIT).response
            ),
        )
        return json_items(response, "GET /crm/notes")

    def get_company(self, company_id: str) -> RawRecord:
        """`GET /companies/{id}`: `{id, attributes{...}, linkedContactsIds, linkedDealsIds}`."""
        raw = self._sdk.companies.with_raw_response
        response = self._caller.call(
            "GET",
            "/companies/{id}",
            lambda: raw.get_a_company(company_id).response,
            path=f"/companies/{company_id}",
        )
        body = response.json()
        if not isinstance(body, dict):
            raise BrevoError(
                f"GET /companies/{company_id}: HTTP {response.status_code} without an object",
                status=response.status_code,
                endpoint="GET /companies/{id}",
            )
        return body

    def update_company(self, company_id: str, attributes: Mapping[str, Any]) -> None:
        """`PATCH /companies/{id}` with these attributes only (linked lists untouched).
        Idempotent, so retried like any PATCH; nothing to change spends no request."""
        if not attributes:
            return
        raw = self._sdk.companies.with_raw_response
        self._caller.call(
            "PATCH",
            "/companies/{id}",
            lambda: raw.update_a_company(company_id, attributes=dict(attributes)).response,
            path=f"/companies/{company_id}",
        )

    def create_deal_attribute(
        self,
        *,
        label: str,
        attribute_type: str,
        object_type: str = "deals",
        options: Sequence[str] | None = None,
    ) -> None:
        """`POST /crm/attributes`: a custom attribute. Brevo derives the internal name from
        the label (the sandbox: lower case, every run of other characters one `_`, trimmed:
        "Lost Reason" -> `lost_reason`); the real rule is unverified, so find the new
        attribute by its label in `list_deal_attributes()` rather than guessing its name.

        Brevo refuses a second attribute with the same label, and that refusal counts as
        success here; so, unlike other creates, this one is safe to repeat and is retried
        after a 5xx or a lost answer like a PATCH (never BrevoOutcomeUnknown). Whether an
        attribute that existed has the wanted type is the caller's check."""
        if attribute_type not in ATTRIBUTE_TYPES:
            raise ValueError(f"attribute_type must be one of {', '.join(ATTRIBUTE_TYPES)}")
        if object_type not in ("deals", "companies"):
            raise ValueError("object_type must be deals or companies")
        if attribute_type in _SELECTS and not options:
            raise ValueError(f"a {attribute_type} attribute needs options")
        if not label.strip():
            raise ValueError("an attribute needs a label")
        raw = self._sdk.companies.with_raw_response
        try:
            self._caller.call(
                "POST",
                "/crm/attributes",
                lambda: (
                    raw.create_a_company_deal_attribute(
                        label=label,
                        attribute_type=attribute_type,
                        object_type=object_type,
                        options_labels=list(options) if options else _OMIT,
                    ).response
                ),
                idempotent=True,
            )
        except BrevoBadRequest as exc:
            if not is_duplicate(exc):
                raise
