"""The HTTP side inside the daemon: `serve`'s app under uvicorn, in a thread of its own.

The daemon processes the inbox and Brevo's hints on its schedule, so the app runs without its
own background workers; an accepted delivery wakes the daemon's job instead (`Wakeups`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from brevo_sync.errors import ConfigError

START_SECONDS = 10.0
GRACE_SECONDS = 2


class Wakeups:
    """What the webhooks call (`app.state.workers.delivered(kind)`) in the daemon: a Brevo
    hint makes the pull due after the debounce, an order wakes the inbox job."""

    def __init__(self, hint: Callable[[], None], wake: Callable[[str], None]) -> None:
        self._hint = hint
        self._wake = wake

    def delivered(self, kind: str) -> None:
        if kind == "brevo_hint":
            self._hint()
        else:
            self._wake("inbox")


class HttpThread:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            lifespan="off",
            timeout_graceful_shutdown=GRACE_SECONDS,
        )
        self.where = f"{host}:{port}"
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="brevo-sync-http")

    def start(self) -> None:
        """Listening when this returns; ConfigError when the address cannot be had."""
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ConfigError(f"cannot serve HTTP on {self.where} (in use, or not ours)")
            time.sleep(0.02)

    def stop(self, timeout: float) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
