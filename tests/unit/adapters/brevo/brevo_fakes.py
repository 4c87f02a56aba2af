"""Test doubles shared by the Brevo gateway tests (imported by conftest and the tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from brevo_sync.adapters.brevo import SdkBrevoGateway

BASE_URL = "https://brevo.test/v3"
API_KEY = "xkeysib-0123456789abcdef-SECRETKEY"


# The UTC instant at which a FakeClock starts.
EPOCH = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it (or a test moves `now`),
    with a UTC clock that moves along with it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def utcnow(self) -> datetime:
        return EPOCH + timedelta(seconds=self.now - self.start)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class WaitRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []

    def __call__(self, seconds: float, reason: str) -> None:
        self.calls.append((seconds, reason))


def limits(remaining: int, reset: float, limit: int = 100) -> dict[str, str]:
    return {
        "x-sib-ratelimit-limit": str(limit),
        "x-sib-ratelimit-remaining": str(remaining),
        "x-sib-ratelimit-reset": str(reset),
    }


# build_gateway(**overrides) with the test defaults (see conftest.make_gateway).
GatewayFactory = Callable[..., SdkBrevoGateway]
