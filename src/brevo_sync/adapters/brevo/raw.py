"""GET requests sent through our own `httpx.Client`, without the SDK.

`GET /crm/deals` is the hot call of a sync (one per page of up to 100 deals). Sent through the
SDK it would turn every deal into a pydantic model, about 80% of a list call's CPU, only for us
to want the raw JSON back; and reaching into the SDK's private HTTP wrapper to avoid that would
break on any SDK release. So this sends it itself, the way the SDK would: the base URL, the
`api-key` header, the same query encoding for plain values, and a non-2xx answer raised as the
SDK's public `ApiError`, so the caller's error handling is the same as for SDK calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from brevo.core.api_error import ApiError

QueryValue = str | int | None


def get_raw(
    http: httpx.Client, url: str, *, api_key: str, params: Mapping[str, QueryValue]
) -> httpx.Response:
    """GET `url` with `params` (None values left out, as the SDK does) and return the answer
    when it is a 2xx; raise `ApiError(status_code, headers, body)` otherwise.

    The shared client adds `Accept: application/json` and owns the timeouts."""
    query = {name: value for name, value in params.items() if value is not None}
    response = http.get(url, params=query, headers={"api-key": api_key})
    if not 200 <= response.status_code < 300:
        raise ApiError(
            status_code=response.status_code,
            headers=dict(response.headers),
            body=_body(response),
        )
    return response


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # not JSON (an HTML error page, plain text): the text, as the SDK does
        return response.text
