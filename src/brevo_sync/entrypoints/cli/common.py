"""What every command shares: settings and container, output (text or --json), progress."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
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

JsonOption = typer.Option(False, "--json", help="Print a JSON document instead of text.")

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False)


def build_container(**overrides: Any) -> Container:
    """Settings from the environment (ConfigError -> exit 2), logs configured, container."""
    settings = load_settings(**overrides)
    configure_logging(settings.log_level, settings.log_format)
    return Container(settings=settings, on_budget_wait=_announce_wait)


def _announce_wait(seconds: float, reason: str) -> None:
    stderr.print(
        f"[yellow]Brevo request budget:[/] {reason}; waiting {seconds:,.0f} s for the window "
        "to reset, then resuming where it was (Ctrl-C is safe: the next run resumes too)."
    )


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
