"""The ASGI layer in front of the routes: stats, faults, api key, rate limit, `Date`.

It sits outside Starlette on purpose: dropping a connection needs uvicorn's own `send`
(to reach the socket), and rate-limit headers must be added to every response, errors
included. Order per request: count it, apply faults due *before*, check the key (401),
spend rate-limit budget (429), run the route (or repeat an old response), then apply
faults due *after*. The quirks `error_style` and `rate_limit_headers` act here too, for
the answers the gate writes itself (401, 429, injected faults, a sandbox bug's 500).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC
from email.utils import format_datetime
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brevo_sync.sandbox.faults import FaultRule
from brevo_sync.sandbox.http import error_body
from brevo_sync.sandbox.ratelimit import bucket_for
from brevo_sync.sandbox.replay import ResponseMemory
from brevo_sync.sandbox.routes_admin import ADMIN_PREFIX
from brevo_sync.sandbox.routes_meta import META_PREFIX
from brevo_sync.sandbox.state import SandboxState

log = logging.getLogger(__name__)
API_PREFIX = "/v3"
_STATUS_CODES = {
    429: "too_many_requests",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class SandboxGate:
    def __init__(self, state: SandboxState, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.state = state
        self.app = app
        self.routes = routes
        self.memory = ResponseMemory()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX):
            await self._replay(await self._run(scope, receive), send, [], count=False)
            return
        state = self.state
        method: str = scope["method"]
        api_path = path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else path
        # The Meta stand-in is not Brevo: no api key, no Brevo stats (faults still apply).
        brevo = not path.startswith(META_PREFIX)
        if brevo:
            state.stats.record(f"{method} {self._template(scope, api_path)}")
        decision = state.faults.decide(method, api_path, self.memory.has(method, api_path))
        failure = decision.failure
        repeat = failure if failure is not None and failure.kind == "repeat" else None
        if repeat is not None:
            failure = None
        quirks = state.quirks
        bare = quirks.message_only
        if decision.delay_before:
            await asyncio.sleep(decision.delay_before)
        if failure is not None and failure.phase == "before":
            await self._fail(failure, api_path, send)
            return
        if brevo and _header(scope, b"api-key") != state.api_key:
            await self._send(send, 401, error_body("unauthorized", "Key not found", bare), [])
            return
        bucket = bucket_for(api_path)
        extra: list[tuple[bytes, bytes]] = []
        if bucket is not None:
            rate = state.ratelimit.hit(bucket)
            extra = rate.headers() if quirks.rate_limit_headers else []
            if not rate.allowed:
                body = error_body("too_many_requests", "The rate limit has been exceeded", bare)
                await self._send(send, 429, body, extra)
                return
        previous = None if repeat is None else self.memory.get(method, api_path)
        messages: list[Message] = []
        if previous is None or repeat is None or repeat.phase == "after":
            messages = await self._run(scope, receive)
        if decision.delay_after:
            await asyncio.sleep(decision.delay_after)
        if failure is not None:
            await self._fail(failure, api_path, send)
            return
        if previous is not None:
            await self._replay(previous, send, extra, count=brevo)
            return
        await self._replay(messages, send, extra, count=brevo)
        if 200 <= _status(messages) < 300:
            self.memory.keep(method, api_path, messages)

    def _template(self, scope: Scope, api_path: str) -> str:
        """The route's path template without `/v3`, e.g. `/crm/deals/{id}`, for stats."""
        for route in self.routes:
            match, _ = route.matches(scope)
            if match != Match.NONE:
                template = str(getattr(route, "path", api_path))
                return template.removeprefix(API_PREFIX)
        return api_path

    async def _run(self, scope: Scope, receive: Receive) -> list[Message]:
        """Run the routes, keeping the response so headers can be added or a fault can
        replace it. A sandbox bug becomes a 500 in Brevo's shape and the server keeps going."""
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        try:
            await self.app(scope, receive, capture)
        except Exception:
            log.exception("sandbox route failed")
            bare = self.state.quirks.message_only
            body = error_body("internal_server_error", "Sandbox error", bare)
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ]
            messages = [
                {"type": "http.response.start", "status": 500, "headers": headers},
                {"type": "http.response.body", "body": body},
            ]
        return messages

    async def _replay(
        self,
        messages: list[Message],
        send: Send,
        extra: list[tuple[bytes, bytes]],
        *,
        count: bool,
    ) -> None:
        for message in messages:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *extra, self._date()]
                message = {**message, "headers": headers}
                if count:
                    self.state.stats.record_outcome(int(message["status"]))
            await send(message)

    def _date(self) -> tuple[bytes, bytes]:
        """`Date` from the sandbox clock, so server time and deal timestamps agree."""
        now = self.state.clock().astimezone(UTC)
        return (b"date", format_datetime(now, usegmt=True).encode())

    async def _send(
        self, send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]
    ) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *extra,
            self._date(),
        ]
        self.state.stats.record_outcome(status)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _fail(self, rule: FaultRule, api_path: str, send: Send) -> None:
        if rule.kind == "drop":
            self.state.stats.record_outcome("dropped")
            await _drop(send)
            return
        extra: list[tuple[bytes, bytes]] = []
        bucket = bucket_for(api_path)
        quirks = self.state.quirks
        if rule.status == 429 and bucket is not None and quirks.rate_limit_headers:
            peek = self.state.ratelimit.peek(bucket)
            extra = [
                (b"x-sib-ratelimit-limit", str(peek.limit).encode()),
                (b"x-sib-ratelimit-remaining", b"0"),
                (b"x-sib-ratelimit-reset", str(peek.reset_seconds).encode()),
            ]
        if rule.body is not None:
            kind = b"text/html" if rule.body.lstrip().startswith("<") else b"text/plain"
            body = rule.body.encode()
            await self._send_raw(send, rule.status, body, kind, extra)
            return
        code = _STATUS_CODES.get(rule.status, "error")
        message = f"Injected fault: HTTP {rule.status}"
        body = error_body(code, message, quirks.message_only)
        await self._send(send, rule.status, body, extra)

    async def _send_raw(
        self, send: Send, status: int, body: bytes, kind: bytes, extra: list[tuple[bytes, bytes]]
    ) -> None:
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *extra]
        self.state.stats.record_outcome(status)
        await send(
            {"type": "http.response.start", "status": status, "headers": [*headers, self._date()]}
        )
        await send({"type": "http.response.body", "body": body})


def _status(messages: list[Message]) -> int:
    for message in messages:
        if message["type"] == "http.response.start":
            return int(message["status"])
    return 0


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _drop(send: Send) -> None:
    """Close the socket without a byte of response.

    uvicorn's `send` is a bound method of the request cycle, which holds the transport;
    closing it and yielding lets uvicorn notice the disconnect, so it neither writes a 500
    nor logs an error. A server without that attribute gets a response that starts and is
    abandoned, which clients also see as a broken connection.
    """
    cycle: Any = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.close()
        for _ in range(3):
            await asyncio.sleep(0)
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]}
    )
    raise ConnectionAbortedError("sandbox fault: connection dropped")
