"""From what the SDK and httpx raise to `brevo_sync.errors`, and which failures may be retried.

The SDK raises `BadRequestError` (400), `NotFoundError` (404) and `ApiError(status_code, headers,
body)` for every other status, 429 included; `ParsingError` when a 2xx body does not fit its
model; httpx raises `TransportError`s. Use cases only ever see the `BrevoError` tree, with a
one-line message naming the endpoint and the status, and never the API key.
"""

from __future__ import annotations

from typing import Any

import httpx
from brevo.core.api_error import ApiError
from brevo.core.parse_error import ParsingError

from brevo_sync.adapters.brevo.headers import parse_rate_limit
from brevo_sync.errors import (
    BrevoAuthError,
    BrevoBadRequest,
    BrevoError,
    BrevoNotFound,
    BrevoRateLimited,
    BrevoUnavailable,
)

# What the retry loop treats as "the call failed"; anything else is a bug and propagates as is.
SDK_FAILURES: tuple[type[BaseException], ...] = (ApiError, ParsingError, httpx.TransportError)

# Failures that prove a request never reached Brevo: safe to repeat even for a POST.
_NOT_SENT = httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout

_MAX_DETAIL = 200


class BrevoOutcomeUnknown(BrevoUnavailable):
    """A create (POST) failed after Brevo may already have applied it (5xx, read timeout,
    dropped connection). It is never retried blindly: look the object up by our own reference
    before posting again. `outcome_unknown` is also readable with getattr on any BrevoError."""

    outcome_unknown = True


def status_of(exc: BaseException) -> int | None:
    return exc.status_code if isinstance(exc, ApiError | ParsingError) else None


def is_retryable(exc: BaseException, method: str) -> bool:
    """Whether repeating the request after `exc` is both useful and safe.

    GET, PATCH and DELETE are idempotent: 429, 408, 5xx and any transport failure are retried.
    A POST creates something and Brevo has no idempotency key, so it is repeated only when it
    certainly did not take effect: a 429 (refused before processing) or a connection that was
    never established."""
    status = status_of(exc)
    if status == 429:
        return True
    if method == "POST":
        return isinstance(exc, _NOT_SENT)
    if status is not None:
        # 408: the server gave up waiting for our request, so it processed nothing.
        return (status >= 500 or status == 408) and not isinstance(exc, ParsingError)
    # A malformed URL will stay malformed; every other transport failure may be transient.
    return isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.UnsupportedProtocol)


def outcome_unknown(exc: BaseException, method: str) -> bool:
    """A POST that failed in a way that leaves open whether Brevo applied it."""
    if method != "POST":
        return False
    status = status_of(exc)
    if status is not None:
        return status >= 500
    return isinstance(exc, httpx.TransportError) and not isinstance(
        exc, _NOT_SENT | httpx.UnsupportedProtocol
    )


def reset_seconds_of(exc: BaseException) -> float | None:
    headers = exc.headers if isinstance(exc, ApiError | ParsingError) else None
    return parse_rate_limit(headers).reset_seconds


def one_line(text: str, secret: str | None) -> str:
    """`text` on one line, shortened, with the API key blanked should a server echo it."""
    if secret:
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


def _code_and_message(body: Any) -> tuple[str | None, str | None]:
    if isinstance(body, dict):
        code, message = body.get("code"), body.get("message")
        return (
            str(code) if code is not None else None,
            str(message) if message is not None else None,
        )
    if isinstance(body, str | bytes) and body:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        return None, text
    return None, None


def to_brevo_error(
    exc: BaseException,
    *,
    method: str,
    endpoint: str,
    target: str,
    attempts: int,
    secret: str | None,
) -> BrevoError:
    """The `BrevoError` for the last failure of a call.

    `endpoint` is the stable label (`GET /crm/deals/{id}`), `target` the concrete request
    (`GET /crm/deals/abc`) that the message names."""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    status = status_of(exc)
    if status is None:
        detail = one_line(f"{type(exc).__name__}: {exc}".rstrip(": "), secret)
        if outcome_unknown(exc, method):
            return BrevoOutcomeUnknown(
                f"{target}: the connection failed mid-request ({detail}); "
                "Brevo may or may not have applied it",
                endpoint=endpoint,
            )
        return BrevoUnavailable(
            f"{target}: could not reach Brevo{tries} ({detail})", endpoint=endpoint
        )

    if isinstance(exc, ParsingError):
        return BrevoError(
            f"{target}: HTTP {status} with a body the SDK could not read",
            status=status,
            endpoint=endpoint,
        )

    code, message = _code_and_message(exc.body if isinstance(exc, ApiError) else None)
    said = " ".join(part for part in (code, message) if part)
    text = f"{target}: HTTP {status}" + (f" {one_line(said, secret)}" if said else "")
    kw: dict[str, Any] = {"status": status, "endpoint": endpoint, "code": code}
    if status in (401, 403):
        return BrevoAuthError(text + " (check BREVO_API_KEY and its permissions)", **kw)
    if status == 404:
        return BrevoNotFound(text, **kw)
    if status == 429:
        reset = reset_seconds_of(exc)
        when = f"; the window resets in {reset:.0f}s" if reset is not None else ""
        return BrevoRateLimited(f"{text}{tries}{when}", reset_seconds=reset, **kw)
    if status >= 500 or status == 408:
        if outcome_unknown(exc, method):
            return BrevoOutcomeUnknown(f"{text}; Brevo may or may not have applied it", **kw)
        return BrevoUnavailable(f"{text}{tries}", **kw)
    if 200 <= status < 300:
        # The SDK raises ApiError for a 2xx only when the body is not JSON.
        return BrevoError(f"{target}: HTTP {status} with a body that is not JSON", **kw)
    if 400 <= status < 500:
        # 400/422 and the rarer 4xx (405, 409, 413...): Brevo refused what we sent.
        return BrevoBadRequest(text, **kw)
    return BrevoError(text, **kw)
