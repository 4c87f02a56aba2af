"""Reading Brevo's answers: JSON of the expected shape, or a `BrevoError` that says what came.

A 2xx answer to a create that does not name the new object is not a success we can use:
Brevo probably created it, so `created_id` raises `BrevoOutcomeUnknown` (look it up before
creating again), never a plain error that a caller might retry.
"""

from __future__ import annotations

from typing import Any

import httpx

from brevo_sync.adapters.brevo.errors import BrevoOutcomeUnknown
from brevo_sync.domain.sync import RawRecord
from brevo_sync.errors import BrevoError


def json_of(response: httpx.Response, endpoint: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise BrevoError(
            f"{endpoint}: HTTP {response.status_code} with a body that is not JSON",
            status=response.status_code,
            endpoint=endpoint,
        ) from None


def shape_error(response: httpx.Response, endpoint: str, body: object, expected: str) -> BrevoError:
    return BrevoError(
        f"{endpoint}: HTTP {response.status_code} with a {type(body).__name__} "
        f"where {expected} was expected",
        status=response.status_code,
        endpoint=endpoint,
    )


def json_dict(response: httpx.Response, endpoint: str) -> dict[str, Any]:
    body = json_of(response, endpoint)
    if not isinstance(body, dict):
        raise shape_error(response, endpoint, body, "an object")
    return body


def json_list(response: httpx.Response, endpoint: str) -> list[RawRecord]:
    body = json_of(response, endpoint)
    if not isinstance(body, list):
        raise shape_error(response, endpoint, body, "a list")
    return body


def json_items(response: httpx.Response, endpoint: str) -> list[RawRecord]:
    """A list answered either bare or as `{"items": [...]}` (Brevo does both); `{}` is none."""
    body = json_of(response, endpoint)
    if isinstance(body, dict):
        body = body.get("items", [])
    if not isinstance(body, list):
        raise shape_error(response, endpoint, body, "a list")
    return body


def created_id(response: httpx.Response, endpoint: str, *, key: str = "id") -> str:
    """The new object's id from a create's answer, or BrevoOutcomeUnknown without one."""
    try:
        body = response.json()
    except ValueError:
        body = None
    value = body.get(key) if isinstance(body, dict) else None
    if value is None or value == "" or isinstance(value, bool | dict | list):
        raise BrevoOutcomeUnknown(
            f"{endpoint}: HTTP {response.status_code} without the new object's {key}; "
            "it was probably created",
            status=response.status_code,
            endpoint=endpoint,
        )
    return str(value)
