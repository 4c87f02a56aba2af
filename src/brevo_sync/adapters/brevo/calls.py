"""The one request path: budget, send, count, observe, retry, map, log.

Every Brevo call of the gateway goes through `BrevoCaller.call`, so no endpoint can forget to
count a request, read the rate-limit headers of an error, or leak an SDK exception.

What counts as spent: every attempt that got an HTTP answer, whatever its status (a 429 and a
5xx included). An attempt that got none (connect error, timeout, dropped connection) is logged
and retried like any failure but not counted: nothing shows it reached Brevo, and counting it
would make the local ceiling wait for requests that were never made.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import structlog
from brevo.core.api_error import ApiError
from brevo.core.parse_error import ParsingError

from brevo_sync.adapters.brevo.budget import RequestBudget, bucket_for
from brevo_sync.adapters.brevo.errors import (
    SDK_FAILURES,
    is_retryable,
    reset_seconds_of,
    status_of,
    to_brevo_error,
)
from brevo_sync.adapters.brevo.retry import RetryPolicy
from brevo_sync.domain.budget import RequestCounter
from brevo_sync.errors import BrevoRateLimited

_log = structlog.get_logger(__name__)


class BrevoCaller:
    """Runs one request with our policies around it and returns the raw httpx response."""

    def __init__(
        self,
        *,
        budget: RequestBudget,
        retry: RetryPolicy,
        requests: RequestCounter,
        api_key: str,
        base_url: str | None = None,
        logger: Any | None = None,
    ) -> None:
        self._budget = budget
        self._retry = retry
        self._requests = requests
        self._secret = api_key  # kept only to blank it out of error messages
        self._base_url = base_url  # named by the message of a 404 that means a wrong URL
        self._log = logger if logger is not None else _log

    def call(
        self,
        method: str,
        template: str,
        send: Callable[[], httpx.Response],
        *,
        path: str | None = None,
        idempotent: bool = False,
    ) -> httpx.Response:
        """`send` (an SDK `with_raw_response` call's `.response`, or a raw GET) with budget,
        retries and error mapping.

        `template` is the path as counted and labelled (`/crm/deals/{id}`), `path` the concrete
        one for messages. `idempotent=True` marks a POST that is safe to repeat (enrolling a
        contact, assigning a tier: a second one changes nothing): it is retried like a PATCH,
        and never ends in BrevoOutcomeUnknown. Raises only `brevo_sync.errors.BrevoError`s."""
        endpoint = f"{method} {template}"
        # What the retry and outcome rules see: an idempotent POST behaves like a PATCH.
        semantics = "PATCH" if idempotent and method == "POST" else method
        target = f"{method} {path or template}"
        bucket = bucket_for(template)
        attempts = 0

        def attempt() -> httpx.Response:
            nonlocal attempts
            self._budget.acquire(bucket, endpoint=endpoint)
            attempts += 1
            started = time.perf_counter()
            try:
                response = send()
            except (ApiError, ParsingError) as exc:
                self._answered(endpoint, bucket, exc.headers, exc.status_code)
                self._trace(endpoint, exc.status_code, started, attempts, bucket)
                if exc.status_code == 429:
                    self._rate_limited(exc, bucket=bucket, endpoint=endpoint, target=target)
                raise
            except httpx.TransportError as exc:
                # No answer: not counted as spent (see the module doc), only logged.
                self._trace(endpoint, None, started, attempts, bucket, error=type(exc).__name__)
                raise
            self._answered(endpoint, bucket, response.headers, response.status_code)
            self._trace(endpoint, response.status_code, started, attempts, bucket)
            return response

        def budget_waits(exc: BaseException) -> bool:
            # After a 429 with a reset, acquire() sleeps until the reset; no backoff on top.
            return status_of(exc) == 429 and self._budget.pending_wait(bucket) > 0

        try:
            return self._retry.run(
                attempt,
                should_retry=lambda exc: is_retryable(exc, semantics),
                skip_backoff=budget_waits,
            )
        except SDK_FAILURES as exc:
            raise to_brevo_error(
                exc,
                method=semantics,
                endpoint=endpoint,
                target=target,
                attempts=attempts,
                secret=self._secret,
                base_url=self._base_url,
            ) from exc

    def _answered(
        self, endpoint: str, bucket: str, headers: Mapping[str, str] | None, status: int | None
    ) -> None:
        """One request reached Brevo: count it for the report and for the budget."""
        self._requests.add(endpoint)
        self._budget.observe(bucket, headers, status=status)

    def _rate_limited(self, exc: BaseException, *, bucket: str, endpoint: str, target: str) -> None:
        """Route a 429's wait through the budget, or give up now if it is too long."""
        reset = reset_seconds_of(exc)
        if reset is None or reset <= 0:
            return  # no usable reset: the retry loop's backoff paces the next attempt
        # Either way the window is spent: the next call waits for it, or refuses at once
        # instead of spending another request on a certain 429.
        self._budget.exhausted(bucket, reset)
        if reset > self._budget.max_wait_seconds:
            raise BrevoRateLimited(
                f"{target}: HTTP 429; the window resets in {reset:.0f}s, longer than the "
                f"allowed wait of {self._budget.max_wait_seconds:.0f}s",
                reset_seconds=reset,
                status=429,
                endpoint=endpoint,
            ) from exc

    def _trace(
        self,
        endpoint: str,
        status: int | None,
        started: float,
        attempt: int,
        bucket: str,
        error: str | None = None,
    ) -> None:
        # Labels and numbers only, never request headers: they carry the api key.
        self._log.debug(
            "brevo.request",
            endpoint=endpoint,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
            remaining=self._budget.snapshot(bucket).remaining,
            attempt=attempt,
            error=error,
        )
