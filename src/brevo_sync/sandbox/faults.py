"""Fault injection: make the sandbox fail the way networks and busy APIs fail.

A rule matches requests (optionally by path prefix and method), counts them, and fires on
the `start_at`-th match and after, at most `count` times (None: until cleared):

- `status`: answer an error status (500/502/503/429...) instead of the real response;
- `delay`: hold the response `seconds` longer;
- `drop`: close the connection without any response;
- `repeat`: answer with the previous successful response (status and body) to the same
  method and path, query ignored, as a server that ignores `offset` past some point would:
  `repeat_from(3, path_prefix="/crm/deals", method="GET")` makes every page from the third
  on a copy of the second. With no previous response yet, the request is served normally
  and the rule does not count it as fired.

`phase` says whether the fault strikes before the request is processed or after it (the
default for `drop` and `delay`). A drop *after* processing is the nasty one: the deal was
created but the client never hears so, and a retry makes a duplicate. A `repeat` is
decided after the api key and the rate limit (it is a normal answer as far as they go);
"before" (its default) skips the route, "after" runs it and then answers the old response.

Rules are checked in the order they were added. Every matching request counts towards each
rule's `start_at`; delays add up; the first failing rule (status, drop or repeat) that is
due decides the response, and only that one spends its `count`, so stacked `fail_next`
rules strike one after the other. Requests failed *before* processing do not spend
rate-limit budget; repeated ones do, like any answer the server gives.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["status", "delay", "drop", "repeat"]
Phase = Literal["before", "after"]
_KINDS = ("status", "delay", "drop", "repeat")


@dataclass(slots=True)
class FaultRule:
    kind: Kind
    status: int = 503
    count: int | None = None
    start_at: int = 1
    seconds: float = 0.0
    phase: Phase | None = None
    path_prefix: str | None = None
    method: str | None = None
    body: str | None = None  # raw body instead of Brevo's JSON error (e.g. a proxy's HTML)
    id: int = 0
    seen: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"kind must be one of {', '.join(_KINDS)}")
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be >= 1 (or null for until cleared)")
        if self.start_at < 1:
            raise ValueError("start_at must be >= 1")
        if self.seconds < 0:
            raise ValueError("seconds must be >= 0")
        if self.phase not in (None, "before", "after"):
            raise ValueError("phase must be before or after")
        if self.phase is None:
            self.phase = "before" if self.kind in ("status", "repeat") else "after"
        if self.method:
            self.method = self.method.upper()

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        return not self.path_prefix or path.startswith(self.path_prefix)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status if self.kind == "status" else None,
            "count": self.count,
            "start_at": self.start_at,
            "seconds": self.seconds,
            "phase": self.phase,
            "path_prefix": self.path_prefix,
            "method": self.method,
            "body": self.body,
            "seen": self.seen,
            "fired": self.fired,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        """Build from the admin endpoint's JSON; `from` is an alias of `start_at`."""
        known = {
            "kind",
            "status",
            "count",
            "start_at",
            "from",
            "seconds",
            "phase",
            "path_prefix",
            "method",
            "body",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        try:
            return cls(
                kind=data["kind"],
                status=int(data.get("status", 503)),
                count=None if data.get("count") is None else int(data["count"]),
                start_at=int(data.get("start_at", data.get("from", 1))),
                seconds=float(data.get("seconds", 0.0)),
                phase=data.get("phase"),
                path_prefix=data.get("path_prefix"),
                method=data.get("method"),
                body=data.get("body"),
            )
        except KeyError:
            raise ValueError("kind is required") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from None


@dataclass(slots=True)
class FaultDecision:
    """What to do with one request."""

    delay_before: float = 0.0
    delay_after: float = 0.0
    failure: FaultRule | None = field(default=None)


class FaultInjector:
    """The live rule list, shared by the Python API and `/_sandbox/faults`."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = next(self._ids)
            self._rules.append(rule)
        return rule

    def fail_next(self, n: int = 1, status: int = 503, **scope: Any) -> FaultRule:
        """The next `n` matching requests answer `status`."""
        return self.add(FaultRule("status", status=status, count=n, **scope))

    def fail_from(self, k: int, status: int = 500, **scope: Any) -> FaultRule:
        """Every matching request from the `k`-th on (1-based) answers `status`, until cleared."""
        return self.add(FaultRule("status", status=status, start_at=k, **scope))

    def delay(self, seconds: float, count: int | None = None, **scope: Any) -> FaultRule:
        return self.add(FaultRule("delay", seconds=seconds, count=count, **scope))

    def drop_next(self, n: int = 1, **scope: Any) -> FaultRule:
        """Close the connection without a response for the next `n` matching requests."""
        return self.add(FaultRule("drop", count=n, **scope))

    def drop_from(self, k: int, **scope: Any) -> FaultRule:
        return self.add(FaultRule("drop", start_at=k, **scope))

    def repeat_next(self, n: int = 1, **scope: Any) -> FaultRule:
        """The next `n` matching requests get the previous response to their path again."""
        return self.add(FaultRule("repeat", count=n, **scope))

    def repeat_from(self, k: int, **scope: Any) -> FaultRule:
        """From the `k`-th matching request on, every one gets the response before it again
        (the (k-1)-th's, when it succeeded), until cleared."""
        return self.add(FaultRule("repeat", start_at=k, **scope))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    def decide(self, method: str, path: str, can_repeat: bool = False) -> FaultDecision:
        """Count this request against every matching rule and say what happens to it.
        `can_repeat`: a previous successful response to this method and path exists."""
        decision = FaultDecision()
        with self._lock:
            if not self._rules:
                return decision
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                rule.seen += 1
                if rule.seen < rule.start_at or (
                    rule.count is not None and rule.fired >= rule.count
                ):
                    continue
                if rule.kind == "delay":
                    rule.fired += 1
                    if rule.phase == "before":
                        decision.delay_before += rule.seconds
                    else:
                        decision.delay_after += rule.seconds
                elif decision.failure is None and (rule.kind != "repeat" or can_repeat):
                    rule.fired += 1
                    decision.failure = rule
            self._rules = [r for r in self._rules if r.count is None or r.fired < r.count]
        return decision
