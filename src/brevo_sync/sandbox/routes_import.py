"""`POST /crm/deals/import` (see `imports.py`): parsed outside the lock, queued inside it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from brevo_sync.sandbox.http import json_response
from brevo_sync.sandbox.imports import parse_mapping, parse_rows
from brevo_sync.sandbox.multipart import parse_form
from brevo_sync.sandbox.state import SandboxState


def import_routes(state: SandboxState, prefix: str = "/v3") -> list[BaseRoute]:
    """Listed before the deal routes, so `/crm/deals/import` is never taken for a deal id
    (the gate names the endpoint after the first route that matches the path)."""

    async def import_deals(request: Request) -> Response:
        form = parse_form(request.headers.get("content-type"), await request.body())
        file, mapping = form.get("file"), form.get("mapping")
        mapping_flags = parse_mapping(None if mapping is None else mapping.content)
        with state.lock:
            state.settle_imports()  # earlier imports land first: a deal_id may name theirs
            rows = parse_rows(None if file is None else file.content, state.deal_attributes)
            process = state.imports.submit(rows, mapping_flags, state.deals, state.now_ms())
            return json_response({"processId": process.id})

    return [Route(f"{prefix}/crm/deals/import", import_deals, methods=["POST"])]
