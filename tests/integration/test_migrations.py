"""Alembic revisions and the table definitions describe the same schema, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.migrate import (
    current_revision,
    ensure_schema,
    head_revision,
    upgrade,
)
from brevo_sync.adapters.store.tables import metadata
from brevo_sync.errors import StoreError


# SQLite cannot reflect expression indexes, so Alembic skips them there (with a warning);
# PostgreSQL reflects and compares them, and the same test runs there too.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_match_the_table_definitions(mirror_engine: Engine) -> None:
    with mirror_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert current_revision(mirror_engine) == head_revision()


def test_upgrade_is_idempotent(mirror_engine: Engine) -> None:
    before, after = upgrade(mirror_engine)
    assert before == after == head_revision()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = create_mirror_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_empty_database_is_created_on_first_use(tmp_path: Path) -> None:
    engine = create_mirror_engine(f"sqlite:///{tmp_path / 'new.db'}")
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    assert "deals" in sa.inspect(engine).get_table_names()


def test_outdated_database_asks_for_db_upgrade(tmp_path: Path) -> None:
    engine = create_mirror_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001_mirror")
    if head_revision() == "0001_mirror":
        pytest.skip("only one revision exists")
    with pytest.raises(StoreError, match="brevo-sync db upgrade"):
        ensure_schema(engine)
