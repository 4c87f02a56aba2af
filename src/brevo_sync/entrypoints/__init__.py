"""How the outside world starts brevo-sync: the CLI (and later the web app and daemon)."""
