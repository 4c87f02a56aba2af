"""The one exception tree of brevo-sync.

    BrevoSyncError                  anything this package raises on purpose
    ├── ConfigError                 a setting or rules file is missing or malformed (exit 2)
    │   ├── BrevoAuthError *        401/403: BREVO_API_KEY is wrong or lacks a permission
    │   └── BrevoBaseUrlError *     404 from a list that always exists: BREVO_BASE_URL is wrong
    ├── UsageError                  a command was called with arguments that cannot work (exit 2)
    ├── BrevoError                  the Brevo API refused or failed a request
    │   ├── BrevoAuthError *        (the same class: a BrevoError and a ConfigError)
    │   ├── BrevoBaseUrlError *     (the same class: a BrevoError and a ConfigError)
    │   ├── BrevoNotFound           404: the object does not exist (any more)
    │   ├── BrevoBadRequest         400/422: Brevo rejected what we sent
    │   ├── BrevoRateLimited        429 after our retries, or the budget would have to wait too long
    │   └── BrevoUnavailable        5xx or transport failure after our retries
    ├── ConversionsError            Meta's Conversions API refused or failed a batch
    ├── StoreError                  the mirror database failed or is at an unexpected schema
    │   ├── MirrorMissing *         a reading command found no mirror there (a ConfigError too)
    │   └── SchemaOutdated *        the schema is older: `brevo-sync db upgrade` (a ConfigError too)
    ├── MirrorBusy                  another run holds the mirror (one run at a time)
    ├── Interrupted                 a stop was asked for; the run stopped at a safe point (exit 130)
    └── RuleViolation               a domain rule refused a change (carries every reason)

* Both a BrevoError and a ConfigError (multiple inheritance): the gateway raises them like any
  other Brevo failure, and the entrypoints treat them as the setting mistakes they are. Their
  message starts with the setting's name.

Entrypoints map ConfigError/UsageError to exit code 2, Interrupted to 130 and every other
BrevoSyncError to 1, always with one line of text and never a traceback.
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


class BrevoAuthError(BrevoError, ConfigError):
    """401/403: the API key is wrong or lacks a permission. A configuration mistake (exit 2)
    as much as a Brevo answer: the message names BREVO_API_KEY, never the key itself."""


class BrevoBaseUrlError(BrevoError, ConfigError):
    """404 from an endpoint that always exists on Brevo (a list such as `GET /crm/deals`):
    BREVO_BASE_URL points somewhere that is not Brevo's API root."""


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


class ConversionsError(BrevoSyncError):
    """Meta's Conversions API refused a batch (4xx: `retryable` false, sending it again will
    not help) or could not be reached / failed (5xx, 429, transport: `retryable` true)."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class StoreError(BrevoSyncError):
    """The mirror database failed or is at an unexpected schema."""


class RuleViolation(BrevoSyncError):
    """A domain rule refused a change; `reasons` holds every reason, not just the first."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


class MirrorMissing(StoreError, ConfigError):
    """A command that only reads found no mirror (or no schema) at the configured database."""


class SchemaOutdated(StoreError, ConfigError):
    """The mirror's schema is older than this version: `brevo-sync db upgrade` brings it up."""


class MirrorBusy(BrevoSyncError):
    """Another run holds the mirror (one run at a time spends the budget and writes)."""


class Interrupted(BrevoSyncError):
    """A stop was asked for (Ctrl-C, SIGTERM): the run stopped at a safe point, recorded."""
