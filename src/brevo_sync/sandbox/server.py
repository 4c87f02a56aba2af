"""Run the sandbox over real HTTP: in a background thread for tests, or in the foreground
for the CLI. uvicorn serves it quietly (warnings only, no access log); the `Date` header
comes from the sandbox clock (see `gate.py`), so uvicorn's own is switched off.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn

from brevo_sync.sandbox.app import build_app
from brevo_sync.sandbox.gate import API_PREFIX
from brevo_sync.sandbox.state import SandboxState

STARTUP_TIMEOUT_SECONDS = 10.0


def _config(state: SandboxState, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        build_app(state),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        date_header=False,
        server_header=False,
        proxy_headers=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class SandboxServer:
    """`with SandboxServer(state) as server:` serves `state` at `server.base_url` until exit.

    Binds the socket itself (port 0 picks a free one), so the port is known before the
    thread starts and nothing races for it; `__enter__` returns once uvicorn is accepting.
    """

    def __init__(self, state: SandboxState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self.host = host
        self._requested_port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Root URL, where `/_sandbox/*` lives."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What a Brevo client takes as its base URL (ends in `/v3`)."""
        return f"{self.url}{API_PREFIX}"

    def start(self) -> SandboxServer:
        if self._thread is not None:
            raise RuntimeError("sandbox server already started")
        sock = _bind(self.host, self._requested_port)
        self._socket = sock
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(_config(self.state, self.host, self.port))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="brevo-sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("sandbox server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
            if self._thread.is_alive():
                if self._server is not None:
                    self._server.force_exit = True
                self._thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
        if self._socket is not None:
            self._socket.close()
        self._server, self._thread, self._socket = None, None, None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(
    state: SandboxState,
    host: str = "127.0.0.1",
    port: int = 8765,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve in the foreground until Ctrl-C (uvicorn handles the signal and shuts down).

    The socket is bound first, so `announce(base_url)` runs only once the address is really
    ours (a busy port raises OSError before anything is printed)."""
    sock = _bind(host, port)
    if announce is not None:
        announce(f"http://{host}:{sock.getsockname()[1]}{API_PREFIX}")
    try:
        uvicorn.Server(_config(state, host, sock.getsockname()[1])).run(sockets=[sock])
    finally:
        sock.close()
