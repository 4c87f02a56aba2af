"""The composition root: builds every collaborator from the settings. Nothing at import.

Entrypoints ask a `Container` for what they need; it builds each thing once, on first use,
so a command that only reads the mirror never touches the API key, and one that calls Brevo
never builds what it does not use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.migrate import ensure_schema
from brevo_sync.adapters.store.mirror import SqlMirror
from brevo_sync.config import Settings
from brevo_sync.domain.parsing import AttributeNames
from brevo_sync.logs import register_secret
from brevo_sync.service.ports import BrevoGateway, WaitListener
from brevo_sync.service.pull import PullOptions


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    on_budget_wait: WaitListener | None = None

    @cached_property
    def engine(self) -> Engine:
        """The mirror database, its schema created if empty (checked once per process)."""
        engine = create_mirror_engine(self.settings.database_url)
        ensure_schema(engine)
        return engine

    @cached_property
    def mirror(self) -> SqlMirror:
        return SqlMirror(self.engine)

    @cached_property
    def gateway(self) -> BrevoGateway:
        from brevo_sync.adapters.brevo import build_gateway  # the SDK loads only when needed

        api_key = self.settings.require_api_key()
        register_secret(api_key)
        return build_gateway(
            api_key=api_key,
            base_url=self.settings.base_url,
            timeout_seconds=self.settings.http_timeout_seconds,
            max_retries=self.settings.max_retries,
            reserve=self.settings.budget_reserve_requests,
            max_wait_seconds=self.settings.max_budget_wait_seconds,
            on_wait=self.on_budget_wait,
            backoff_base_seconds=self.settings.retry_backoff_seconds,
            backoff_max_seconds=self.settings.retry_backoff_max_seconds,
        )

    @property
    def pull_options(self) -> PullOptions:
        s = self.settings
        return PullOptions(
            page_size=s.page_size,
            overlap=timedelta(seconds=s.overlap_seconds),
            catalog_refresh=timedelta(hours=s.catalog_refresh_hours),
            attribute_names=AttributeNames(close_date=s.attr_close_date, currency=s.attr_currency),
        )

    def close(self) -> None:
        if "gateway" in self.__dict__:
            self.gateway.close()
        if "engine" in self.__dict__:
            self.engine.dispose()
