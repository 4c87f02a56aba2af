"""The Brevo gateway: the `BrevoGateway` port over the official SDK (brevo-python).

The composition root calls `build_gateway(...)` with values from `Settings`; nothing else in
the application needs to know the modules behind it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from brevo_sync.adapters.brevo.budget import RequestBudget, bucket_for
from brevo_sync.adapters.brevo.client import build_http_client, build_sdk_client
from brevo_sync.adapters.brevo.errors import BrevoOutcomeUnknown
from brevo_sync.adapters.brevo.gateway import SdkBrevoGateway
from brevo_sync.adapters.brevo.retry import RetryPolicy
from brevo_sync.adapters.brevo.times import format_since
from brevo_sync.errors import ConfigError
from brevo_sync.service.ports import WaitListener

__all__ = [
    "BrevoOutcomeUnknown",
    "RequestBudget",
    "RetryPolicy",
    "SdkBrevoGateway",
    "bucket_for",
    "build_gateway",
    "format_since",
]


def build_gateway(
    *,
    api_key: str,
    base_url: str,
    timeout_seconds: float,
    max_retries: int,
    reserve: int,
    max_wait_seconds: float,
    on_wait: WaitListener | None = None,
    backoff_base_seconds: float = 0.5,
    backoff_max_seconds: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    transport: httpx.BaseTransport | None = None,
    logger: Any | None = None,
    requests_per_hour: int = 100,
    now: Callable[[], datetime] | None = None,
) -> SdkBrevoGateway:
    """A ready gateway; close it (or use it as a context manager) to release connections.

    `sleep` and `clock` drive both the budget's waits and the retry backoff, so tests inject
    fakes and nothing really sleeps; `now` (UTC) dates the budget's reset times and ages
    `prime_budget`'s pairs. `requests_per_hour` (BREVO_SYNC_REQUESTS_PER_HOUR; 100 is Brevo's
    general-plan CRM limit) is the local ceiling that applies while Brevo's answers carry no
    rate-limit headers. `transport` lets the sandbox or a test serve requests in-process."""
    if not api_key or not api_key.strip():
        raise ConfigError("BREVO_API_KEY is not set: commands that call Brevo need it")
    if requests_per_hour < 1:
        raise ConfigError("BREVO_SYNC_REQUESTS_PER_HOUR must be at least 1")
    base_url = base_url.rstrip("/")
    http_client = build_http_client(timeout_seconds, transport=transport)
    try:
        sdk = build_sdk_client(api_key=api_key, base_url=base_url, http_client=http_client)
        budget = RequestBudget(
            reserve=reserve,
            max_wait_seconds=max_wait_seconds,
            local_limit=requests_per_hour,
            clock=clock,
            sleep=sleep,
            on_wait=on_wait,
            now=now or _utcnow,
        )
        retry = RetryPolicy(
            max_retries=max_retries,
            backoff_base_seconds=backoff_base_seconds,
            backoff_max_seconds=backoff_max_seconds,
            sleep=sleep,
        )
    except BaseException:
        http_client.close()
        raise
    return SdkBrevoGateway(
        sdk=sdk,
        http_client=http_client,
        api_key=api_key,
        base_url=base_url,
        budget=budget,
        retry=retry,
        logger=logger,
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)
