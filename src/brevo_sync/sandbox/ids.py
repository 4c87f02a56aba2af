"""Identifiers shaped like Brevo's: 24-hex ObjectIds for deals and companies, UUIDs for stages.

Deterministic on purpose: ids derive from a seed, the sandbox clock and a counter, so the
same seeded run yields the same ids byte for byte, and a created id never collides with a
seeded one (the counter is shared).
"""

from __future__ import annotations

import hashlib
import itertools


def stable_hex(namespace: str, length: int = 24) -> str:
    """A hex id fixed by a name: pipelines and catalogue entries keep their ids across seeds,
    so a rules file that names them keeps working."""
    return hashlib.sha1(namespace.encode(), usedforsecurity=False).hexdigest()[:length]


def stable_uuid(namespace: str) -> str:
    """A UUID-shaped id fixed by a name (Brevo's stage ids look like UUIDs)."""
    h = hashlib.sha1(namespace.encode(), usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


class ObjectIdFactory:
    """MongoDB-style ids: 4 bytes of seconds, 5 bytes fixed per factory, 3 bytes of counter."""

    def __init__(self, seed: int, kind: str) -> None:
        self._middle = int(stable_hex(f"{kind}:{seed}", 10), 16) << 24
        # next() on itertools.count is atomic under the GIL: no lock needed, and this is hot
        # while seeding.
        self._counter = itertools.count(1)

    def new(self, epoch_ms: int) -> str:
        seconds = (epoch_ms // 1000) & 0xFFFFFFFF if epoch_ms > 0 else 0
        return f"{seconds << 64 | self._middle | next(self._counter) & 0xFFFFFF:024x}"
