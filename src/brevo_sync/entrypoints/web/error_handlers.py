"""Our exception tree as HTTP answers, each a JSON `{"detail": "..."}` naming what to fix.

    Unauthenticated        401 (with WWW-Authenticate: Bearer)
    Forbidden              403
    DealNotFound           404
    ChangeRefused          422, with every reason in `reasons`
    UsageError             422 (a name that matches nothing, dates the wrong way round, ...)
    MirrorBusy             503 with Retry-After (a run holds the mirror; try again)
    ConfigError            503 (no mirror yet, an outdated schema, a broken rules file)
    StoreError             503 (the database failed)
    BrevoError             502
    anything else          500, `internal error` and the class name only (the rest is logged)

Nothing a client sends should reach the last two. The webhook routes answer their own
refusals (`intake.WebhookRoute`); these handlers are the rest of the app's. A bug's 500 is
answered by `LastResort`, and the exception stops there: the server does not log it again
with a traceback's local variables, which hold the request's headers (tokens, signatures).
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brevo_sync.errors import (
    BrevoError,
    BrevoSyncError,
    ConfigError,
    MirrorBusy,
    StoreError,
    UsageError,
)
from brevo_sync.service.deal_access import DealNotFound
from brevo_sync.service.deal_changes import ChangeRefused
from brevo_sync.service.tokens import Forbidden, Unauthenticated

log = structlog.get_logger(__name__)

RETRY_AFTER_SECONDS = 5
Handler = Callable[[Request, Exception], Awaitable[Response]]


def _answer(status: int, headers: dict[str, str] | None = None) -> Handler:
    async def handle(_request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)

    return handle


async def _refused(_request: Request, exc: Exception) -> Response:
    reasons = list(exc.reasons) if isinstance(exc, ChangeRefused) else []
    return JSONResponse({"detail": str(exc), "reasons": reasons}, status_code=422)


def _log_failure(scope: Scope, exc: BaseException) -> None:
    """The error and its traceback as text: file, line and code, never variables' values."""
    log.error(
        "request failed",
        route=getattr(scope.get("route"), "path", None),
        error=exc.__class__.__name__,
        traceback="".join(traceback.format_exception(exc)),
    )


def _internal(exc: BaseException) -> JSONResponse:
    return JSONResponse({"detail": f"internal error: {exc.__class__.__name__}"}, status_code=500)


async def _failed(request: Request, exc: Exception) -> Response:
    _log_failure(request.scope, exc)
    return _internal(exc)


class LastResort:
    """Answers 500 for an exception no handler took, if nothing was sent yet."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:  # the last resort: every bug becomes one logged 500
            _log_failure(scope, exc)
            if started:
                raise
            await _internal(exc)(scope, receive, send)


async def _unavailable(_request: Request, exc: Exception) -> Response:
    log.warning("request refused: the mirror is not available", reason=str(exc))
    return JSONResponse({"detail": str(exc)}, status_code=503)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers (Starlette picks the most specific class of an exception)."""
    handlers: dict[type[Exception], Handler] = {
        Unauthenticated: _answer(401, {"WWW-Authenticate": "Bearer"}),
        Forbidden: _answer(403),
        DealNotFound: _answer(404),
        ChangeRefused: _refused,
        UsageError: _answer(422),
        MirrorBusy: _answer(503, {"Retry-After": str(RETRY_AFTER_SECONDS)}),
        ConfigError: _unavailable,
        StoreError: _unavailable,
        BrevoError: _answer(502),
        BrevoSyncError: _failed,
    }
    for exc_class, handler in handlers.items():
        app.add_exception_handler(exc_class, handler)
    app.add_middleware(LastResort)
