"""One run at a time per mirror: a lock that dies with its process.

SQLite: an exclusive `flock` on `<database file>.lock` (the kernel drops it when the process
ends, however it ends), holding who took it. PostgreSQL: a session advisory lock on a
dedicated connection (dropped when the connection closes), keyed by the schema, so mirrors in
different schemas of one database do not exclude each other. A second run waits up to
`wait_seconds` for the first to finish, then gives up with MirrorBusy naming the holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.engine import describe_url, sqlite_path
from brevo_sync.adapters.store.tables import runs
from brevo_sync.errors import MirrorBusy

POLL_SECONDS = 0.1


def _busy(database: str, holder: str) -> MirrorBusy:
    return MirrorBusy(
        f"another brevo-sync run holds the mirror {database} ({holder}); "
        "try again when it has finished"
    )


def _wait_for(acquire: Callable[[], bool], wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while not acquire():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


class FileLock:
    def __init__(self, path: Path, database: str, wait_seconds: float) -> None:
        self._path = path
        self._database = database
        self._wait = wait_seconds

    @contextlib.contextmanager
    def hold(self, command: str) -> Iterator[None]:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:

            def acquire() -> bool:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                return True

            if not _wait_for(acquire, self._wait):
                raise _busy(self._database, self._holder(fd))
            holder = {"pid": os.getpid(), "command": command, "since": _now()}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(holder).encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return f"{info['command']}, pid {info['pid']}, since {info['since']}"
        except (ValueError, KeyError, OSError):
            return "a run that is starting"


class AdvisoryLock:
    def __init__(self, engine: Engine, database: str, wait_seconds: float) -> None:
        self._engine = engine
        self._database = database
        self._wait = wait_seconds

    @contextlib.contextmanager
    def hold(self, command: str) -> Iterator[None]:
        key = sa.func.hashtext(sa.literal("brevo-sync mirror ") + sa.func.current_schema())
        with self._engine.connect() as conn:

            def acquire() -> bool:
                got = bool(conn.scalar(sa.select(sa.func.pg_try_advisory_lock(key))))
                conn.commit()  # no transaction left open while we wait or work
                return got

            if not _wait_for(acquire, self._wait):
                raise _busy(self._database, self._holder(conn))
            try:
                yield
            finally:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                conn.commit()

    @staticmethod
    def _holder(conn: sa.Connection) -> str:
        row = conn.execute(
            sa.select(runs.c.command, runs.c.pid, runs.c.started_at)
            .where(runs.c.outcome == "running")
            .order_by(runs.c.id.desc())
            .limit(1)
        ).first()
        conn.commit()
        if row is None:
            return "a run that is starting"
        return f"{row.command}, pid {row.pid}, since {row.started_at:%Y-%m-%d %H:%M:%S} UTC"


class NoLock:
    """For a private in-memory database: nobody else can reach it."""

    @contextlib.contextmanager
    def hold(self, command: str) -> Iterator[None]:
        yield


def mirror_lock(engine: Engine, wait_seconds: float) -> FileLock | AdvisoryLock | NoLock:
    url = engine.url.render_as_string(hide_password=False)
    database = describe_url(url)
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, database, wait_seconds)
    path = sqlite_path(url)
    if path is None:
        return NoLock()
    return FileLock(path.with_name(path.name + ".lock"), database, wait_seconds)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
