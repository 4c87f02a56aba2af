"""The HTTP side (`brevo-sync serve`, and inside `run`): webhooks, the ops API, health."""

from brevo_sync.entrypoints.web.app import create_app

__all__ = ["create_app"]
