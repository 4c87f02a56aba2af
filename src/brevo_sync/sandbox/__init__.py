"""A stateful, in-memory emulator of the Brevo REST API v3 (deals, pipelines, companies,
tasks, notes, loyalty), for demos, end-to-end tests and benchmarks.

It follows `/work/shared/brevo/README.md`: same paths, shapes, status codes, error bodies,
rate-limit headers. On top it offers what the real API cannot: a controllable clock,
deterministic sample data, fault injection and request statistics.

    state = SandboxState.seeded(seed=42, deals=500)
    with SandboxServer(state) as server:
        client = brevo.Brevo(api_key=state.api_key, base_url=server.base_url, max_retries=0)
"""

from __future__ import annotations

from brevo_sync.sandbox.app import build_app
from brevo_sync.sandbox.clock import ManualClock, format_ms, utc_now
from brevo_sync.sandbox.deal_query import DealQuery
from brevo_sync.sandbox.errors import SandboxError
from brevo_sync.sandbox.faults import FaultInjector, FaultRule
from brevo_sync.sandbox.ratelimit import UNLIMITED, RateLimiter
from brevo_sync.sandbox.server import SandboxServer, serve_forever
from brevo_sync.sandbox.state import DEFAULT_API_KEY, DEFAULT_MAX_PAGE_LIMIT, SandboxState
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
