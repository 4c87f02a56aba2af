"""A stateful, in-memory emulator of the Brevo REST API v3 (deals, pipelines, attributes,
companies, tasks, notes, loyalty) for demos, end-to-end tests and benchmarks.

It follows the shared Brevo notes (shared/brevo/README.md): same paths under `/v3`,
shapes, status codes, `{"code", "message"}` error bodies (message only where documented),
`api-key` auth (401) and `x-sib-ratelimit-*` headers (429 over budget, no `Retry-After`).
On top it offers what the real API cannot: an injectable clock, deterministic sample data,
fault injection, request statistics, and switches for Brevo's odd or unverified ways
(`quirks.py`: constructor keywords, `set_quirks`, `POST /_sandbox/quirks`).

    state = SandboxState.seeded(seed=42, deals=500)            # or SandboxState() for empty
    with SandboxServer(state) as server:                        # uvicorn on a free port
        client = brevo.Brevo(api_key=state.api_key, base_url=server.base_url,
                             max_retries=0, client_id=None, client_secret=None)
        state.update_deal(deal_id, attributes={"amount": 1})    # a "rep" edits in Brevo
        state.faults.fail_next(2, status=503)                   # or POST /_sandbox/faults
        state.set_quirks(over_limit="clamp")                    # or POST /_sandbox/quirks
        state.stats.snapshot()["by_endpoint"]                    # {"GET /crm/deals": 3, ...}

`httpx.Client(transport=SandboxTransport(state))` serves the same app in-process.

`POST /v3/crm/deals/import` is asynchronous like Brevo's (`imports.py`: applied
`state.imports.delay_seconds` later, on the sandbox clock); `/_meta/{version}/{pixel}/events`
stands in for Meta's Conversions API (`meta.py`); `/_sandbox/imports`, `/tasks`, `/notes`,
`/loyalty/transactions` and `/meta/events` list what clients wrote (`routes_inspect.py`).

Assumptions where the notes leave Brevo unverified (each is documented where made, and
most can be switched): `limit` max 100, refused above with 400 (`max_page_limit`,
`over_limit`); `since` filters inclusive; `deal_owner` stored and returned as a user id,
an e-mail accepted on write and in the owner filter, where an id matches nothing
(`owner_ids`); dates rendered in UTC with `Z` (`date_offset`); select attributes stored by
option label; unknown attributes refused (400); tasks/notes do not touch deals; loyalty
refusals are 422.
"""

from __future__ import annotations

from brevo_sync.sandbox.app import build_app
from brevo_sync.sandbox.clock import ManualClock, format_ms, utc_now
from brevo_sync.sandbox.deal_query import DealQuery
from brevo_sync.sandbox.errors import SandboxError
from brevo_sync.sandbox.faults import FaultInjector, FaultRule
from brevo_sync.sandbox.quirks import DEFAULT_MAX_PAGE_LIMIT, Quirks
from brevo_sync.sandbox.ratelimit import UNLIMITED, RateLimiter
from brevo_sync.sandbox.server import SandboxServer, serve_forever
from brevo_sync.sandbox.state import DEFAULT_API_KEY, SandboxState
from brevo_sync.sandbox.stats import RequestStats
from brevo_sync.sandbox.transport import SandboxTransport

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_MAX_PAGE_LIMIT",
    "UNLIMITED",
    "DealQuery",
    "FaultInjector",
    "FaultRule",
    "ManualClock",
    "Quirks",
    "RateLimiter",
    "RequestStats",
    "SandboxError",
    "SandboxServer",
    "SandboxState",
    "SandboxTransport",
    "build_app",
    "format_ms",
    "serve_forever",
    "utc_now",
]
