"""`brevo-sync run`: the daemon. APScheduler looks for due jobs, `service/daemon.py` decides
and runs them, the HTTP side answers in the same process (`serve`'s app)."""

from brevo_sync.entrypoints.daemon.runner import Daemon

__all__ = ["Daemon"]
