"""Shared fixtures: real databases (SQLite files and PostgreSQL schemas), a clean environment.

PostgreSQL comes from BREVO_SYNC_TEST_POSTGRES_URL (default: the local trust-auth server).
When it cannot be reached its tests skip, unless BREVO_SYNC_REQUIRE_POSTGRES=1 (CI sets it),
in which case they fail: a green CI run always exercised PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.migrate import upgrade

PG_URL = os.environ.get(
    "BREVO_SYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("BREVO_SYNC_REQUIRE_POSTGRES") == "1"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's settings leak into a test, and the SDK never attempts OAuth."""
    for name in list(os.environ):
        if name.startswith(("BREVO_SYNC_", "BREVO_")) and name not in (
            "BREVO_SYNC_TEST_POSTGRES_URL",
            "BREVO_SYNC_REQUIRE_POSTGRES",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # a `.env` or default database of the checkout is not read


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """Each test starts from structlog's defaults: a test (or an app it builds) that
    configures logging at INFO must not hide the debug events a later test captures."""
    yield
    structlog.reset_defaults()


def _postgres_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # any failure to connect means "no server here"
        return f"{exc.__class__.__name__}: {exc}".splitlines()[0]
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    problem = _postgres_reachable()
    if problem is not None:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but unreachable at {PG_URL}: {problem}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {problem}")
    return PG_URL


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[tuple[str, dict[str, object]]]:
    """A fresh PostgreSQL schema for one test, dropped afterwards: (url, engine kwargs)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_url, {"connect_args": {"options": f"-csearch_path={schema}"}}
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _sqlite_engine(tmp_path: Path) -> Engine:
    return create_mirror_engine(f"sqlite:///{tmp_path / 'mirror.db'}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def mirror_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated mirror database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        engine = _sqlite_engine(tmp_path)
    else:
        url, kwargs = request.getfixturevalue("pg_schema_url")
        engine = create_mirror_engine(url, **kwargs)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
