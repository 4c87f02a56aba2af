"""Asking a running use case to stop at its next safe point (Ctrl-C, SIGTERM, a daemon's
shutdown), without an exception landing in the middle of a database write.

The entrypoint owns the signals and calls `request()`; use cases call `check()` between
steps (after a page is committed) and sleep through `sleep()`, so a wait for Brevo's budget
window ends the moment a stop is asked for.
"""

from __future__ import annotations

import threading

from brevo_sync.errors import Interrupted


class StopToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = "interrupted"

    def request(self, reason: str = "interrupted") -> None:
        self.reason = reason
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise Interrupted if a stop was asked for."""
        if self._event.is_set():
            raise Interrupted(self.reason)

    def sleep(self, seconds: float) -> None:
        """Sleep, or raise Interrupted as soon as a stop is asked for."""
        if self._event.wait(max(0.0, seconds)):
            raise Interrupted(self.reason)

    def wait(self, done: threading.Event, poll_seconds: float = 0.05) -> None:
        """Wait for `done`, or raise Interrupted when a stop is asked for first."""
        while not done.wait(poll_seconds):
            self.check()
