"""Request counts as the sandbox saw them, by `METHOD /path/template` (e.g. `GET /crm/deals`).

Benchmarks compare these with the client's own counters: every request that reached the
server counts, including those answered 401, 429 or by an injected fault.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestStats:
    def __init__(self) -> None:
        self._by_endpoint: Counter[str] = Counter()
        self._by_status: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, endpoint: str) -> None:
        with self._lock:
            self._by_endpoint[endpoint] += 1

    def record_outcome(self, outcome: int | str) -> None:
        """The status answered, or `dropped` for a connection closed without a response."""
        with self._lock:
            self._by_status[str(outcome)] += 1

    def count(self, endpoint: str) -> int:
        with self._lock:
            return self._by_endpoint[endpoint]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._by_endpoint.values()),
                "by_endpoint": dict(sorted(self._by_endpoint.items())),
                "by_status": dict(sorted(self._by_status.items())),
            }

    def reset(self) -> None:
        with self._lock:
            self._by_endpoint.clear()
            self._by_status.clear()
