"""One run at a time per mirror: the lock on SQLite (a file lock) and PostgreSQL (an advisory
lock), released however its holder ends, and naming the holder to whoever waits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.lock import mirror_lock
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.errors import MirrorBusy
from brevo_sync.service.runs import recorded_run
from tests.contexts import sql_context
from tests.fakes import FakeBrevo


def test_a_second_run_waits_briefly_then_names_the_holder(mirror_engine: Engine) -> None:
    ctx = sql_context(mirror_engine, FakeBrevo())
    with recorded_run(ctx, "pull"):
        started = time.monotonic()
        second = mirror_lock(mirror_engine, wait_seconds=0.3)
        with pytest.raises(MirrorBusy, match=r"holds the mirror .*pull"), second.hold("sweep"):
            pass  # pragma: no cover - never reached
        assert 0.3 <= time.monotonic() - started < 3
    with mirror_lock(mirror_engine, wait_seconds=0).hold("sweep"):
        pass  # free again once the first run ended
    with SqlUnitOfWork(mirror_engine) as uow:
        assert uow.runs.running() == []


def test_the_lock_dies_with_its_process(mirror_engine: Engine, tmp_path: Path) -> None:
    url = mirror_engine.url.render_as_string(hide_password=False)
    search_path = ""
    if mirror_engine.dialect.name == "postgresql":  # the test's own schema, as the fixture has it
        with mirror_engine.connect() as conn:
            search_path = f"-csearch_path={conn.scalar(sa.select(sa.func.current_schema()))}"
    holder = textwrap.dedent(
        f"""
        import sys, time
        from brevo_sync.adapters.store.engine import create_mirror_engine
        from brevo_sync.adapters.store.lock import mirror_lock
        kwargs = {{"connect_args": {{"options": {search_path!r}}}}} if {bool(search_path)} else {{}}
        engine = create_mirror_engine({url!r}, **kwargs)
        with mirror_lock(engine, 0).hold("pull"):
            print("held", flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        busy = mirror_lock(mirror_engine, wait_seconds=0)
        with pytest.raises(MirrorBusy), busy.hold("pull"):
            pass  # pragma: no cover
        proc.kill()
        proc.wait(timeout=10)
        with mirror_lock(mirror_engine, wait_seconds=5).hold("pull"):
            pass  # the kernel (SQLite) or the server (PostgreSQL) let go of it
    finally:
        proc.kill()
