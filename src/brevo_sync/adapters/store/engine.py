"""Database engines for the mirror: SQLite (embedded default, WAL) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.errors import ConfigError, MirrorMissing

# A writer waits this long for another connection's lock instead of failing at once.
SQLITE_BUSY_TIMEOUT_MS = 10_000
# WAL pages between automatic checkpoints (SQLite's default is 1,000, ~4 MB). A pull commits
# every page of deals; at the default a checkpoint (with its fsync) ran every dozen commits and
# cost a third of a full pull's time. ~40 MB of WAL between checkpoints is a fair price.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets readers (status, deals list) run while a pull writes; NORMAL is durable at
    # every checkpoint and loses at most the last transactions on power loss, never corrupts.
    # Setting WAL writes to the file (once; it stays WAL), so readers leave it to writers.
    cursor.execute("PRAGMA journal_mode=WAL")
    _session_pragmas(cursor)


def _reader_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    _session_pragmas(cursor)


def _session_pragmas(cursor: Any) -> None:
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL; None for in-memory databases and other databases."""
    if not url.startswith("sqlite"):
        return None
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database)


def describe_url(url: str) -> str:
    """The URL without its password, for messages and reports."""
    return _redact(url)


def check_sqlite_file(url: str, *, create: bool) -> None:
    """Before connecting (SQLite creates a missing file on connect): a read-only command must
    find the file; a writing one must find the folder it goes in."""
    path = sqlite_path(url)
    if path is None:
        return
    if not create and not path.exists():
        raise MirrorMissing(
            f"no mirror at {_redact(url)} (the file does not exist): `brevo-sync pull` "
            "creates it, or set BREVO_SYNC_DATABASE_URL to the mirror you mean"
        )
    if create and not path.parent.is_dir():
        raise ConfigError(
            f"BREVO_SYNC_DATABASE_URL: cannot create {_redact(url)}: the folder "
            f"{path.parent} does not exist"
        )


def create_mirror_engine(url: str, *, writes: bool = True, **kwargs: Any) -> Engine:
    """An engine for `url`, configured for the mirror's access pattern (`writes=False`: a
    reader's, which changes nothing in the file by connecting)."""
    try:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, **kwargs)
            pragmas = _sqlite_pragmas if writes else _reader_pragmas
            sa.event.listen(engine, "connect", pragmas)
            return engine
        return sa.create_engine(url, pool_pre_ping=True, **kwargs)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise ConfigError(f"BREVO_SYNC_DATABASE_URL: cannot use {_redact(url)}: {exc}") from None


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable URL>"
