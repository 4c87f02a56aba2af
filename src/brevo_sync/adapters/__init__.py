"""Adapters: the concrete outside world (Brevo's API, the mirror database) behind the ports
declared in `brevo_sync.service.ports`."""
