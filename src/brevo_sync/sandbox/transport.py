"""Serve the sandbox to a synchronous `httpx.Client` in-process, without a socket.

For fast tests of code that takes an `httpx` transport: `httpx.Client(transport=
SandboxTransport(state))`. Everything the gate does works here too (api key, rate limit,
faults, stats, `Date`), except that a dropped connection is raised directly as
`httpx.RemoteProtocolError`, which is what a real client would see.
"""

from __future__ import annotations

import asyncio
import threading

import httpx

from brevo_sync.sandbox.app import build_app
from brevo_sync.sandbox.state import SandboxState


class SandboxTransport(httpx.BaseTransport):
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._asgi = httpx.ASGITransport(app=build_app(state))
        self._loop = asyncio.new_event_loop()
        self._lock = threading.Lock()  # one event loop: one request at a time

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        with self._lock:
            try:
                status, headers, body = self._loop.run_until_complete(self._send(request))
            except ConnectionAbortedError:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from None
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def _send(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
        response = await self._asgi.handle_async_request(request)
        body = await response.aread()
        return response.status_code, response.headers, body

    def close(self) -> None:
        with self._lock:
            if not self._loop.is_closed():
                self._loop.close()
