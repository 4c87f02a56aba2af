"""The HTML report without a browser: one file with nothing to fetch, names never taken for
markup, an empty mirror still a readable page, axis arithmetic."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from brevo_sync.entrypoints.report import render_report
from brevo_sync.entrypoints.report.svg import compact, nice_max
from brevo_sync.service.report import ReportData, StaleItem, WinRatePoint
from tests.report_sample import sample_report


def test_the_page_is_one_file_that_fetches_nothing() -> None:
    page = render_report(sample_report())
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 7
    assert not re.search(
        r"<script|<link|<img|@import|url\(|https?://(?!www\.w3\.org/2000/svg)", page
    )
    assert 'name="viewport"' in page and "@media print" in page and "@media (max-width" in page


def test_names_are_text_never_markup() -> None:
    data = sample_report()
    data.stale = [StaleItem("x1", "<script>alert(1)</script>", 30000.0, "EUR", 20, "Lead", "a@b.c")]
    page = render_report(data)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_empty_mirror_is_still_a_readable_page() -> None:
    data = ReportData("Report", datetime(2026, 11, 15, tzinfo=UTC), "sqlite:///x.db")
    data.win_rate = [WinRatePoint("2026-11", 0, 0)]
    data.missing = ["Stale deals: no stale rule is configured"]
    page = render_report(data)
    for words in (
        "No open deal closes in the period.",
        "No deal was won or lost in these months.",
        "No deal has a stage history yet.",
        "No completed stay in a stage yet.",
        "No stale rule is configured.",
        "No open alert.",
        "Not shown",
    ):
        assert words in page, words
    assert "<svg" not in page


def test_axis_tops_and_compact_figures() -> None:
    assert [nice_max(v) for v in (0, 0.4, 7, 187_000, 250_000, 2_600_000)] == [
        1.0, 1.0, 10.0, 200_000.0, 250_000.0, 5_000_000.0,
    ]  # fmt: skip
    assert [compact(v) for v in (0, 2.5, 42, 52_500, 1_500_000, 2_000_000_000)] == [
        "0", "2.5", "42", "52.5k", "1.5M", "2B",
    ]  # fmt: skip
    assert WinRatePoint("2026-10", 5, 1).rate == 83.3 and WinRatePoint("x", 0, 0).rate is None
