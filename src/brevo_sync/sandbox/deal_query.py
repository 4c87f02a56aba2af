"""`GET /crm/deals`: its query parameters, and how a page is cut from the indexes.

Sorting by creation (the default) or by `last_updated_date` uses the sorted indexes, so
the cost of a page is a bisect plus the page. Other filters (owner, stage, pipeline, name,
linked ids) are checked one deal at a time in index order, and other `sortBy` fields sort
the candidates: linear, which is fine at this project's sizes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from brevo_sync.sandbox.clock import since_to_ms
from brevo_sync.sandbox.errors import invalid
from brevo_sync.sandbox.index import DealRecord, Key, lower_bound

DEFAULT_LIMIT = 50
CREATED_SORT = ("created_at", "creation", "createdAt")
UPDATED_SORT = ("last_updated_date", "modifiedAt", "updated_at")

_FILTERS = {
    "filters[attributes.deal_name]": "name",
    "filters[attributes.deal_owner]": "owner",
    "filters[attributes.deal_stage]": "stage",
    "filters[attributes.pipeline]": "pipeline",
    "filters[linkedCompaniesIds]": "company",
    "filters[linkedContactsIds]": "contact",
}


@dataclass(frozen=True, slots=True)
class DealQuery:
    """One `GET /crm/deals` request. Timestamps are epoch milliseconds, inclusive."""

    name: str | None = None
    owner: str | None = None
    stage: str | None = None
    pipeline: str | None = None
    company: str | None = None
    contact: int | None = None
    modified_since: int | None = None
    created_since: int | None = None
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    sort: str = "desc"
    sort_by: str | None = None


def parse_int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer") from None


def parse_limit(
    params: Mapping[str, str], max_limit: int | None, over_limit: str, default: int = DEFAULT_LIMIT
) -> int:
    """`limit` of a list endpoint. Brevo's maximum is unverified, and so is what it does
    above it: "refuse" answers 400 naming the maximum, "clamp" silently serves the maximum
    (no error, no header: the page is just shorter than asked). No maximum: any positive."""
    limit = parse_int(params, "limit", default)
    if max_limit is None:
        if limit < 1:
            raise invalid("limit must be >= 1")
        return limit
    if limit < 1 or (limit > max_limit and over_limit != "clamp"):
        raise invalid(f"limit must be between 1 and {max_limit}")
    return min(limit, max_limit)


def parse_sort(params: Mapping[str, str]) -> str:
    sort = params.get("sort") or "desc"
    if sort not in ("asc", "desc"):
        raise invalid("sort must be asc or desc")
    return sort


def parse_since(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return since_to_ms(raw)
    except ValueError:
        raise invalid(
            f"{name} must be a UTC date-time YYYY-MM-DDTHH:mm:ss.SSSZ (URL-encoded): {raw!r}"
        ) from None


def parse_deal_query(
    params: Mapping[str, str], max_limit: int | None, over_limit: str = "refuse"
) -> DealQuery:
    """Validate the query string; 400 invalid_parameter for anything Brevo would refuse."""
    values: dict[str, Any] = {}
    for param, field_name in _FILTERS.items():
        raw = params.get(param)
        if raw is not None and raw != "":
            values[field_name] = raw
    if "contact" in values:
        values["contact"] = parse_int(params, "filters[linkedContactsIds]", 0)
    offset = parse_int(params, "offset", 0)
    if offset < 0:
        raise invalid("offset must be >= 0")
    limit = parse_limit(params, max_limit, over_limit)
    return DealQuery(
        **values,
        modified_since=parse_since(params, "modifiedSince"),
        created_since=parse_since(params, "createdSince"),
        offset=offset,
        limit=limit,
        sort=parse_sort(params),
        sort_by=params.get("sortBy") or None,
    )


def _predicate(
    q: DealQuery, owner_id: Callable[[str], str | None] | None
) -> Callable[[DealRecord], bool] | None:
    checks: list[Callable[[DealRecord], bool]] = []
    if q.name is not None:
        checks.append(lambda r: r.attributes.get("deal_name") == q.name)
    if q.owner is not None and owner_id is not None:
        # Owners stored as user ids: Brevo documents this filter as the owner's account
        # e-mail, so the e-mail is looked up (any case). Assumption: a user id given here
        # matches nothing, like any string that is not a user's e-mail.
        uid = owner_id(q.owner)
        checks.append(lambda r: uid is not None and r.attributes.get("deal_owner") == uid)
    elif q.owner is not None:  # owners stored as written: compare the stored value
        owner = q.owner.lower()
        checks.append(lambda r: str(r.attributes.get("deal_owner", "")).lower() == owner)
    if q.stage is not None:
        checks.append(lambda r: r.attributes.get("deal_stage") == q.stage)
    if q.pipeline is not None:
        checks.append(lambda r: r.attributes.get("pipeline") == q.pipeline)
    if q.company is not None:
        checks.append(lambda r: q.company in r.companies)
    if q.contact is not None:
        checks.append(lambda r: q.contact in r.contacts)
    if not checks:
        return None
    return lambda r: all(check(r) for check in checks)


def run_deal_query(
    q: DealQuery,
    records: Mapping[str, DealRecord],
    created: list[Key],
    updated: list[Key],
    modified_view: Callable[[int], list[Key]],
    sortable: Callable[[str], bool],
    owner_id: Callable[[str], str | None] | None = None,
) -> list[DealRecord]:
    """The page of deals for `q`, in the requested order. `owner_id` maps the owner filter
    (an e-mail) to the stored user id; None compares the stored value itself."""
    check = _predicate(q, owner_id)
    if q.sort_by in UPDATED_SORT:
        keys = updated
        start = 0 if q.modified_since is None else lower_bound(updated, q.modified_since)
        if q.created_since is not None:
            since, inner = q.created_since, check
            check = lambda r: r.created_ms >= since and (inner is None or inner(r))  # noqa: E731
        return _page(keys, start, records, check, q)
    keys = created if q.modified_since is None else modified_view(q.modified_since)
    start = 0 if q.created_since is None else lower_bound(keys, q.created_since)
    if q.sort_by is None or q.sort_by in CREATED_SORT:
        return _page(keys, start, records, check, q)
    if not sortable(q.sort_by):
        raise invalid(f"sortBy {q.sort_by} is not a deal attribute")
    candidates = [records[k[2]] for k in keys[start:]]
    if check is not None:
        candidates = [r for r in candidates if check(r)]
    ordered = _sorted_by_attribute(candidates, q.sort_by)
    if q.sort == "desc":
        ordered.reverse()
    return ordered[q.offset : q.offset + q.limit]


def _sorted_by_attribute(candidates: list[DealRecord], name: str) -> list[DealRecord]:
    """Numbers, then text, then deals without the attribute (reversed for `desc`).

    Each group is sorted on the bare value: Python's sort is stable, so ties keep the
    creation order the candidates arrive in, without paying for tuple keys."""
    numbers: list[DealRecord] = []
    texts: list[DealRecord] = []
    absent: list[DealRecord] = []
    for rec in candidates:
        value = rec.attributes.get(name)
        if value is None:
            absent.append(rec)
        elif isinstance(value, int | float):
            numbers.append(rec)
        else:
            texts.append(rec)
    numbers.sort(key=lambda r: r.attributes[name])
    texts.sort(key=lambda r: str(r.attributes[name]))
    return numbers + texts + absent


def _page(
    keys: list[Key],
    start: int,
    records: Mapping[str, DealRecord],
    check: Callable[[DealRecord], bool] | None,
    q: DealQuery,
) -> list[DealRecord]:
    n = len(keys)
    if check is None:  # pure index slice: O(page)
        if q.sort == "asc":
            chosen = keys[start + q.offset : start + q.offset + q.limit]
        else:
            hi = n - q.offset
            chosen = keys[max(start, hi - q.limit) : max(start, hi)][::-1]
        return [records[k[2]] for k in chosen]
    order = range(start, n) if q.sort == "asc" else range(n - 1, start - 1, -1)
    out: list[DealRecord] = []
    skip = q.offset
    for i in order:
        rec = records[keys[i][2]]
        if check(rec):
            if skip:
                skip -= 1
            else:
                out.append(rec)
                if len(out) == q.limit:
                    break
    return out
