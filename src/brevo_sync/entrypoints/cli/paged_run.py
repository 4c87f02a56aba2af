"""The run of a command that reads Brevo page by page (`pull`, `reconcile`): the container,
Ctrl-C and SIGTERM (the page in hand is finished), a progress bar, the report as text or JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from brevo_sync.entrypoints.cli.common import (
    PageProgress,
    build_container,
    page_progress,
    print_json,
    stdout,
    stop_on_signals,
)
from brevo_sync.service.context import ServiceContext

Report = TypeVar("Report")


def run_paged(
    label: str,
    work: Callable[[ServiceContext, PageProgress], Report],
    *,
    as_json: bool,
    to_json: Callable[[Report, str], dict[str, Any]],
    describe: Callable[[Report], str],
) -> None:
    """`work` on the mirror under a progress bar named `label` (on a terminal, not with
    --json), stopped at its next safe point by the first signal; then its report:
    `to_json(report, database)` with --json, else `describe(report)`."""
    container = build_container()
    try:
        with (
            stop_on_signals(container.stop),
            page_progress(label, enabled=not as_json) as progress,
        ):
            report = work(container.context, progress)
    finally:
        container.close()
    if as_json:
        print_json(to_json(report, container.context.database))
    else:
        stdout.print(describe(report), markup=False)
