"""One daemon per SQLite mirror; any number on PostgreSQL.

Replicas share the work through the database (job slots, claimed outbox rows, one budget),
which PostgreSQL's row locks make safe across processes. A SQLite file has one writer at a
time and no `SKIP LOCKED`: a second daemon there would only wait on the first, so it is
refused at start with a line naming the one that runs. An exclusive `flock` on
`<database file>.daemon.lock`, held for the daemon's life, dropped by the kernel however
the process ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.engine import describe_url, sqlite_path
from brevo_sync.errors import MirrorBusy


@contextlib.contextmanager
def daemon_guard(engine: Engine) -> Iterator[None]:
    """Hold the right to run a daemon on this mirror (SQLite only), or raise MirrorBusy."""
    url = engine.url.render_as_string(hide_password=False)
    path = sqlite_path(url) if engine.dialect.name == "sqlite" else None
    if path is None:
        yield
        return
    lock_path = path.with_name(path.name + ".daemon.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MirrorBusy(
                f"another brevo-sync daemon ({_holder(fd)}) runs on the SQLite mirror "
                f"{describe_url(url)}; a SQLite mirror takes one daemon "
                "(run replicas on PostgreSQL)"
            ) from None
        since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": since}).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {info['pid']}, since {info['since']}"
    except (ValueError, KeyError, OSError):
        return "starting"
