"""Construction of the one `httpx.Client` and the SDK client that sends through it."""

from __future__ import annotations

import brevo
import httpx


def build_http_client(
    timeout_seconds: float, *, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """The shared connection pool, with every timeout explicit.

    Given its own client the SDK sets no timeout at all, so without this a stalled connection
    would hang a sync forever. Redirects stay off: Brevo does not redirect API calls and
    following one could carry the api-key header elsewhere. `Accept: application/json` is a
    client default so that every request says it, the SDK's (which send httpx's `*/*` and
    no Accept of their own) and our raw GETs alike."""
    if timeout_seconds <= 0:
        raise ValueError("timeout_seconds must be > 0")
    timeout = httpx.Timeout(
        connect=timeout_seconds, read=timeout_seconds, write=timeout_seconds, pool=timeout_seconds
    )
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        transport=transport,
        headers={"Accept": "application/json"},
    )


def build_sdk_client(*, api_key: str, base_url: str, http_client: httpx.Client) -> brevo.Brevo:
    """The Fern SDK client, authenticated by API key only, with its own retries off.

    `client_id`/`client_secret` are passed as None on purpose: their defaults are
    `os.getenv("BREVO_CLIENT_ID"/"BREVO_CLIENT_SECRET")` (evaluated when `brevo.client` is
    imported), and with both set the SDK would fetch an OAuth token before every first call.
    `max_retries=0` because the SDK retries POSTs and ignores Brevo's rate-limit headers;
    `RetryPolicy` owns retrying."""
    return brevo.Brevo(
        api_key=api_key,
        base_url=base_url.rstrip("/"),
        httpx_client=http_client,
        max_retries=0,
        client_id=None,
        client_secret=None,
    )
