"""A stand-in for Meta's Conversions API, so tests can see which conversion events were sent.

    POST /_meta/{version}/{pixel_id}/events
        form (urlencoded or multipart): data=<JSON list>, access_token, test_event_code?
        or a JSON body {"data": [...], "access_token": ..., "test_event_code": ...}
        (the token may also come as `?access_token=` or `Authorization: Bearer`)
    200 {"events_received": n, "messages": [], "fbtrace_id": "..."}
    400 {"error": {"message", "type": "OAuthException", "code", "fbtrace_id"}} as Meta answers

A client's base URL is `<sandbox root>/_meta/v19.0` (any version segment is accepted).
Checked like Meta would, strictly: a token is present (and equal to `access_token` when the
store has one set); `data` is a list of 1 to 1,000 events, each with `event_name`,
`event_time` (integer seconds), `action_source` and a `user_data` object with at least one
field, where every customer-information field (em, ph, fn, ln, external_id, ct, st, zp,
country, db, ge) is a SHA-256 hex digest or a list of them: plain e-mails are refused.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from brevo_sync.sandbox.clock import format_ms

HASHED = frozenset({"em", "ph", "fn", "ln", "external_id", "ct", "st", "zp", "country", "db", "ge"})
MAX_EVENTS = 1000
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class MetaError(Exception):
    """A refusal in Meta's shape (`code` 100: invalid parameter; 104/190: the token)."""

    def __init__(self, message: str, code: int = 100) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def check_events(data: Any) -> list[dict[str, Any]]:
    """The events of a request, or MetaError naming the first thing Meta would refuse."""
    if not isinstance(data, list) or not data:
        raise MetaError("(#100) param data must be a non-empty array of events")
    if len(data) > MAX_EVENTS:
        raise MetaError(f"(#100) at most {MAX_EVENTS} events per request")
    for number, event in enumerate(data):
        where = f"data[{number}]"
        if not isinstance(event, dict):
            raise MetaError(f"(#100) {where} must be an object")
        for name in ("event_name", "action_source"):
            if not isinstance(event.get(name), str) or not event[name]:
                raise MetaError(f"(#100) {where}.{name} is required")
        time = event.get("event_time")
        if isinstance(time, bool) or not isinstance(time, int) or time <= 0:
            raise MetaError(f"(#100) {where}.event_time must be a Unix time in seconds")
        user_data = event.get("user_data")
        if not isinstance(user_data, dict) or not user_data:
            raise MetaError(f"(#100) {where}.user_data must hold customer information")
        for field, value in user_data.items():
            values = value if isinstance(value, list) else [value]
            if field in HASHED and not all(isinstance(v, str) and _DIGEST.match(v) for v in values):
                raise MetaError(
                    f"(#100) {where}.user_data.{field} must be hashed with SHA-256 (64 hex digits)"
                )
    return data


class MetaEventStore:
    """What the stand-in received. Not thread-safe: the routes hold the state's lock."""

    def __init__(self, access_token: str | None = None) -> None:
        self.access_token = access_token  # None: any non-empty token is accepted
        self.requests: list[dict[str, Any]] = []
        self.refused = 0
        self._trace = 0

    def trace_id(self) -> str:
        self._trace += 1
        return f"SBX{self._trace:09d}"

    def receive(
        self,
        version: str,
        pixel_id: str,
        token: str | None,
        data: Any,
        test_event_code: str | None,
        now_ms: int,
    ) -> dict[str, Any]:
        if not token:
            raise MetaError("An access token is required to request this resource.", 104)
        if self.access_token is not None and token != self.access_token:
            raise MetaError("Invalid OAuth access token - Cannot parse access token", 190)
        events = check_events(data)
        trace = self.trace_id()
        self.requests.append(
            {
                "version": version,
                "pixel_id": pixel_id,
                "test_event_code": test_event_code,
                "received_at": format_ms(now_ms),
                "fbtrace_id": trace,
                "events": copy.deepcopy(events),
            }
        )
        return {"events_received": len(events), "messages": [], "fbtrace_id": trace}

    def events(self) -> list[dict[str, Any]]:
        """Every event received, oldest first, with the pixel and request it came in."""
        out = []
        for request in self.requests:
            for event in request["events"]:
                out.append(
                    {
                        **copy.deepcopy(event),
                        "pixel_id": request["pixel_id"],
                        "test_event_code": request["test_event_code"],
                        "fbtrace_id": request["fbtrace_id"],
                        "received_at": request["received_at"],
                    }
                )
        return out

    def clear(self) -> None:
        self.requests.clear()
        self.refused = 0
