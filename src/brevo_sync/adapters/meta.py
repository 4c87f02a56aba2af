"""Meta's Conversions API: conversion events (Lead, ViewContent, Purchase) for a pixel.

    POST {endpoint_base}/{pixel_id}/events   (endpoint_base: https://graph.facebook.com/v19.0)
    form fields: data=<JSON list of events>, access_token=<token>, test_event_code=<optional>
    200 {"events_received": n, "messages": [], "fbtrace_id": "..."}

Customer information in `user_data` must be normalised and hashed with SHA-256 (hex) before
it leaves: e-mail trimmed and lower-cased; phone digits only, without leading zeros (with
the country code); names lower-cased without punctuation; the other identifiers trimmed and
lower-cased. A value that already is a SHA-256 hex digest is passed through, so hashing twice
is harmless. Browser identifiers (`fbc`, `fbp`, IP address, user agent) are never hashed.

The token goes in the form body, not the URL, so it cannot end up in a logged URL, and it is
never put in a message or a repr. Meta de-duplicates events by `event_name` + `event_id`, so
give every event a stable `event_id` (e.g. outbox row id): then sending a batch again after
an unclear failure (`ConversionsError.retryable`) cannot count a conversion twice.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from brevo_sync.errors import ConversionsError

MAX_EVENTS = 1000  # Meta's limit per request
REQUIRED = ("event_name", "event_time", "action_source", "user_data")
HASHED = frozenset({"em", "ph", "fn", "ln", "external_id", "ct", "st", "zp", "country", "db", "ge"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MAX_DETAIL = 200


def normalise(field: str, value: str) -> str:
    """Meta's normalisation of one customer-information value before hashing."""
    text = value.strip().lower()
    if field == "ph":
        return re.sub(r"\D", "", text).lstrip("0")
    if field in ("fn", "ln", "ct", "st"):
        # No punctuation or spaces; letters of any script stay (UTF-8, as Meta asks).
        return "".join(
            c for c in text if not unicodedata.category(c).startswith(("P", "Z", "S", "C"))
        )
    if field in ("zp", "country", "db"):
        return re.sub(r"[\s\-/.]", "", text)
    return text


def sha256_hex(field: str, value: str) -> str | None:
    """The hashed value, the value itself when it is a digest already, None when empty."""
    if _SHA256.match(value):
        return value
    normal = normalise(field, value)
    if not normal:
        return None
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def hash_user_data(user_data: Mapping[str, Any]) -> dict[str, Any]:
    """`user_data` with every customer-information field normalised and hashed (a value
    may be a string or a list of strings, as Meta accepts); empty values are left out and
    the other fields (fbc, fbp, client_ip_address, client_user_agent...) kept as they are."""
    out: dict[str, Any] = {}
    for field, value in user_data.items():
        if field not in HASHED or value is None:
            if value is not None:
                out[field] = value
            continue
        if isinstance(value, list | tuple):
            hashed = [sha256_hex(field, str(v)) for v in value if v is not None]
            kept = [h for h in hashed if h is not None]
            if kept:
                out[field] = kept
            continue
        digest = sha256_hex(field, str(value))
        if digest is not None:
            out[field] = digest
    return out


def prepare(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The events as they are sent: checked for Meta's required fields, user data hashed."""
    prepared = []
    for number, event in enumerate(events, 1):
        missing = [name for name in REQUIRED if event.get(name) in (None, "")]
        if missing:
            raise ValueError(f"event {number} lacks {', '.join(missing)}")
        time = event["event_time"]
        if isinstance(time, bool) or not isinstance(time, int):
            raise ValueError(f"event {number}: event_time must be a Unix time in seconds (int)")
        if not isinstance(event["user_data"], Mapping):
            raise ValueError(f"event {number}: user_data must be an object")
        user_data = hash_user_data(event["user_data"])
        if not user_data:
            raise ValueError(f"event {number}: user_data has no usable customer information")
        prepared.append({**event, "user_data": user_data})
    return prepared


class MetaConversions:
    """Sends conversion events to one pixel. Implements the `ConversionSink` port."""

    def __init__(
        self,
        http_client: httpx.Client,
        *,
        endpoint_base: str,
        pixel_id: str,
        access_token: str,
        test_event_code: str | None = None,
    ) -> None:
        if not pixel_id.strip() or not access_token.strip():
            raise ValueError("the Conversions API needs a pixel id and an access token")
        self._http = http_client
        self._url = f"{endpoint_base.rstrip('/')}/{pixel_id}/events"
        self._token = access_token
        self._test_event_code = test_event_code

    def __repr__(self) -> str:  # never the token
        return f"MetaConversions(url={self._url!r})"

    @property
    def url(self) -> str:
        return self._url

    def close(self) -> None:
        """Close the HTTP client this adapter was given (the container builds one for it)."""
        self._http.close()

    def send(self, events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Send one batch (at most 1,000 events); Meta's answer (`events_received`, ...).

        ValueError (nothing sent) for a malformed event; ConversionsError for a refusal
        (4xx: `retryable` false) or a failure (5xx, 429, no answer: `retryable` true). An
        empty batch sends nothing and answers `{"events_received": 0}`."""
        if not events:
            return {"events_received": 0}
        if len(events) > MAX_EVENTS:
            raise ValueError(f"at most {MAX_EVENTS} events per request, got {len(events)}")
        form = {
            "data": json.dumps(prepare(events), separators=(",", ":"), ensure_ascii=False),
            "access_token": self._token,
        }
        if self._test_event_code:
            form["test_event_code"] = self._test_event_code
        try:
            response = self._http.post(self._url, data=form)
        except httpx.TransportError as exc:
            detail = self._scrub(f"{type(exc).__name__}: {exc}")
            raise ConversionsError(
                f"POST {self._url}: no answer ({detail})", retryable=True
            ) from None
        if response.status_code >= 400:
            raise self._refusal(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ConversionsError(
                f"POST {self._url}: HTTP {response.status_code} with a body that is not a JSON "
                "object",
                status=response.status_code,
                retryable=True,
            )
        return body

    def _refusal(self, response: httpx.Response) -> ConversionsError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        detail = error.get("message") if isinstance(error, dict) else None
        text = str(detail) if detail else response.text
        # Meta marks some refusals as passing (`is_transient`): worth another try later.
        transient = isinstance(error, dict) and error.get("is_transient") is True
        return ConversionsError(
            f"POST {self._url}: HTTP {status} {self._scrub(text)}".rstrip(),
            status=status,
            retryable=status >= 500 or status == 429 or transient,
        )

    def _scrub(self, text: str) -> str:
        text = " ".join(text.replace(self._token, "***").split())
        return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."
