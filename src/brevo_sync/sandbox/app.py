"""Assemble the sandbox ASGI application from the state and the route modules."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from brevo_sync.sandbox.errors import SandboxError
from brevo_sync.sandbox.gate import SandboxGate
from brevo_sync.sandbox.http import http_error_handler, sandbox_error_handler
from brevo_sync.sandbox.routes_admin import admin_routes
from brevo_sync.sandbox.routes_crm import crm_routes
from brevo_sync.sandbox.routes_deals import deal_routes
from brevo_sync.sandbox.routes_loyalty import loyalty_routes
from brevo_sync.sandbox.state import SandboxState


def build_app(state: SandboxState) -> ASGIApp:
    """The ASGI app serving `state` under `/v3` (plus `/_sandbox` admin endpoints)."""
    api: list[BaseRoute] = [*deal_routes(state), *crm_routes(state), *loyalty_routes(state)]
    inner = Starlette(
        routes=[*api, *admin_routes(state)],
        exception_handlers={
            SandboxError: sandbox_error_handler,
            HTTPException: http_error_handler,
        },
    )
    return SandboxGate(state, inner, api)
