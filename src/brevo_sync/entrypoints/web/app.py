"""The ASGI application: one FastAPI app over the composition root's container.

Routers by concern, each in its own module: `webhooks` (shops and Brevo call in), `ops` (the
bearer-token API for internal tools), `health` (probes and metrics). Every route reaches the
mirror and Brevo through the services (`request.app.state.container.context`), never
through adapters."""

from __future__ import annotations

from fastapi import FastAPI

from brevo_sync import __version__
from brevo_sync.bootstrap import Container
from brevo_sync.entrypoints.web import health, ops, webhooks

DESCRIPTION = """brevo-sync's HTTP side: order and subscription webhooks from shops, Brevo's CRM
webhooks as hints for an early pull, an ops API for internal tools (bearer tokens from
`brevo-sync tokens add`), and the probes and metrics a platform needs."""


def create_app(container: Container) -> FastAPI:
    app = FastAPI(title="brevo-sync", version=__version__, description=DESCRIPTION)
    app.state.container = container
    app.include_router(health.router)
    app.include_router(webhooks.router)
    app.include_router(ops.router)
    return app
