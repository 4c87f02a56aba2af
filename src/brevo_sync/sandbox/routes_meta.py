"""The Meta Conversions API stand-in's route (see `meta.py`): `POST /_meta/{v}/{pixel}/events`.

Served by the same app as the Brevo emulator, outside `/v3`: the gate asks no Brevo api key,
spends no Brevo rate limit and does not count it in `/_sandbox/stats` (Brevo's requests
only), but injected faults (`path_prefix: "/_meta"`) do reach it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from brevo_sync.sandbox.errors import SandboxError
from brevo_sync.sandbox.http import json_response
from brevo_sync.sandbox.meta import MetaError
from brevo_sync.sandbox.multipart import parse_form
from brevo_sync.sandbox.state import SandboxState

META_PREFIX = "/_meta"


def _fields(content_type: str, body: bytes) -> dict[str, Any]:
    """The request's fields, whichever way a client sent them."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            value = json.loads(body or b"{}")
        except ValueError:
            raise MetaError("(#100) the body is not valid JSON") from None
        if not isinstance(value, dict):
            raise MetaError("(#100) the body must be a JSON object")
        return value
    if kind == "multipart/form-data":
        try:
            form = parse_form(content_type, body)
        except SandboxError as exc:
            raise MetaError(f"(#100) {exc.message}") from None
        return {name: part.content.decode("utf-8", "replace") for name, part in form.items()}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def _data(value: Any) -> Any:
    if isinstance(value, str):  # form fields carry `data` as a JSON string
        try:
            return json.loads(value)
        except ValueError:
            raise MetaError("(#100) param data must be a JSON-encoded array") from None
    return value


def meta_routes(state: SandboxState) -> list[BaseRoute]:
    async def events(request: Request) -> Response:
        body = await request.body()
        store = state.meta
        with state.lock:
            try:
                fields = _fields(request.headers.get("content-type", ""), body)
                auth = request.headers.get("authorization", "")
                token = (
                    fields.get("access_token")
                    or request.query_params.get("access_token")
                    or (auth[7:] if auth.lower().startswith("bearer ") else None)
                )
                answer = store.receive(
                    request.path_params["version"],
                    request.path_params["pixel_id"],
                    token,
                    _data(fields.get("data")),
                    fields.get("test_event_code") or None,
                    state.now_ms(),
                )
            except MetaError as exc:
                store.refused += 1
                error = {
                    "message": exc.message,
                    "type": "OAuthException",
                    "code": exc.code,
                    "fbtrace_id": store.trace_id(),
                }
                return json_response({"error": error}, 400)
        return json_response(answer)

    return [
        Route(f"{META_PREFIX}/{{version}}/{{pixel_id}}/events", events, methods=["POST"]),
    ]
