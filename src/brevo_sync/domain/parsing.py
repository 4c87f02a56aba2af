"""Turn one Brevo deal record (the JSON of `GET /crm/deals`) into a Deal, or say why not.

Brevo returns dates in several spellings (`2024-01-01T10:00:00.000Z`, `...+00:00`, plain dates)
and numbers as numbers or strings; everything is normalised to aware UTC datetimes and
Decimals here, once, so no other layer has to guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from brevo_sync.domain.deal import Deal, DealAttribute, Pipeline, Stage


class RecordError(ValueError):
    """A record from Brevo that cannot be understood; the message is the quarantine reason."""


@dataclass(frozen=True, slots=True)
class TypedAttributeNames:
    """Brevo attribute names of the typed deal fields (two are unverified, hence settable)."""

    close_date: str = "close_date"
    currency: str = "deal_currency"


def parse_timestamp(value: Any, *, field: str) -> datetime | None:
    """An aware UTC datetime from Brevo's spellings; None for empty values."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:  # Python 3.11 reads the trailing "Z" Brevo writes
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise RecordError(f"{field}: not a date-time: {value!r}") from None
    else:
        raise RecordError(f"{field}: not a date-time: {value!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)


def parse_date(value: Any, *, field: str) -> date | None:
    """A date-only attribute (the close date) as the calendar day it names.

    Brevo writes such dates as midnight with an offset (`2026-01-01T00:00:00.000+05:30`):
    that is the 1st of January, whatever instant it is in UTC, so the day is read as written
    and never converted (converting would make it the 31st of December)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise RecordError(f"{field}: not a date: {value!r}")
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise RecordError(f"{field}: not a date: {value!r}") from None


def parse_amount(value: Any, *, field: str = "amount") -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordError(f"{field}: not a number: {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{field}: not a number: {value!r}") from None
    if not amount.is_finite():
        raise RecordError(f"{field}: not a finite number: {value!r}")
    return amount


def _optional_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def parse_deal(raw: Mapping[str, Any], names: TypedAttributeNames | None = None) -> Deal:
    """A Deal from one raw Brevo record; RecordError with the reason when it cannot be read."""
    names = names or TypedAttributeNames()
    if not isinstance(raw, Mapping):
        raise RecordError(f"record is not an object: {type(raw).__name__}")
    deal_id = raw.get("id")
    if not isinstance(deal_id, str | int) or isinstance(deal_id, bool) or str(deal_id) == "":
        raise RecordError("id: missing or not a string")
    attrs = raw.get("attributes")
    if attrs is None:
        attrs = {}
    if not isinstance(attrs, Mapping):
        raise RecordError("attributes: not an object")
    contacts = raw.get("linkedContactsIds")
    companies = raw.get("linkedCompaniesIds")
    contacts = [] if contacts is None else contacts
    companies = [] if companies is None else companies
    if not isinstance(contacts, list) or not isinstance(companies, list):
        raise RecordError("linkedContactsIds/linkedCompaniesIds: not lists")
    try:
        contact_ids = tuple(int(c) for c in contacts)
    except (TypeError, ValueError):
        raise RecordError(f"linkedContactsIds: not integers: {contacts!r}") from None
    return Deal(
        id=str(deal_id),
        name=_optional_str(attrs.get("deal_name") or raw.get("name")),
        pipeline_id=_optional_str(attrs.get("pipeline")),
        stage_id=_optional_str(attrs.get("deal_stage")),
        owner=_optional_str(attrs.get("deal_owner")),
        amount=parse_amount(attrs.get("amount")),
        currency=_optional_str(attrs.get(names.currency)),
        close_date=parse_date(attrs.get(names.close_date), field=names.close_date),
        created_at=parse_timestamp(attrs.get("created_at"), field="created_at"),
        updated_at=parse_timestamp(attrs.get("last_updated_date"), field="last_updated_date"),
        stage_updated_at=parse_timestamp(attrs.get("stage_updated_at"), field="stage_updated_at"),
        last_activity_at=parse_timestamp(
            attrs.get("last_activity_date"), field="last_activity_date"
        ),
        attributes=dict(attrs),
        contact_ids=contact_ids,
        company_ids=tuple(str(c) for c in companies),
    )


def parse_pipelines(raw: Any) -> list[Pipeline]:
    """Pipelines from `GET /crm/pipeline/details/all`; RecordError if the shape is wrong."""
    if not isinstance(raw, list):
        raise RecordError("pipelines: expected a list")
    pipelines = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping) or not item.get("pipeline"):
            raise RecordError(f"pipelines[{index}]: missing pipeline id")
        if str(item["pipeline"]) in seen:
            raise RecordError(f"pipelines[{index}]: pipeline id {item['pipeline']} appears twice")
        seen.add(str(item["pipeline"]))
        stages = tuple(
            Stage(id=str(s["id"]), name=str(s.get("name", "")), position=pos)
            for pos, s in enumerate(item.get("stages") or [])
            if isinstance(s, Mapping) and s.get("id")
        )
        repeated = {s.id for s in stages if sum(1 for t in stages if t.id == s.id) > 1}
        if repeated:
            raise RecordError(
                f"pipelines[{index}]: stage id {sorted(repeated)[0]} appears twice in one pipeline"
            )
        pipelines.append(
            Pipeline(
                id=str(item["pipeline"]),
                name=str(item.get("pipeline_name") or ""),
                stages=stages,
                position=index,
            )
        )
    return pipelines


def parse_attribute_catalogue(raw: Any) -> list[DealAttribute]:
    """The deal attribute catalogue from `GET /crm/attributes/deals`."""
    if not isinstance(raw, list):
        raise RecordError("deal attributes: expected a list")
    catalogue = []
    names: set[str] = set()
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping) or not item.get("internalName"):
            raise RecordError(f"deal attributes[{index}]: missing internalName")
        if str(item["internalName"]) in names:
            raise RecordError(f"deal attributes[{index}]: {item['internalName']} appears twice")
        names.add(str(item["internalName"]))
        options = tuple(
            (str(o.get("key", "")), str(o.get("value", "")))
            for o in item.get("attributeOptions") or []
            if isinstance(o, Mapping)
        )
        catalogue.append(
            DealAttribute(
                internal_name=str(item["internalName"]),
                label=str(item.get("label") or ""),
                type=str(item.get("attributeTypeName") or ""),
                options=options,
                is_required=bool(item.get("isRequired")),
                is_readonly=bool(item.get("isValueReadonly")),
            )
        )
    return catalogue


def with_attributes(
    deal: Deal, changes: Mapping[str, Any], names: TypedAttributeNames | None = None
) -> Deal:
    """The deal with some attributes set (typed fields follow): how a change we made, and
    Brevo has not shown yet, is laid over what a pull read."""
    if not changes:
        return deal
    raw = {
        "id": deal.id,
        "attributes": {**deal.attributes, **changes},
        "linkedContactsIds": list(deal.contact_ids),
        "linkedCompaniesIds": list(deal.company_ids),
    }
    return parse_deal(raw, names)
