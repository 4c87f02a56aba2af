"""Settings: one object, built once by the composition root, from the environment and `.env`.

Brevo's own names (`BREVO_API_KEY`, `BREVO_BASE_URL`) are kept as Brevo's tools spell them;
everything else is prefixed `BREVO_SYNC_`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from brevo_sync.errors import ConfigError

DEFAULT_BASE_URL = "https://api.brevo.com/v3"
DEFAULT_DATABASE_URL = "sqlite:///brevo_sync.db"
DEFAULT_META_API_URL = "https://graph.facebook.com/v19.0"
MAX_PAGE_SIZE = 1000
RULES_ENV = "BREVO_SYNC_RULES"
PREFIX = "BREVO_SYNC_"
# Variables with our prefix that are not settings: test switches and tools' own.
NOT_SETTINGS = frozenset({"BREVO_SYNC_TEST_POSTGRES_URL", "BREVO_SYNC_REQUIRE_POSTGRES"})


class Settings(BaseSettings):
    """Every tunable of brevo-sync. Units are in the names."""

    model_config = SettingsConfigDict(
        env_prefix="BREVO_SYNC_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("BREVO_API_KEY", "api_key")
    )
    base_url: str = Field(
        default=DEFAULT_BASE_URL, validation_alias=AliasChoices("BREVO_BASE_URL", "base_url")
    )
    database_url: str = DEFAULT_DATABASE_URL
    rules: Path | None = None

    # Pull: deals per list request, or "auto" (the most the account gives, learned once)
    page_size: int | Literal["auto"] = 100
    overlap_seconds: float = Field(default=60.0, ge=0)
    catalog_refresh_hours: float = Field(default=24.0, ge=0)

    # Brevo attribute names that the API docs leave unverified: discover them with
    # `GET /crm/attributes/deals` and set them here when an account spells them otherwise.
    attr_close_date: str = "close_date"
    attr_currency: str = "deal_currency"

    # HTTP and budget
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=5, ge=0, le=20)
    retry_backoff_seconds: float = Field(default=0.5, ge=0)  # first retry's wait, then doubling
    retry_backoff_max_seconds: float = Field(default=30.0, ge=0)
    budget_reserve_requests: int = Field(default=0, ge=0)
    max_budget_wait_seconds: float = Field(default=3900.0, ge=0)
    # The local ceiling when Brevo's answers carry no rate-limit headers (general plan: 100).
    requests_per_hour: int = Field(default=100, ge=1)

    # One run at a time per mirror: how long a second run waits for the first to finish.
    lock_wait_seconds: float = Field(default=5.0, ge=0)

    # Reconcile: the most of the budget window one run may spend walking Brevo's deal list
    # (and it never takes the window below the rest), 0 to 1.
    reconcile_budget_share: float = Field(default=0.5, ge=0, le=1)

    # The write path (push): above this many deals in one push, creations and updates go
    # through Brevo's bulk import (one request per batch) instead of one request per deal.
    import_threshold: int = Field(default=20, ge=1)
    import_batch_size: int = Field(default=500, ge=1)
    # An import is asynchronous: its rows wait for a pull to show them, then are re-sent one
    # by one.
    import_confirm_timeout_seconds: float = Field(default=3600.0, gt=0)
    # A row that failed this many times becomes a dead letter (kept, with its reason).
    outbox_max_attempts: int = Field(default=8, ge=1)
    # The wait after a row's first failure; it doubles with each further one (at most 6 h).
    outbox_backoff_seconds: float = Field(default=30.0, gt=0)
    # Before an update: Brevo's values from the mirror when the last pull is younger than
    # this, else one GET of the deal.
    conflict_max_age_seconds: float = Field(default=900.0, ge=0)
    # A field changed on both sides: "brevo" keeps Brevo's value (ours goes to the conflict
    # log), "ours" sends ours anyway (Brevo's goes to the log).
    conflict_policy: Literal["brevo", "ours"] = "brevo"

    # Loyalty (off unless both are set): the Brevo program and the balance points go to.
    loyalty_program_id: str | None = None
    loyalty_balance_id: str | None = None

    # Meta Conversions API (off unless the pixel id and the token are both set).
    meta_pixel_id: str | None = None
    meta_access_token: SecretStr | None = None
    meta_api_url: str = DEFAULT_META_API_URL
    meta_test_event_code: str | None = None  # routes events to Meta's Test Events view

    # Webhooks (`serve`): a route whose secret or token is not set answers 404.
    shopify_webhook_secret: SecretStr | None = None
    woocommerce_webhook_secret: SecretStr | None = None
    order_webhook_secret: SecretStr | None = None  # our own orders and subscriptions
    brevo_webhook_token: SecretStr | None = None  # Brevo's CRM webhooks: bearer or basic auth
    webhook_max_body_bytes: int = Field(default=1_048_576, ge=1)
    # Brevo's webhooks wake an early pull this long after the first of a burst.
    hint_debounce_seconds: float = Field(default=2.0, ge=0)
    # A delivery whose processing failed this many times becomes a dead letter.
    inbox_max_attempts: int = Field(default=10, ge=1)

    # HTTP: /readyz fails when the last successful pull is older than this (0: not checked).
    ready_max_pull_age_seconds: float = Field(default=3600.0, ge=0)

    # The daemon (`brevo-sync run`): when each job runs. The pull adapts between the first
    # two (backing off while nothing changes); with BREVO_SYNC_BREVO_WEBHOOK_TOKEN set, Brevo's
    # webhooks pull early and the poll is a safety net every `pull_hinted_interval_seconds`.
    pull_interval_seconds: float = Field(default=60.0, gt=0)
    pull_max_interval_seconds: float = Field(default=900.0, gt=0)
    pull_hinted_interval_seconds: float = Field(default=3600.0, gt=0)
    push_interval_seconds: float = Field(default=15.0, gt=0)
    inbox_interval_seconds: float = Field(default=5.0, gt=0)
    sweep_interval_seconds: float = Field(default=900.0, gt=0)
    renewals_interval_seconds: float = Field(default=86400.0, gt=0)
    renewals_cron: str | None = None  # a crontab line (UTC) instead of the interval
    reconcile_interval_seconds: float = Field(default=86400.0, gt=0)
    reconcile_cron: str | None = None
    # History the mirror keeps of itself (run records, processed webhooks; `db prune` and the
    # daemon's prune job): older runs are folded per command, the rest deleted.
    history_days: float = Field(default=90.0, ge=1)
    prune_interval_seconds: float = Field(default=86400.0, gt=0)
    # A job's claim on its shared slot lasts this long unless renewed (a dead replica's runs
    # are taken over after it); renewed every third of it while the job runs.
    job_claim_seconds: float = Field(default=300.0, gt=0)
    # SIGTERM: the running steps finish their page or row within this, then the daemon exits.
    stop_timeout_seconds: float = Field(default=10.0, gt=0)

    # Logs
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    @field_validator("page_size", mode="before")
    @classmethod
    def _page_size(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        if isinstance(value, str) and not value.strip().isdigit():
            raise ValueError("must be a number of deals (1-1000) or auto")
        number = int(value)  # type: ignore[call-overload]
        if not 1 <= number <= MAX_PAGE_SIZE:
            raise ValueError(f"must be between 1 and {MAX_PAGE_SIZE}, or auto")
        return number

    @field_validator(
        "shopify_webhook_secret",
        "woocommerce_webhook_secret",
        "order_webhook_secret",
        "brevo_webhook_token",
        "meta_access_token",
        mode="before",
    )
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        """`X=` or `X="  "` (a compose file's empty default) means not set, for every reader:
        the routes answer 404 and the daemon does not wait for Brevo's webhooks."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("base_url", "meta_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the driver we ship; the bare scheme would ask for psycopg2.
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("renewals_cron", "reconcile_cron")
    @classmethod
    def _crontab(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if len(value.split()) != 5:
            raise ValueError("must be a crontab line of 5 fields, e.g. '0 3 * * *'")
        return value.strip()

    @field_validator(
        "loyalty_program_id", "loyalty_balance_id", "meta_pixel_id", "meta_test_event_code"
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @property
    def loyalty_configured(self) -> bool:
        return bool(self.loyalty_program_id and self.loyalty_balance_id)

    def meta_credentials(self) -> tuple[str, str] | None:
        """(pixel id, token) when the Conversions API is configured, None when it is off;
        ConfigError when only one of the two is set."""
        token = self.meta_access_token.get_secret_value().strip() if self.meta_access_token else ""
        if not self.meta_pixel_id and not token:
            return None
        if not token:
            raise ConfigError(
                "BREVO_SYNC_META_ACCESS_TOKEN is not set, but BREVO_SYNC_META_PIXEL_ID is"
            )
        if not self.meta_pixel_id:
            raise ConfigError(
                "BREVO_SYNC_META_PIXEL_ID is not set, but BREVO_SYNC_META_ACCESS_TOKEN is"
            )
        return self.meta_pixel_id, token

    def require_api_key(self) -> str:
        """The API key, or a ConfigError naming the variable that is missing."""
        if self.api_key is None or not self.api_key.get_secret_value().strip():
            raise ConfigError("BREVO_API_KEY is not set: commands that call Brevo need it")
        return self.api_key.get_secret_value()


_ENV_NAMES = {"api_key": "BREVO_API_KEY", "base_url": "BREVO_BASE_URL"}


def setting_names() -> set[str]:
    """Every environment variable a setting reads."""
    names = {f"{PREFIX}{name.upper()}" for name in Settings.model_fields}
    return (names - {f"{PREFIX}{k.upper()}" for k in _ENV_NAMES}) | set(_ENV_NAMES.values())


def unknown_variables(environ: Mapping[str, str], dotenv: Path | None = Path(".env")) -> list[str]:
    """One line per `BREVO_SYNC_*` variable (environment or `.env`) that no setting reads: a
    typo would otherwise be ignored in silence. Each names the closest setting."""
    seen = {k for k in environ if k.upper().startswith(PREFIX)}
    if dotenv is not None and dotenv.is_file():
        seen |= {k for k in dotenv_values(dotenv) if k.upper().startswith(PREFIX)}
    known = setting_names()
    lines = []
    for name in sorted(seen):
        if name.upper() in known or name.upper() in NOT_SETTINGS:
            continue
        close = difflib.get_close_matches(name.upper(), sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        lines.append(f"{name} is not a brevo-sync setting and is ignored{hint}")
    return lines


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning pydantic's report into a one-line ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "settings"
        name = _ENV_NAMES.get(field, field if field.isupper() else f"BREVO_SYNC_{field.upper()}")
        raise ConfigError(f"{name}: {str(err['msg']).removeprefix('Value error, ')}") from None
