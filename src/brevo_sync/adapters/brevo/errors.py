"""From what the SDK and httpx raise to `brevo_sync.errors`, and which failures may be retried.

The SDK raises `BadRequestError` (400), `NotFoundError` (404) and `ApiError(status_code, headers,
body)` for every other status, 429 included; `ParsingError` when a 2xx body does not fit its
model; httpx raises `TransportError`s. Use cases only ever see the `BrevoError` tree, with a
one-line message naming the endpoint and the status, and never the API key.

Two answers are configuration mistakes rather than Brevo failures, and are raised as errors
that are also `ConfigError`s, their message starting with the setting to fix: 401/403
(`BrevoAuthError`, BREVO_API_KEY) and a 404 from a list that exists on every Brevo account
(`BrevoBaseUrlError`, BREVO_BASE_URL). A 404 for one object stays `BrevoNotFound`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from brevo.core.api_error import ApiError
from brevo.core.parse_error import ParsingError
from pydantic import BaseModel

from brevo_sync.adapters.brevo.headers import parse_rate_limit
from brevo_sync.errors import (
    BrevoAuthError,
    BrevoBadRequest,
    BrevoBaseUrlError,
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


def _text(value: Any) -> str | None:
    """A body field as text: None for nothing, nested objects as compact JSON."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return value.strip() or None


def _code_and_message(body: Any) -> tuple[str | None, str | None]:
    """Brevo's `{"code", "message"}`, the newer `{"message"}` alone, `{"error": ...}` (the
    loyalty API, gateways in front of Brevo), any other JSON, or plain text. Some SDK errors
    (loyalty's 4xx) carry the body as a pydantic model: read as the JSON it came from."""
    if isinstance(body, BaseModel):
        body = body.model_dump(by_alias=True, exclude_none=True)
    if isinstance(body, dict):
        code = _text(body.get("code"))
        for key in ("message", "error", "detail"):
            message = body.get(key)
            if isinstance(message, dict):  # {"error": {"message": ...}}
                message = message.get("message", message)
            if message is not None:
                return code, _text(message)
        rest = {k: v for k, v in body.items() if k != "code"}
        return code, _text(rest) if rest else None
    if isinstance(body, list) and body:
        return None, _text(body)
    if isinstance(body, str | bytes):
        return None, _text(body)
    return None, None


# Lists that exist on every Brevo account: a 404 from them means the base URL is wrong.
_ALWAYS_THERE = frozenset(
    {"GET /crm/deals", "GET /crm/pipeline/details/all", "GET /crm/attributes/deals"}
)
_BREVO_ROOT = "https://api.brevo.com/v3"


def _shown_url(base_url: str) -> str:
    # A base URL may carry user:password for a proxy; a message never shows it.
    try:
        url = httpx.URL(base_url)
        return str(url.copy_with(userinfo=b"")) if url.userinfo else base_url
    except (httpx.InvalidURL, TypeError, ValueError):
        return "the configured base URL"


def to_brevo_error(
    exc: BaseException,
    *,
    method: str,
    endpoint: str,
    target: str,
    attempts: int,
    secret: str | None,
    base_url: str | None = None,
) -> BrevoError:
    """The `BrevoError` for the last failure of a call.

    `endpoint` is the stable label (`GET /crm/deals/{id}`), `target` the concrete request
    (`GET /crm/deals/abc`) that the message names."""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    status = status_of(exc)
    if status is None:
        return _transport_error(
            exc, method=method, endpoint=endpoint, target=target, tries=tries, secret=secret
        )
    if isinstance(exc, ParsingError):
        return BrevoError(
            f"{target}: HTTP {status} with a body the SDK could not read",
            status=status,
            endpoint=endpoint,
        )
    code, message = _code_and_message(exc.body if isinstance(exc, ApiError) else None)
    said = one_line(" ".join(part for part in (code, message) if part), secret)
    kw: dict[str, Any] = {"status": status, "endpoint": endpoint, "code": code}
    if status in (401, 403):
        return _auth_error(status, target, said, kw)
    if status == 404 and endpoint in _ALWAYS_THERE and base_url:
        shown = one_line(_shown_url(base_url), secret)
        return BrevoBaseUrlError(
            f"BREVO_BASE_URL: {shown} answered 404 for {target}; "
            f"is it Brevo's API root ({_BREVO_ROOT})?",
            **kw,
        )
    text = f"{target}: HTTP {status}" + (f" {said}" if said else "")
    return _status_error(exc, status, text, method=method, tries=tries, target=target, kw=kw)


def _transport_error(
    exc: BaseException, *, method: str, endpoint: str, target: str, tries: str, secret: str | None
) -> BrevoError:
    detail = one_line(f"{type(exc).__name__}: {exc}".rstrip(": "), secret)
    if outcome_unknown(exc, method):
        return BrevoOutcomeUnknown(
            f"{target}: the connection failed mid-request ({detail}); "
            "Brevo may or may not have applied it",
            endpoint=endpoint,
        )
    return BrevoUnavailable(f"{target}: could not reach Brevo{tries} ({detail})", endpoint=endpoint)


def _auth_error(status: int, target: str, said: str, kw: dict[str, Any]) -> BrevoAuthError:
    """A key problem, named by its setting so that it reads as one (and exits 2)."""
    detail = f": {said}" if said else ""
    if status == 401:
        return BrevoAuthError(
            f"BREVO_API_KEY: Brevo refused the key (HTTP 401 on {target}{detail})", **kw
        )
    return BrevoAuthError(
        f"BREVO_API_KEY: the key may not call {target} (HTTP 403{detail}): "
        "check its permissions and plan",
        **kw,
    )


def _status_error(
    exc: BaseException,
    status: int,
    text: str,
    *,
    method: str,
    tries: str,
    target: str,
    kw: dict[str, Any],
) -> BrevoError:
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
