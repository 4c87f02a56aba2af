"""Fixtures for the Brevo gateway tests: respx in front of a gateway whose clock and sleep are
fakes, so budget waits and backoffs are recorded instead of slept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from brevo_fakes import API_KEY, BASE_URL, FakeClock, GatewayFactory, WaitRecorder

from brevo_sync.adapters.brevo import SdkBrevoGateway, build_gateway


@pytest.fixture(autouse=True)
def _no_oauth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK would add an OAuth token call when these are set (README pitfall).
    monkeypatch.delenv("BREVO_CLIENT_ID", raising=False)
    monkeypatch.delenv("BREVO_CLIENT_SECRET", raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def waits() -> WaitRecorder:
    return WaitRecorder()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    # Unmatched requests fail the test (assert_all_mocked), so a stray OAuth call would show.
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def make_gateway(
    clock: FakeClock, waits: WaitRecorder, router: respx.MockRouter
) -> Iterator[GatewayFactory]:
    made: list[SdkBrevoGateway] = []

    def make(**overrides: Any) -> SdkBrevoGateway:
        options: dict[str, Any] = {
            "api_key": API_KEY,
            "base_url": BASE_URL,
            "timeout_seconds": 5.0,
            "max_retries": 3,
            "reserve": 0,
            "max_wait_seconds": 3900.0,
            "on_wait": waits,
            "backoff_base_seconds": 0.001,
            "backoff_max_seconds": 0.01,
            "sleep": clock.sleep,
            "clock": clock,
            "now": clock.utcnow,
            # Serve through the respx router directly: same routes and side effects, but no
            # per-test TLS context (the default transport costs ~50 ms to build).
            "transport": httpx.MockTransport(router.handler),
        }
        options.update(overrides)
        gateway = build_gateway(**options)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


@pytest.fixture
def gateway(make_gateway: GatewayFactory) -> SdkBrevoGateway:
    return make_gateway()
