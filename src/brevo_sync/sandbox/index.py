"""Sorted indexes over deals, so a page of `GET /crm/deals` costs O(log n + page) at 200k deals.

Keys are `(milliseconds, seq, id)` tuples: `seq` is the insertion sequence, so equal
timestamps (Brevo shares them within a millisecond) still have one stable order.

`modifiedSince` in creation order is a two-dimensional question (filter on one timestamp,
order by the other). It is answered by a *view*: the creation-ordered keys of the deals
modified at or after one threshold. A view is built once per threshold (O(m log m) for m
matching deals) and then kept exact under every change in O(log m), so a client that pages
through one `modifiedSince` value pays the build once and every later page is a bisect and
a slice. A handful of recent thresholds are kept (LRU).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

Key = tuple[int, int, str]
MAX_VIEWS = 8


@dataclass(slots=True)
class DealRecord:
    """One stored deal. `attributes` holds the JSON attributes, timestamps included."""

    id: str
    seq: int
    created_ms: int
    updated_ms: int
    attributes: dict[str, Any]
    contacts: list[int] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)

    @property
    def ckey(self) -> Key:
        return (self.created_ms, self.seq, self.id)

    @property
    def ukey(self) -> Key:
        return (self.updated_ms, self.seq, self.id)

    def to_json(self) -> dict[str, Any]:
        """The API shape. Shares the stored containers: serialise it while holding the lock."""
        return {
            "id": self.id,
            "attributes": self.attributes,
            "linkedContactsIds": self.contacts,
            "linkedCompaniesIds": self.companies,
        }


def remove_key(keys: list[Key], key: Key) -> bool:
    i = bisect_left(keys, key)
    if i < len(keys) and keys[i] == key:
        del keys[i]
        return True
    return False


def lower_bound(keys: list[Key], ms: int) -> int:
    """Index of the first key at or after `ms` (a 1-tuple sorts before every key with that ms)."""
    return bisect_left(keys, (ms,))


class DealIndex:
    """Creation and last-update orders plus the `modifiedSince` views, kept consistent."""

    def __init__(self, records: Mapping[str, DealRecord]) -> None:
        self._records = records
        self.created: list[Key] = []
        # Last-update time of each deal, aligned with `created`: lets a new view be cut from
        # the creation order by `itertools.compress` at C speed instead of a Python loop.
        self.created_updated: list[int] = []
        self.updated: list[Key] = []
        self._views: OrderedDict[int, list[Key]] = OrderedDict()

    def bulk_load(self, records: list[DealRecord]) -> None:
        """Replace everything at once (seeding): one sort each instead of n inserts."""
        pairs = [((r.created_ms, r.seq, r.id), r.updated_ms) for r in records]
        pairs.sort()  # linear when the records come in creation order, as seeding does
        self.created = [p[0] for p in pairs]
        self.created_updated = [p[1] for p in pairs]
        self.updated = sorted([(r.updated_ms, r.seq, r.id) for r in records])
        self._views.clear()

    def add(self, rec: DealRecord) -> None:
        key = rec.ckey
        i = bisect_left(self.created, key)
        self.created.insert(i, key)
        self.created_updated.insert(i, rec.updated_ms)
        insort(self.updated, rec.ukey)
        for threshold, view in self._views.items():
            if rec.updated_ms >= threshold:
                insort(view, rec.ckey)

    def remove(self, rec: DealRecord) -> None:
        i = self._position(rec)
        del self.created[i]
        del self.created_updated[i]
        remove_key(self.updated, rec.ukey)
        for threshold, view in self._views.items():
            if rec.updated_ms >= threshold:
                remove_key(view, rec.ckey)

    def retime(self, rec: DealRecord, new_updated_ms: int) -> None:
        """Move a deal to a new last-update time, in every index, then on the record."""
        remove_key(self.updated, rec.ukey)
        old = rec.updated_ms
        rec.updated_ms = new_updated_ms
        insort(self.updated, rec.ukey)
        self.created_updated[self._position(rec)] = new_updated_ms
        for threshold, view in self._views.items():
            was, now = old >= threshold, new_updated_ms >= threshold
            if now and not was:
                insort(view, rec.ckey)
            elif was and not now:  # only if the clock went backwards
                remove_key(view, rec.ckey)

    def _position(self, rec: DealRecord) -> int:
        i = bisect_left(self.created, rec.ckey)
        if i == len(self.created) or self.created[i][2] != rec.id:
            raise KeyError(rec.id)
        return i

    def modified_view(self, threshold: int) -> list[Key]:
        """Creation-ordered keys of deals with last update >= threshold. Do not mutate."""
        start = lower_bound(self.updated, threshold)
        if start == 0:
            return self.created  # every deal matches: the plain creation order
        view = self._views.get(threshold)
        if view is not None:
            self._views.move_to_end(threshold)
            return view
        matching = len(self.updated) - start
        if matching * 16 <= len(self.updated):  # few match: sort just those
            view = sorted(self._records[k[2]].ckey for k in self.updated[start:])
        else:  # many match: one C-speed pass over the creation order
            view = list(compress(self.created, map(threshold.__le__, self.created_updated)))
        self._views[threshold] = view
        while len(self._views) > MAX_VIEWS:
            self._views.popitem(last=False)
        return view
