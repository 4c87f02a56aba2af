"""`/loyalty/*` routes: enrolment, point transactions, tiers (their own rate-limit bucket)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from brevo_sync.sandbox.errors import not_found
from brevo_sync.sandbox.http import json_response, path_param, read_object
from brevo_sync.sandbox.state import SandboxState


def loyalty_routes(state: SandboxState, prefix: str = "/v3") -> list[BaseRoute]:
    store = state.loyalty

    async def subscribe(request: Request) -> Response:
        body = await read_object(request)
        with state.lock:
            return json_response(store.subscribe(path_param(request, "pid"), body, state.now_ms()))

    async def transaction(request: Request) -> Response:
        body = await read_object(request)
        with state.lock:
            pid = path_param(request, "pid")
            return json_response(store.create_transaction(pid, body, state.now_ms()))

    async def complete(request: Request) -> Response:
        with state.lock:
            pid, tid = path_param(request, "pid"), path_param(request, "tid")
            return json_response(store.complete(pid, tid, state.now_ms()))

    async def cancel(request: Request) -> Response:
        with state.lock:
            pid, tid = path_param(request, "pid"), path_param(request, "tid")
            return json_response(store.cancel(pid, tid, state.now_ms()))

    async def history(request: Request) -> Response:
        with state.lock:
            return json_response(store.history(path_param(request, "pid"), request.query_params))

    async def tiers(request: Request) -> Response:
        with state.lock:
            return json_response(store.list_tiers(path_param(request, "pid")))

    async def assign_tier(request: Request) -> Response:
        with state.lock:
            pid, cid = path_param(request, "pid"), path_param(request, "cid")
            tid = path_param(request, "tid")
            return json_response(store.assign_tier(pid, cid, tid, state.now_ms()))

    async def balances(request: Request) -> Response:
        with state.lock:
            pid = path_param(request, "pid")
            definition = store.programs.get(pid)
            if definition is None:
                raise not_found()
            cid = path_param(request, "cid")
            value = store.balances.get((pid, int(cid)) if cid.isdigit() else (pid, -1), 0.0)
            return json_response({"balance": [{"balanceDefinitionId": definition, "value": value}]})

    base = f"{prefix}/loyalty"
    return [
        Route(f"{base}/config/programs/{{pid}}/subscriptions", subscribe, methods=["POST"]),
        Route(f"{base}/balance/programs/{{pid}}/transactions", transaction, methods=["POST"]),
        Route(
            f"{base}/balance/programs/{{pid}}/transactions/{{tid}}/complete",
            complete,
            methods=["POST"],
        ),
        Route(
            f"{base}/balance/programs/{{pid}}/transactions/{{tid}}/cancel", cancel, methods=["POST"]
        ),
        Route(f"{base}/balance/programs/{{pid}}/transaction-history", history, methods=["GET"]),
        Route(
            f"{base}/balance/programs/{{pid}}/subscriptions/{{cid}}/balances",
            balances,
            methods=["GET"],
        ),
        Route(f"{base}/tier/programs/{{pid}}/tiers", tiers, methods=["GET"]),
        Route(
            f"{base}/tier/programs/{{pid}}/contacts/{{cid}}/tiers/{{tid}}",
            assign_tier,
            methods=["POST"],
        ),
    ]
