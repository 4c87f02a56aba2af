"""Tasks and notes. They are stored and listed; they do not change the deals they name.

Assumption: on the real API a task may bump the deal's activity counters and dates. The
sandbox leaves deals alone so that writing a task cannot make the mirror re-read the deal
and fire the same rule again; if Brevo turns out to bump them, this is the place to add it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from brevo_sync.sandbox.clock import format_ms, parse_timestamp
from brevo_sync.sandbox.deal_query import parse_int, parse_limit, parse_sort
from brevo_sync.sandbox.errors import invalid, missing
from brevo_sync.sandbox.ids import ObjectIdFactory

NOTE_MAX_CHARS = 3000
SANDBOX_AUTHOR = {
    "id": "5f0c1a2b3c4d5e6f7a8b9c0d",
    "email": "sandbox.owner@example.com",
    "locale": "en_GB",
    "timezone": "UTC",
    "name": {"fullName": "Sandbox Owner"},
}


def _ids(body: Mapping[str, Any], name: str, kind: type) -> list[Any]:
    values = body.get(name) or []
    if not isinstance(values, list) or any(
        isinstance(v, bool) or not isinstance(v, kind) for v in values
    ):
        raise invalid(f"{name} must be a list of {'integers' if kind is int else 'ids'}")
    return list(dict.fromkeys(values))


class TaskStore:
    def __init__(self, ids: ObjectIdFactory, task_types: list[dict[str, str]]) -> None:
        self._ids = ids
        self.task_types = task_types
        self.items: list[dict[str, Any]] = []

    def create(self, body: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
        name, type_id, when = body.get("name"), body.get("taskTypeId"), body.get("date")
        if not isinstance(name, str) or not name.strip():
            raise missing("name is required")
        if not type_id:
            raise missing("taskTypeId is required")
        if type_id not in {t["id"] for t in self.task_types}:
            raise invalid(f"taskTypeId {type_id} not found")
        if not isinstance(when, str) or not when:
            raise missing("date is required")
        try:
            parse_timestamp(when)
        except ValueError:
            raise invalid(f"date is not a valid date-time: {when!r}") from None
        task = {
            "id": self._ids.new(now_ms),
            "name": name,
            "taskTypeId": type_id,
            "date": when,
            "duration": body.get("duration"),
            "notes": body.get("notes"),
            "done": bool(body.get("done", False)),
            "assignToId": body.get("assignToId"),
            "contactsIds": _ids(body, "contactsIds", int),
            "dealsIds": _ids(body, "dealsIds", str),
            "companiesIds": _ids(body, "companiesIds", str),
            "reminder": body.get("reminder"),
            "createdAt": format_ms(now_ms),
        }
        self.items.append(task)
        return task

    def page(
        self, params: Mapping[str, str], max_limit: int | None, over_limit: str = "refuse"
    ) -> list[dict[str, Any]]:
        items = self.items
        for param, key in (
            ("filter[deals]", "dealsIds"),
            ("filter[companies]", "companiesIds"),
        ):
            if params.get(param):
                wanted = set(params[param].split(","))
                items = [t for t in items if wanted & set(t[key])]
        if params.get("filter[contacts]"):
            contacts = {int(c) for c in params["filter[contacts]"].split(",") if c.isdigit()}
            items = [t for t in items if contacts & set(t["contactsIds"])]
        if params.get("filter[type]"):
            items = [t for t in items if t["taskTypeId"] == params["filter[type]"]]
        status = params.get("filter[status]")
        if status in ("done", "undone"):
            items = [t for t in items if t["done"] == (status == "done")]
        return _slice(items, params, max_limit, over_limit)


class NoteStore:
    def __init__(self, ids: ObjectIdFactory) -> None:
        self._ids = ids
        self.items: list[dict[str, Any]] = []

    def create(self, body: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise missing("text is required")
        if len(text) > NOTE_MAX_CHARS:
            raise invalid(f"text is longer than {NOTE_MAX_CHARS} characters")
        stamp = format_ms(now_ms)
        note = {
            "id": self._ids.new(now_ms),
            "text": text,
            "contactIds": _ids(body, "contactIds", int),
            "dealIds": _ids(body, "dealIds", str),
            "companyIds": _ids(body, "companyIds", str),
            "authorId": SANDBOX_AUTHOR,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        self.items.append(note)
        return note

    def page(
        self, params: Mapping[str, str], max_limit: int | None, over_limit: str = "refuse"
    ) -> list[dict[str, Any]]:
        items = self.items
        entity = params.get("entity")
        if entity:
            key = {"deals": "dealIds", "companies": "companyIds", "contacts": "contactIds"}.get(
                entity
            )
            if key is None:
                raise invalid("entity must be deals, companies or contacts")
            wanted = set((params.get("entityIds") or "").split(","))
            if key == "contactIds":
                items = [n for n in items if wanted & {str(c) for c in n[key]}]
            else:
                items = [n for n in items if wanted & set(n[key])]
        return _slice(items, params, max_limit, over_limit)


def _slice(
    items: list[dict[str, Any]],
    params: Mapping[str, str],
    max_limit: int | None,
    over_limit: str,
) -> list[dict[str, Any]]:
    """Offset paging in creation order, newest first unless `sort=asc` (Brevo's default)."""
    offset = parse_int(params, "offset", 0)
    if offset < 0:
        raise invalid("offset must be >= 0")
    limit = parse_limit(params, max_limit, over_limit)
    ordered = items if parse_sort(params) == "asc" else items[::-1]
    return ordered[offset : offset + limit]
