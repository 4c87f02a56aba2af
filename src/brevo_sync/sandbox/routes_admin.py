"""`/_sandbox/*`: switches for tests and benchmarks. No api key, no rate limit, not counted.
(The views of what clients wrote, imports, tasks, notes, loyalty transactions and Meta
events, are in `routes_inspect.py`.)

    GET    /_sandbox/faults        -> {"rules": [rule, ...]}
    POST   /_sandbox/faults        rule | [rule, ...] | {"rules": [...]} -> 201 {"rules": [...]}
    DELETE /_sandbox/faults        -> 204 (all rules cleared)
    GET    /_sandbox/stats         -> {"total", "by_endpoint": {"GET /crm/deals": n}, "by_status"}
    POST   /_sandbox/reset-stats   -> 204
    POST   /_sandbox/ratelimit     {"bucket", "requests_per_hour", "window_seconds"?} -> 204
    DELETE /_sandbox/ratelimit     -> 204 (fresh windows: all budget back)
    GET    /_sandbox/health        -> {"ok": true, "deals": n}
    GET    /_sandbox/quirks        -> the current quirks (all six keys below)
    POST   /_sandbox/quirks        {any of the keys below} -> 200 the quirks now in force

A rule: {"kind": "status"|"delay"|"drop"|"repeat", "status": 503, "count": 2, "start_at": 1
(alias "from"), "seconds": 0.5, "phase": "before"|"after", "path_prefix": "/crm/deals",
"method": "GET", "body": "<html>..."}; see `faults.py` for what each field does. `repeat`
answers the previous successful response to the same method and path (query ignored).

Quirks (see `quirks.py`); a POST changes only the keys it names, all or nothing, and an
unknown key or a bad value is a 400 that changes nothing:

    "owner_ids": true            deal_owner stored and returned as a user id (e-mail accepted
                                 on write and in the owner filter); false: stored as written
    "max_page_limit": 100        largest `limit` of list endpoints; null: no maximum
    "over_limit": "refuse"       above the maximum: "refuse" (400) or "clamp" (serve the max)
    "date_offset": null          "+05:30": deal date-times rendered in that UTC offset
    "error_style": "code_and_message"   or "message_only": error bodies without `code`
    "rate_limit_headers": true   false: no x-sib-ratelimit-* headers (429s still happen)
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from brevo_sync.sandbox.errors import invalid
from brevo_sync.sandbox.faults import FaultRule
from brevo_sync.sandbox.http import json_response, no_content
from brevo_sync.sandbox.state import SandboxState

ADMIN_PREFIX = "/_sandbox"


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise invalid("Request body is not valid JSON") from None


def admin_routes(state: SandboxState) -> list[BaseRoute]:
    async def get_faults(request: Request) -> Response:
        return json_response({"rules": state.faults.rules()})

    async def add_faults(request: Request) -> Response:
        data = await _json(request)
        items = data.get("rules") if isinstance(data, dict) and "rules" in data else data
        items = items if isinstance(items, list) else [items]
        try:
            rules = [FaultRule.from_json(item) for item in items if isinstance(item, dict)]
        except ValueError as exc:
            raise invalid(str(exc)) from None
        if len(rules) != len(items):
            raise invalid("each fault rule must be a JSON object")
        for rule in rules:  # all parsed before any is armed: a bad list changes nothing
            state.faults.add(rule)
        return json_response({"rules": state.faults.rules()}, 201)

    async def clear_faults(request: Request) -> Response:
        state.faults.clear()
        return no_content()

    async def stats(request: Request) -> Response:
        return json_response(state.stats.snapshot())

    async def reset_stats(request: Request) -> Response:
        state.stats.reset()
        return no_content()

    async def configure_ratelimit(request: Request) -> Response:
        data = await _json(request)
        if not isinstance(data, dict):
            raise invalid("body must be a JSON object")
        per_hour = data.get("requests_per_hour")
        window = data.get("window_seconds")
        try:
            state.ratelimit.configure(
                str(data.get("bucket", "crm")),
                None if per_hour is None else int(per_hour),
                None if window is None else float(window),
            )
        except (TypeError, ValueError) as exc:
            raise invalid(str(exc)) from None
        return no_content()

    async def reset_ratelimit(request: Request) -> Response:
        state.ratelimit.reset()
        return no_content()

    async def health(request: Request) -> Response:
        return json_response({"ok": True, "deals": state.deal_count()})

    async def get_quirks(request: Request) -> Response:
        return json_response(state.quirks.to_json())

    async def set_quirks(request: Request) -> Response:
        data = await _json(request)
        if not isinstance(data, dict):
            raise invalid("body must be a JSON object")
        try:
            quirks = state.set_quirks(**data)
        except ValueError as exc:
            raise invalid(str(exc)) from None
        return json_response(quirks.to_json())

    p = ADMIN_PREFIX
    return [
        Route(f"{p}/faults", get_faults, methods=["GET"]),
        Route(f"{p}/faults", add_faults, methods=["POST"]),
        Route(f"{p}/faults", clear_faults, methods=["DELETE"]),
        Route(f"{p}/stats", stats, methods=["GET"]),
        Route(f"{p}/reset-stats", reset_stats, methods=["POST"]),
        Route(f"{p}/ratelimit", configure_ratelimit, methods=["POST"]),
        Route(f"{p}/ratelimit", reset_ratelimit, methods=["DELETE"]),
        Route(f"{p}/health", health, methods=["GET"]),
        Route(f"{p}/quirks", get_quirks, methods=["GET"]),
        Route(f"{p}/quirks", set_quirks, methods=["POST"]),
    ]
