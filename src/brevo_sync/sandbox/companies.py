"""Companies: `GET /companies` pages by `page` (1-based) and `limit`, PATCH answers 200 with the
company. `linkedDealsIds` is read from the deals' own links so both sides always agree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from brevo_sync.sandbox.clock import format_ms
from brevo_sync.sandbox.deal_query import parse_int, parse_limit, parse_sort
from brevo_sync.sandbox.errors import invalid, missing, not_found
from brevo_sync.sandbox.ids import ObjectIdFactory


@dataclass(slots=True)
class CompanyRecord:
    id: str
    seq: int
    created_ms: int
    attributes: dict[str, Any]
    contacts: list[int] = field(default_factory=list)


class CompanyStore:
    def __init__(self, ids: ObjectIdFactory, deals_by_company: Mapping[str, Mapping[str, None]]):
        self._ids = ids
        self._deals_by_company = deals_by_company
        self.records: dict[str, CompanyRecord] = {}
        self._seq = 0

    def to_json(self, rec: CompanyRecord) -> dict[str, Any]:
        return {
            "id": rec.id,
            "attributes": dict(rec.attributes),
            "linkedContactsIds": list(rec.contacts),
            "linkedDealsIds": list(self._deals_by_company.get(rec.id, {})),
        }

    def get(self, company_id: str) -> CompanyRecord:
        rec = self.records.get(company_id)
        if rec is None:
            raise not_found()
        return rec

    def add(self, attributes: dict[str, Any], contacts: list[int], now_ms: int) -> CompanyRecord:
        """Insert without validation: for seeding and for `create` after it validated."""
        self._seq += 1
        stamp = format_ms(now_ms)
        attrs = {**attributes, "created_at": stamp, "last_updated_at": stamp}
        attrs["number_of_contacts"] = len(contacts)
        rec = CompanyRecord(self._ids.new(now_ms), self._seq, now_ms, attrs, contacts)
        self.records[rec.id] = rec
        return rec

    def create(self, body: Mapping[str, Any], now_ms: int) -> CompanyRecord:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise missing("name is required")
        attributes = _attributes(body.get("attributes"))
        if body.get("countryCode") is not None:
            attributes["country_code"] = body["countryCode"]
        contacts = _ints(body.get("linkedContactsIds") or [])
        return self.add({"name": name, **attributes}, contacts, now_ms)

    def update(self, company_id: str, body: Mapping[str, Any], now_ms: int) -> CompanyRecord:
        rec = self.get(company_id)
        attributes = _attributes(body.get("attributes"))
        if body.get("name") is not None:
            attributes["name"] = body["name"]
        contacts = (
            None if body.get("linkedContactsIds") is None else _ints(body["linkedContactsIds"])
        )
        for key, value in attributes.items():
            if key in ("created_at", "last_updated_at", "number_of_contacts"):
                continue
            if value is None:
                rec.attributes.pop(key, None)
            else:
                rec.attributes[key] = value
        if contacts is not None:
            rec.contacts = contacts
            rec.attributes["number_of_contacts"] = len(contacts)
        rec.attributes["last_updated_at"] = format_ms(now_ms)
        return rec

    def delete(self, company_id: str) -> None:
        self.get(company_id)
        del self.records[company_id]

    def page(
        self, params: Mapping[str, str], max_limit: int | None, over_limit: str = "refuse"
    ) -> list[CompanyRecord]:
        page = parse_int(params, "page", 1)
        if page < 1:
            raise invalid("page must be >= 1")
        # Clamped, pages are cut by the served size: page 2 starts after the items page 1
        # actually held, as a server that caps `limit` before paging would do.
        limit = parse_limit(params, max_limit, over_limit)
        items = list(self.records.values())
        name = params.get("filters[attributes.name]")
        if name:
            items = [c for c in items if str(c.attributes.get("name", "")).lower() == name.lower()]
        deal = params.get("linkedDealsIds")
        if deal:
            items = [c for c in items if deal in self._deals_by_company.get(c.id, {})]
        contact = params.get("linkedContactsIds")
        if contact:
            wanted = parse_int(params, "linkedContactsIds", 0)
            items = [c for c in items if wanted in c.contacts]
        sort_by = params.get("sortBy") or "created_at"
        if sort_by == "created_at":
            items.sort(key=lambda c: (c.created_ms, c.seq))
        else:
            items.sort(key=lambda c: (str(c.attributes.get(sort_by, "")), c.seq))
        if parse_sort(params) == "desc":
            items.reverse()
        return items[(page - 1) * limit : page * limit]


def _attributes(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("attributes must be an object")
    return dict(value)


def _ints(values: Any) -> list[int]:
    if not isinstance(values, list) or any(
        isinstance(v, bool) or not isinstance(v, int) for v in values
    ):
        raise invalid("linkedContactsIds must be a list of integers")
    return list(dict.fromkeys(values))
