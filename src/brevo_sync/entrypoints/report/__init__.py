"""The HTML report: `render_report(data)` draws `service.report.ReportData` as one page;
`write_report(ctx, path)` gathers the data and writes the page (the `report` command and the
demo both call it).

    data = write_report(ctx, Path("report.html"), ReportRequest(pipeline="renewals"))
"""

from __future__ import annotations

import os
from pathlib import Path

from brevo_sync.entrypoints.report.html import render_report
from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.report import ReportData, ReportRequest, build_report

__all__ = ["render_report", "write_report"]


def write_report(
    ctx: ServiceContext, path: Path, request: ReportRequest | None = None
) -> ReportData:
    """Build the report from the mirror and write it to `path` (whole or not at all: a
    half-written page never replaces a good one)."""
    if not path.parent.is_dir():
        raise UsageError(f"--html {path}: the folder {path.parent} does not exist")
    data = build_report(ctx, request or ReportRequest())
    page = render_report(data)
    part = path.with_name(f".{path.name}.part")
    try:
        part.write_text(page, encoding="utf-8")
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise UsageError(f"--html {path}: cannot write it: {exc.strerror or exc}") from None
    return data
