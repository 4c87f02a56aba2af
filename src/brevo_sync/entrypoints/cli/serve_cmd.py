"""`brevo-sync serve`: the HTTP side under uvicorn."""

from __future__ import annotations

import typer

from brevo_sync.entrypoints.cli.common import build_container

HELP = """Serve the HTTP side: order and subscription webhooks (Shopify, WooCommerce, our own
JSON), Brevo's CRM webhooks as hints, the ops API and /healthz, /readyz, /metrics. The
OpenAPI document is at /openapi.json (and /docs). Runs until Ctrl-C or SIGTERM."""


def register(app: typer.Typer) -> None:
    @app.command("serve", help=HELP)
    def serve_command(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8080, min=1, max=65535, help="Port to listen on."),
    ) -> None:
        import uvicorn

        from brevo_sync.entrypoints.web import create_app

        container = build_container()
        try:
            # Our access log (web/access_log.py) replaces uvicorn's, which would print each
            # request's full path and query string.
            uvicorn.run(
                create_app(container), host=host, port=port, log_config=None, access_log=False
            )
        finally:
            container.close()
