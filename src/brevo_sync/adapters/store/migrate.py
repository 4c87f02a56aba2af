"""Schema migrations through Alembic, callable from code (`brevo-sync db upgrade`).

Other commands call `ensure_schema`: an empty database is upgraded on the spot, so the
first `pull` or `demo` just works; a database at an older revision is not touched behind the
operator's back (another worker may still run the old code) and asks for `db upgrade`.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.engine import describe_url
from brevo_sync.errors import MirrorMissing, SchemaOutdated, StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config(sa.create_engine("sqlite://"))).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Upgrade to `revision`; returns (revision before, revision after)."""
    before = current_revision(engine)
    config = _config(engine)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"database upgrade failed: {exc.__class__.__name__}: {exc}") from exc
    return before, current_revision(engine) or ""


def _revision(engine: Engine, name: str) -> str | None:
    try:
        return current_revision(engine)
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot open the mirror database {name}: {reason}") from exc


def ensure_schema(engine: Engine) -> None:
    """Create the schema in an empty database; refuse to run on an outdated one."""
    name = describe_url(engine.url.render_as_string(hide_password=False))
    current = _revision(engine, name)
    head = head_revision()
    if current == head:
        return
    if current is None and not sa.inspect(engine).get_table_names():
        upgrade(engine)
        return
    raise SchemaOutdated(
        f"the mirror database {name} is at revision {current or 'unknown'}, this version "
        f"needs {head}: run `brevo-sync db upgrade`"
    )


def require_schema(engine: Engine) -> None:
    """For commands that only read: the schema must be there, at this version. Creates nothing."""
    name = describe_url(engine.url.render_as_string(hide_password=False))
    current = _revision(engine, name)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise MirrorMissing(
            f"the database {name} holds no brevo-sync mirror yet: `brevo-sync pull` fills it "
            "(or `brevo-sync db upgrade` creates an empty one)"
        )
    raise SchemaOutdated(
        f"the mirror database {name} is at revision {current}, this version needs {head}: "
        "run `brevo-sync db upgrade`"
    )


class AlembicSchemaAdmin:
    """`SchemaAdmin` for `brevo-sync db upgrade`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def upgrade(self) -> tuple[str | None, str]:
        return upgrade(self._engine)

    def revisions(self) -> tuple[str | None, str]:
        name = describe_url(self._engine.url.render_as_string(hide_password=False))
        try:
            return _revision(self._engine, name), head_revision()
        except sa.exc.SQLAlchemyError as exc:  # _revision names the usual connection failure
            raise StoreError(f"cannot read the schema of {name}: {exc.__class__.__name__}") from exc
