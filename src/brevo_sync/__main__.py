"""`python -m brevo_sync` is the `brevo-sync` command."""

from __future__ import annotations

from brevo_sync.entrypoints.cli import main

main()
