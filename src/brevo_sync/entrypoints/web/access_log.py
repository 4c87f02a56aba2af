"""The access log and the request counters: one structured line per HTTP request.

    {"event": "http request", "method": "GET", "route": "/deals/{deal_id}", "status": 200,
     "duration_ms": 3.1, ...}

Only these fields, by construction: the route's template (never the path, so no id or query
string), never a header, so no token, signature or Authorization value reaches a log line.
A plain ASGI middleware (no BaseHTTPMiddleware): it neither buffers nor copies bodies, which
the webhook routes stream and size-check themselves.
"""

from __future__ import annotations

import time

import structlog
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brevo_sync.entrypoints.web.metrics import UNMATCHED, OpsMetrics

log = structlog.get_logger("brevo_sync.http")


def route_template(scope: Scope) -> str:
    """The route that took the request (`/deals/{deal_id}`), or `unmatched`."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


class AccessLog:
    def __init__(self, app: ASGIApp, metrics: OpsMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app fails before it answers

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            seconds = time.perf_counter() - started
            route, method = route_template(scope), str(scope.get("method", ""))
            self.metrics.observe(route, method, status, seconds)
            log.info(
                "http request",
                method=method,
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 2),
            )


def install_access_log(app: FastAPI) -> OpsMetrics:
    """The app's metrics (`app.state.metrics`, read by GET /metrics) and its access log."""
    metrics = OpsMetrics(lambda: app.state.container.context)
    app.state.metrics = metrics
    app.add_middleware(AccessLog, metrics=metrics)
    return metrics
