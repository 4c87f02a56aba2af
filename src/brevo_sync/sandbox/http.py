"""Small HTTP helpers shared by the route modules: JSON in, JSON out, Brevo-shaped errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from brevo_sync.sandbox.errors import SandboxError, invalid

JSON = "application/json"


def json_response(value: Any, status: int = 200) -> Response:
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type=JSON)


def raw_json_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


def no_content() -> Response:
    return Response(status_code=204)


def error_body(code: str, message: str, message_only: bool = False) -> bytes:
    """Brevo's error body; `message_only` for the newer shape without `code`."""
    value = {"message": message} if message_only else {"code": code, "message": message}
    return json.dumps(value, separators=(",", ":")).encode()


async def read_object(request: Request) -> dict[str, Any]:
    """The JSON object body; an empty body counts as `{}` (Brevo accepts bodiless POSTs)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise invalid("Request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise invalid("Request body must be a JSON object")
    return value


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def error_handlers(message_only: Callable[[Request], bool]) -> dict[Any, ErrorHandler]:
    """Exception handlers rendering errors in Brevo's shape; `message_only(request)` says
    whether this request's error bodies leave out `code` (the `error_style` switch)."""

    async def sandbox_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SandboxError)
        body = json.dumps(exc.body(message_only(request)), separators=(",", ":")).encode()
        return Response(body, status_code=exc.status, media_type=JSON)

    async def http_error(request: Request, exc: Exception) -> Response:
        """Unknown routes and wrong methods, in Brevo's error shape rather than Starlette's."""
        assert isinstance(exc, HTTPException)
        bare = message_only(request)
        if exc.status_code == 405:
            body = error_body(
                "method_not_allowed", f"{request.method} Method is not allowed on this path", bare
            )
        elif exc.status_code == 404:
            body = error_body("not_found", f"No route {request.url.path}", bare)
        else:
            body = error_body("bad_request", str(exc.detail), bare)
        return Response(body, status_code=exc.status_code, media_type=JSON, headers=exc.headers)

    return {SandboxError: sandbox_error, HTTPException: http_error}


def path_param(request: Request, name: str) -> str:
    return str(request.path_params[name])
