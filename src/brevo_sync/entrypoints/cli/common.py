"""What every command shares: the container, output (text or --json), progress, signals."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import FrameType
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from brevo_sync.bootstrap import Container
from brevo_sync.config import load_settings
from brevo_sync.logs import configure_logging
from brevo_sync.service.stop import StopToken

JsonOption = typer.Option(False, "--json", help="Print a JSON document instead of text.")

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def build_container(*, writes: bool = True, **overrides: Any) -> Container:
    """Settings from the environment (ConfigError -> exit 2), logs configured, container.

    `writes=False` for commands that only read: they never create a database or schema."""
    settings = load_settings(**overrides)
    configure_logging(settings.log_level, settings.log_format)
    return Container(settings=settings, on_budget_wait=announce_wait, writes=writes)


def announce_wait(seconds: float, reason: str) -> None:
    """Said once per wait: what is awaited and until when."""
    until = datetime.now(UTC) + timedelta(seconds=seconds)
    stderr.print(
        f"Waiting until {until:%H:%M:%S} UTC ({plural(round(seconds), 'second')}): {reason}. "
        "The run goes on by itself then; Ctrl-C is safe (the next run resumes).",
        markup=False,
    )


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, default=_default, indent=2, sort_keys=False) + "\n")


def fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "never"


@contextmanager
def stop_on_signals(stop: StopToken) -> Iterator[None]:
    """The first SIGINT or SIGTERM asks the run to stop at its next safe point (the page in
    hand is committed and the run recorded); a second one stops at once (KeyboardInterrupt:
    the open transaction rolls back, nothing is corrupted)."""
    received: list[int] = []

    def handle(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) > 1:
            raise KeyboardInterrupt
        name = signal.Signals(signum).name
        stop.request(f"stopped by {name}")
        # Only os.write is safe here: the handler may run in the middle of a print.
        note = f"brevo-sync: {name}: finishing the page in hand ({name} again stops at once)\n"
        os.write(2, note.encode())

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class PageProgress:
    """A bar for paged reads whose total Brevo does not tell: it counts what was read."""

    def __init__(self, progress: Progress | None, label: str) -> None:
        self._progress = progress
        self._task = progress.add_task(label, total=None) if progress else None

    def page(self, read: int, written: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, read)


@contextmanager
def page_progress(label: str, *, enabled: bool) -> Iterator[PageProgress]:
    """A live progress bar on stderr when it is a terminal (and not --json); else silence."""
    if not (enabled and stderr.is_terminal):
        yield PageProgress(None, label)
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("deals"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=stderr, transient=True) as progress:
        yield PageProgress(progress, label)
