"""A `ServiceContext` for tests: any unit of work, the in-memory Brevo (`FakeBrevo`), the
packaged rules, and a clock that follows FakeBrevo's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from brevo_sync.adapters.rules_file import load_default_rules
from brevo_sync.adapters.store.engine import describe_url
from brevo_sync.adapters.store.lock import mirror_lock
from brevo_sync.adapters.store.migrate import AlembicSchemaAdmin
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.service.context import PullOptions, ServiceContext
from tests.fakes import FakeBrevo

RULES = load_default_rules()


def sql_context(
    engine: Engine, brevo: FakeBrevo, *, page: int | None = 10, overlap_seconds: float = 5
) -> ServiceContext:
    lock = mirror_lock(engine, wait_seconds=0.5)
    return ServiceContext(
        uow=lambda: SqlUnitOfWork(engine),
        gateway=lambda: brevo,
        rules=lambda: RULES,
        lock=lambda: lock,
        schema=lambda: AlembicSchemaAdmin(engine),
        clock=lambda: brevo.now,
        database=describe_url(engine.url.render_as_string(hide_password=False)),
        pull=PullOptions(page_size=page, overlap=timedelta(seconds=overlap_seconds)),
        brevo_configured=True,
    )
