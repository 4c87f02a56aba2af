"""What every webhook route does with a request before it means anything: size, content type,
JSON, and the answers for what a client got wrong.

Nothing a client sends becomes a 500: a refusal is a `Rejected` (401, 404, 413, 415, 422 with
a JSON body `{"detail", "error", "problems"?}` naming the problem, as the rest of the app's
`{"detail"}`), and a failure of ours while recording a delivery is a 503
(nothing was recorded: the sender should send it again, which shops do by themselves).
`WebhookRoute` turns both into responses for the routes that use it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

import structlog
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect

from brevo_sync.domain.orders import FieldProblem

log = structlog.get_logger(__name__)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class Rejected(Exception):
    """A request refused for something the client sent (or a route that is off)."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        problems: Sequence[FieldProblem] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.problems = tuple(problems)

    def response(self) -> JSONResponse:
        if self.status == 404:  # an unconfigured route looks like no route at all
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        body: dict[str, Any] = {"detail": self.message, "error": self.error}
        if self.problems:
            body["problems"] = [{"field": p.field, "message": p.message} for p in self.problems]
        return JSONResponse(body, status_code=self.status)


def not_found() -> Rejected:
    return Rejected(404, "not_found", "Not Found")


def unauthorized(message: str) -> Rejected:
    return Rejected(401, "unauthorized", message)


def unprocessable(message: str, problems: Sequence[FieldProblem] = ()) -> Rejected:
    return Rejected(422, "invalid_payload", message, problems)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def require_media_type(request: Request, *allowed: str) -> str:
    found = media_type(request)
    if found not in allowed:
        shown = found or "none"
        raise Rejected(
            415,
            "unsupported_media_type",
            f"Content-Type must be {' or '.join(allowed)}, not {shown}",
        )
    return found


def _too_large(limit: int) -> Rejected:
    return Rejected(413, "payload_too_large", f"the body is larger than {limit} bytes")


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused (413) as soon as it is known to exceed `limit`: by its
    Content-Length before a byte is read, else while it streams in."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _too_large(limit)
        except ValueError:
            raise Rejected(400, "bad_request", "Content-Length is not a number") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    """The body as JSON, or 422 saying where it breaks."""
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise unprocessable("the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise unprocessable(
            f"the body is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise unprocessable("the body is not JSON: nested too deeply") from None


def kept_headers(request: Request, names: Sequence[str]) -> dict[str, str]:
    """The headers worth keeping with a delivery (never signatures or credentials)."""
    return {name: request.headers[name] for name in names if name in request.headers}


class WebhookRoute(APIRoute):
    """A route whose refusals are answered as `Rejected` says, and whose own failures are a
    503 (logged), never a 500."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Rejected as refused:
                log.info(
                    "webhook refused",
                    path=request.url.path,
                    status=refused.status,
                    reason=refused.message,
                )
                return refused.response()
            except ClientDisconnect:
                return Response(status_code=400)
            except Exception:
                log.warning("webhook could not be recorded", path=request.url.path, exc_info=True)
                return JSONResponse(
                    {
                        "detail": "the delivery could not be recorded; send it again",
                        "error": "unavailable",
                    },
                    status_code=503,
                    headers={"Retry-After": "5"},
                )

        return guarded


# The OpenAPI description of a webhook's body and answers (the routes read the raw body).
def openapi(
    schemas: Mapping[str, Mapping[str, Any]], *, signed_by: str, always_signed: bool = True
) -> dict[str, Any]:
    """`schemas`: the body's schema by content type; `signed_by`: the header that carries
    the signature or token (required unless `always_signed` is false: a ping)."""
    return {
        "parameters": [
            {
                "name": signed_by,
                "in": "header",
                "required": always_signed,
                "schema": {"type": "string"},
                "description": "The signature or credential (see the route's description).",
            }
        ],
        "requestBody": {
            "required": True,
            "content": {ct: {"schema": dict(schema)} for ct, schema in schemas.items()},
        },
        "responses": {
            "200": {
                "description": "Recorded (`accepted`), or a repeat (`duplicate`), with the row.",
                "content": {
                    JSON: {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "status": {"enum": ["accepted", "duplicate", "ping"]},
                                "id": {"type": "integer"},
                            },
                            "required": ["status"],
                        }
                    }
                },
            },
            "401": {"description": "Signature or token missing or wrong."},
            "404": {"description": "The route's secret is not set."},
            "413": {"description": "Body larger than BREVO_SYNC_WEBHOOK_MAX_BODY_BYTES."},
            "415": {"description": "Content-Type is not application/json."},
            "422": {"description": "Not JSON, or missing what is needed; `problems` names it."},
            "503": {"description": "Could not be recorded now; send it again."},
        },
    }
