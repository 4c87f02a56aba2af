"""brevo-sync: keeps Brevo CRM deals and a company's own systems in step."""

from __future__ import annotations

__version__ = "0.1.0"
