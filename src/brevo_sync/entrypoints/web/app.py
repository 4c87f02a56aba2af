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
from brevo_sync.entrypoints.web.access_log import install_access_log
from brevo_sync.entrypoints.web.error_handlers import install_error_handlers
from brevo_sync.entrypoints.web.workers import run_workers

DESCRIPTION = """brevo-sync's HTTP side: order and subscription webhooks from shops, Brevo's CRM
webhooks as hints for an early pull, an ops API for internal tools (bearer tokens from
`brevo-sync tokens add`), and the probes and metrics a platform needs."""


def create_app(container: Container, *, background: bool = True) -> FastAPI:
    """`background`: run the webhooks' workers (inbox, early pulls, renewals) with the app's
    lifespan; off when something else processes the inbox (tests, the daemon)."""
    app = FastAPI(
        title="brevo-sync",
        version=__version__,
        description=DESCRIPTION,
        lifespan=run_workers if background else None,
    )
    app.state.container = container
    install_error_handlers(app)  # every refusal a JSON `detail`; never a 500 for client input
    install_access_log(app)  # one JSON line and the request counters per request
    app.include_router(health.router)
    app.include_router(webhooks.router)
    app.include_router(ops.router)
    return app
