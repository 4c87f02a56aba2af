"""The one exception tree of brevo-sync.

    BrevoSyncError                  anything this package raises on purpose
    ├── ConfigError                 a setting or rules file is missing or malformed (exit 2)
    ├── UsageError                  a command was called with arguments that cannot work (exit 2)
    ├── BrevoError                  the Brevo API refused or failed a request
    │   ├── BrevoAuthError          401/403: the API key is missing, wrong or lacks permission
    │   ├── BrevoNotFound           404: the object does not exist (any more)
    │   ├── BrevoBadRequest         400/422: Brevo rejected what we sent
    │   ├── BrevoRateLimited        429 after our retries, or the budget would have to wait too long
    │   └── BrevoUnavailable        5xx or transport failure after our retries
    ├── StoreError                  the mirror database failed or is at an unexpected schema
    └── RuleViolation               a domain rule refused a change (carries every reason)

Entrypoints map ConfigError/UsageError to exit code 2 and every other BrevoSyncError to 1,
always with one line of text and never a traceback.
"""

from __future__ import annotations


class BrevoSyncError(Exception):
    """Base of every error raised on purpose by brevo-sync."""


class ConfigError(BrevoSyncError):
    """A setting or a rules file is missing or malformed."""


class UsageError(BrevoSyncError):
    """A command was called with arguments that cannot work."""


class BrevoError(BrevoSyncError):
    """The Brevo API refused or failed a request."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        endpoint: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint
        self.code = code


class BrevoAuthError(BrevoError):
    """401/403: the API key is missing, wrong or lacks a permission."""


class BrevoNotFound(BrevoError):
    """404: the object does not exist (any more)."""


class BrevoBadRequest(BrevoError):
    """400/422: Brevo rejected what we sent."""


class BrevoRateLimited(BrevoError):
    """Still 429 after our retries, or the request budget would wait longer than allowed."""

    def __init__(self, message: str, *, reset_seconds: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.reset_seconds = reset_seconds


class BrevoUnavailable(BrevoError):
    """5xx or a transport failure that our retries could not get past."""


class StoreError(BrevoSyncError):
    """The mirror database failed or is at an unexpected schema."""


class RuleViolation(BrevoSyncError):
    """A domain rule refused a change; `reasons` holds every reason, not just the first."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)
