"""`/_sandbox/*` views of what clients wrote, for "exactly once" assertions (no api key, no
rate limit, not counted; see `routes_admin.py` for the switches):

    GET    /_sandbox/imports       -> {"delay_seconds", "processes": [{"processId", "status":
                                       "queued"|"applied", "rows", "created", "updated",
                                       "failed", "created_ids", "errors", ...}]}
                                       (applies the imports that are due first)
    POST   /_sandbox/imports       {"delay_seconds": 0.5} -> 200 the same view
    GET    /_sandbox/tasks         ?deal=ID -> {"count", "by_deal": {id: n}, "items": [...]}
    GET    /_sandbox/notes         ?deal=ID -> {"count", "by_deal": {id: n}, "items": [...]}
    GET    /_sandbox/loyalty/transactions  ?deal=ID&contact=N&status=completed
                                   -> {"count", "by_deal", "completed_by_deal", "items"}
                                      (the deal is `meta.deal_id`, else `meta.deal`)
    GET    /_sandbox/meta/events   ?pixel_id=&event_name= -> {"requests", "refused",
                                      "count", "events": [event + pixel_id, fbtrace_id...]}
    DELETE /_sandbox/meta/events   -> 204 (forget what was received)

`by_deal` counts every item per linked deal over the whole store (filters apply to `items`
and `count` only), so one call answers "did any deal get two?".
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from brevo_sync.sandbox.errors import invalid
from brevo_sync.sandbox.http import json_response, no_content
from brevo_sync.sandbox.routes_admin import ADMIN_PREFIX
from brevo_sync.sandbox.state import SandboxState


def _by_deal(items: Iterable[Mapping[str, Any]], key: str) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for item in items:
        for deal_id in item.get(key) or []:
            counts[str(deal_id)] += 1
    return dict(sorted(counts.items()))


def _linked(items: list[dict[str, Any]], key: str, deal: str | None) -> dict[str, Any]:
    chosen = items if deal is None else [i for i in items if deal in (i.get(key) or [])]
    return {"count": len(chosen), "by_deal": _by_deal(items, key), "items": chosen}


def _deal_of(transaction: Mapping[str, Any]) -> str | None:
    meta = transaction.get("meta") or {}
    deal = meta.get("deal_id", meta.get("deal"))
    return None if deal is None else str(deal)


def _transactions(items: list[dict[str, Any]], params: Mapping[str, str]) -> dict[str, Any]:
    chosen = items
    if params.get("deal"):
        chosen = [t for t in chosen if _deal_of(t) == params["deal"]]
    if params.get("contact"):
        chosen = [t for t in chosen if str(t.get("contactId")) == params["contact"]]
    if params.get("status"):
        chosen = [t for t in chosen if t.get("status") == params["status"]]
    all_deals = Counter(d for t in items if (d := _deal_of(t)) is not None)
    completed = Counter(
        d for t in items if t.get("status") == "completed" and (d := _deal_of(t)) is not None
    )
    return {
        "count": len(chosen),
        "by_deal": dict(sorted(all_deals.items())),
        "completed_by_deal": dict(sorted(completed.items())),
        "items": chosen,
    }


def inspect_routes(state: SandboxState) -> list[BaseRoute]:
    async def imports(request: Request) -> Response:
        state.settle_imports()
        with state.lock:
            return json_response(state.imports.to_json())

    async def configure_imports(request: Request) -> Response:
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            raise invalid("Request body is not valid JSON") from None
        if not isinstance(data, dict) or set(data) - {"delay_seconds"}:
            raise invalid('body must be {"delay_seconds": seconds}')
        with state.lock:
            if "delay_seconds" in data:
                try:
                    state.imports.delay_seconds = data["delay_seconds"]
                except ValueError as exc:
                    raise invalid(str(exc)) from None
            return json_response(state.imports.to_json())

    async def tasks(request: Request) -> Response:
        return json_response(_linked(state.tasks_snapshot(), "dealsIds", _deal(request)))

    async def notes(request: Request) -> Response:
        return json_response(_linked(state.notes_snapshot(), "dealIds", _deal(request)))

    async def transactions(request: Request) -> Response:
        return json_response(_transactions(state.loyalty_transactions(), request.query_params))

    async def meta_events(request: Request) -> Response:
        with state.lock:
            events = state.meta.events()
            requests, refused = len(state.meta.requests), state.meta.refused
        for name in ("pixel_id", "event_name"):
            if request.query_params.get(name):
                events = [e for e in events if e.get(name) == request.query_params[name]]
        body = {"requests": requests, "refused": refused, "count": len(events), "events": events}
        return json_response(body)

    async def clear_meta_events(request: Request) -> Response:
        with state.lock:
            state.meta.clear()
        return no_content()

    p = ADMIN_PREFIX
    return [
        Route(f"{p}/imports", imports, methods=["GET"]),
        Route(f"{p}/imports", configure_imports, methods=["POST"]),
        Route(f"{p}/tasks", tasks, methods=["GET"]),
        Route(f"{p}/notes", notes, methods=["GET"]),
        Route(f"{p}/loyalty/transactions", transactions, methods=["GET"]),
        Route(f"{p}/meta/events", meta_events, methods=["GET"]),
        Route(f"{p}/meta/events", clear_meta_events, methods=["DELETE"]),
    ]


def _deal(request: Request) -> str | None:
    return request.query_params.get("deal") or None
