"""Fixtures for the sandbox's unit tests: a controllable clock and small states."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from brevo_sync.sandbox import ManualClock, SandboxState, SandboxTransport

START = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def state(clock: ManualClock) -> SandboxState:
    """An empty account (pipelines, catalogue, loyalty program; no deals) on a manual clock."""
    return SandboxState(clock=clock)


@pytest.fixture
def seeded(clock: ManualClock) -> SandboxState:
    return SandboxState.seeded(seed=7, deals=400, clock=clock)


def http_client(state: SandboxState, path: str = "/v3") -> httpx.Client:
    """An httpx client served in-process by `state`, with its api key (`path="/_sandbox"`
    for the admin endpoints)."""
    return httpx.Client(
        base_url=f"http://sandbox{path}",
        transport=SandboxTransport(state),
        headers={"api-key": state.api_key},
    )
