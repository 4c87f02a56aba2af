"""The composition root: builds every collaborator from the settings. Nothing at import.

Entrypoints ask a `Container` for a `ServiceContext` and hand it to the use cases. Each piece
is built once, on first use, so a command that only reads the mirror never touches the API
key, and one that calls Brevo never builds what it does not use. A read-only container
(`writes=False`) never creates a database or a schema: it refuses to start without a mirror.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

from sqlalchemy.engine import Engine

from brevo_sync.adapters.meta import MetaConversions
from brevo_sync.adapters.rules_file import load_rules, read_rules
from brevo_sync.adapters.store.daemon_lock import daemon_guard
from brevo_sync.adapters.store.engine import check_sqlite_file, create_mirror_engine, describe_url
from brevo_sync.adapters.store.lock import mirror_lock
from brevo_sync.adapters.store.migrate import AlembicSchemaAdmin, ensure_schema, require_schema
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.config import Settings
from brevo_sync.domain.outbox import Features
from brevo_sync.domain.parsing import TypedAttributeNames
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.logs import register_secret
from brevo_sync.service.context import PullOptions, PushOptions, ServiceContext
from brevo_sync.service.ports import (
    BrevoGateway,
    MirrorLock,
    RulesFile,
    SchemaAdmin,
    WaitListener,
)
from brevo_sync.service.stop import StopToken


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    on_budget_wait: WaitListener | None = None
    writes: bool = True  # False: the mirror must exist already; nothing is created
    stop: StopToken = field(default_factory=StopToken)

    @cached_property
    def raw_engine(self) -> Engine:
        """The mirror database as configured, its schema not looked at."""
        url = self.settings.database_url
        check_sqlite_file(url, create=self.writes)
        return create_mirror_engine(url, writes=self.writes)

    @cached_property
    def engine(self) -> Engine:
        """The mirror database at this version's schema (created when empty, if writing)."""
        engine = self.raw_engine
        if self.writes:
            ensure_schema(engine)
        else:
            require_schema(engine)
        return engine

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    @cached_property
    def lock(self) -> MirrorLock:
        return mirror_lock(self.engine, self.settings.lock_wait_seconds)

    @cached_property
    def gateway(self) -> BrevoGateway:
        return self.new_gateway()

    def new_gateway(self) -> BrevoGateway:
        """A gateway of its own (its own budget count and connections): the daemon gives
        one to each job, so each counts from what the mirror says every run spent."""
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
            requests_per_hour=self.settings.requests_per_hour,
            sleep=self.stop.sleep,  # a budget wait ends the moment a stop is asked for
        )

    @cached_property
    def conversions(self) -> MetaConversions | None:
        """Meta's Conversions API (a `ConversionSink`), or None when BREVO_SYNC_META_PIXEL_ID
        and BREVO_SYNC_META_ACCESS_TOKEN are not set (ConfigError when only one is)."""
        credentials = self.settings.meta_credentials()
        if credentials is None:
            return None
        from brevo_sync.adapters.brevo.client import build_http_client

        pixel_id, token = credentials
        register_secret(token)
        return MetaConversions(
            build_http_client(self.settings.http_timeout_seconds),
            endpoint_base=self.settings.meta_api_url,
            pixel_id=pixel_id,
            access_token=token,
            test_event_code=self.settings.meta_test_event_code,
        )

    @cached_property
    def rules(self) -> RulesConfig:
        return load_rules(self.settings.rules)

    def read_rules(self, path: Path | None = None) -> RulesFile:
        """A rules file (the given one, $BREVO_SYNC_RULES or the packaged one), validated."""
        return read_rules(path)

    def schema(self) -> SchemaAdmin:
        return AlembicSchemaAdmin(self.raw_engine)

    @property
    def pull_options(self) -> PullOptions:
        s = self.settings
        return PullOptions(
            page_size=None if s.page_size == "auto" else s.page_size,
            overlap=timedelta(seconds=s.overlap_seconds),
            catalog_refresh=timedelta(hours=s.catalog_refresh_hours),
            attribute_names=TypedAttributeNames(
                close_date=s.attr_close_date, currency=s.attr_currency
            ),
        )

    @cached_property
    def context(self) -> ServiceContext:
        return ServiceContext(
            uow=self.uow,
            gateway=lambda: self.gateway,
            rules=lambda: self.rules,
            lock=lambda: self.lock,
            schema=self.schema,
            clock=utc_now,
            database=describe_url(self.settings.database_url),
            stop=self.stop,
            pull=self.pull_options,
            rules_file=self.settings.rules,
            pid=os.getpid(),
            brevo_configured=bool(
                self.settings.api_key and self.settings.api_key.get_secret_value().strip()
            ),
            reconcile_budget_share=self.settings.reconcile_budget_share,
            push=self.push_options,
            conversions=lambda: self.conversions,
        )

    @cached_property
    def push_options(self) -> PushOptions:
        s = self.settings
        program = getattr(s, "loyalty_program_id", None)
        balance = getattr(s, "loyalty_balance_id", None)
        features = Features(
            loyalty=bool(program and balance),
            conversions=bool(getattr(s, "meta_pixel_id", None)),
            tiers=bool(program),
        )
        return PushOptions(
            import_threshold=s.import_threshold,
            import_batch_size=s.import_batch_size,
            confirm_timeout=timedelta(seconds=s.import_confirm_timeout_seconds),
            max_attempts=s.outbox_max_attempts,
            first_backoff=timedelta(seconds=s.outbox_backoff_seconds),
            conflict_max_age=timedelta(seconds=s.conflict_max_age_seconds),
            conflict_policy=s.conflict_policy,
            loyalty_program_id=str(program) if program else None,
            loyalty_balance_id=str(balance) if balance else None,
            requests_per_hour=s.requests_per_hour,
            features=features,
            claim_ttl=timedelta(seconds=s.job_claim_seconds),
        )

    @contextmanager
    def job_context(self) -> Iterator[ServiceContext]:
        """The context of one daemon job: the container's, with a gateway of its own."""
        built: list[BrevoGateway] = []

        def gateway() -> BrevoGateway:
            if not built:
                built.append(self.new_gateway())
            return built[0]

        try:
            yield replace(self.context, gateway=gateway)
        finally:
            for made in built:
                made.close()

    def daemon_guard(self) -> AbstractContextManager[None]:
        """Held while `run` runs: a second daemon on one SQLite mirror is refused."""
        return daemon_guard(self.engine)

    def close(self) -> None:
        if "gateway" in self.__dict__:
            self.gateway.close()
        if self.__dict__.get("conversions") is not None:
            self.__dict__["conversions"].close()
        if "raw_engine" in self.__dict__:
            self.raw_engine.dispose()
