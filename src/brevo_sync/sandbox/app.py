"""Assemble the sandbox ASGI application from the state and the route modules."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from brevo_sync.sandbox.gate import SandboxGate
from brevo_sync.sandbox.http import error_handlers
from brevo_sync.sandbox.routes_admin import ADMIN_PREFIX, admin_routes
from brevo_sync.sandbox.routes_crm import crm_routes
from brevo_sync.sandbox.routes_deals import deal_routes
from brevo_sync.sandbox.routes_import import import_routes
from brevo_sync.sandbox.routes_inspect import inspect_routes
from brevo_sync.sandbox.routes_loyalty import loyalty_routes
from brevo_sync.sandbox.routes_meta import meta_routes
from brevo_sync.sandbox.state import SandboxState


def build_app(state: SandboxState) -> ASGIApp:
    """The ASGI app serving `state` under `/v3` (plus `/_sandbox` admin endpoints and the
    Meta Conversions API stand-in under `/_meta`)."""
    api: list[BaseRoute] = [
        *import_routes(state),  # before the deal routes: `/crm/deals/import` is no deal id
        *deal_routes(state),
        *crm_routes(state),
        *loyalty_routes(state),
        *meta_routes(state),
    ]

    def message_only(request: Request) -> bool:
        # The admin endpoints are the sandbox's own, not Brevo's: they always name a code.
        return state.quirks.message_only and not request.url.path.startswith(ADMIN_PREFIX)

    inner = Starlette(
        routes=[*api, *admin_routes(state), *inspect_routes(state)],
        exception_handlers=error_handlers(message_only),
    )
    return SandboxGate(state, inner, api)
