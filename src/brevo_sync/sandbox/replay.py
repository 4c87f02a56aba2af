"""The last successful response per method and path, for the `repeat` fault.

Kept for every request, not only while a rule is armed, because the response to repeat is
the one served *before* the rule fires (`repeat_next(1)` right after page one makes page
two a copy of it). Bounded, because paths carry ids (`GET /crm/deals/{id}` over a big
account would otherwise keep every deal twice); a path that fell out was not asked for
recently, and a repeat there just serves normally.

One per app (the gate owns it). The lock is cheap insurance: an in-process transport may
be driven from several threads in turn.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from starlette.types import Message

MAX_PATHS = 1024


class ResponseMemory:
    def __init__(self, max_paths: int = MAX_PATHS) -> None:
        self._last: OrderedDict[tuple[str, str], list[Message]] = OrderedDict()
        self._max = max_paths
        self._lock = threading.Lock()

    def has(self, method: str, path: str) -> bool:
        with self._lock:
            return (method, path) in self._last

    def get(self, method: str, path: str) -> list[Message] | None:
        with self._lock:
            return self._last.get((method, path))

    def keep(self, method: str, path: str, messages: list[Message]) -> None:
        """Remember a response the client was sent (ASGI messages, not mutated later)."""
        key = (method, path)
        with self._lock:
            self._last[key] = messages
            self._last.move_to_end(key)
            if len(self._last) > self._max:
                self._last.popitem(last=False)
