"""The HTML report as a person sees it: rendered by headless Chromium (Debian's `chromium`,
which .ci/run installs when missing), on a desktop and a phone width, on paper, and offline.

The page is probed by a copy of it with one script added at the end that reports, as JSON in
the DOM Chromium dumps, what the browser laid out: the visible text, each chart's size, the
page's width against the window's, and every resource the page tried to fetch."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from brevo_sync.entrypoints.report import render_report
from brevo_sync.sandbox import SandboxServer
from tests.e2e.conftest import Cli
from tests.report_sample import sample_report

PROBE = """<script>
const charts = [...document.querySelectorAll('svg.chart')].map(s => {
  const r = s.getBoundingClientRect();
  return {w: r.width, h: r.height, bars: s.querySelectorAll('rect').length,
          label: s.getAttribute('aria-label')};
});
const out = {text: document.body.innerText, charts,
  scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
  fetched: performance.getEntriesByType('resource').map(e => e.name),
  sections: [...document.querySelectorAll('h2')].map(h => h.textContent)};
const pre = document.createElement('pre'); pre.id = 'probe';
pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
</script>"""


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's package)")
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    return found


def run(chromium: str, tmp_path: Path, page: Path, *args: str) -> str:
    profile = tmp_path / "chromium-profile"
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def probe(chromium: str, tmp_path: Path, html: str, width: int) -> dict[str, Any]:
    page = tmp_path / f"probe-{width}.html"
    page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = run(chromium, tmp_path, page, f"--window-size={width},900", "--dump-dom")
    start = dom.index('<pre id="probe">') + len('<pre id="probe">')
    raw = dom[start : dom.index("</pre>", start)]
    text = (
        raw.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )
    return json.loads(text)  # type: ignore[no-any-return]


def test_the_page_shows_every_part_with_its_numbers(chromium: str, tmp_path: Path) -> None:
    seen = probe(chromium, tmp_path, render_report(sample_report()), 1200)
    assert seen["sections"] == [
        "Forecast by close month", "Win rate over time", "Forecast by stage", "Funnel",
        "Time in stage", "Stale deals", "Open alerts",
    ]  # fmt: skip
    text = seen["text"]
    for shown in (
        "412,500.00 EUR", "98,000.00 USD",  # the forecast total, per currency
        "187,230.50 EUR", "97,230.50 EUR",  # weighted: in all, and for 2026-11
        "2026-12", "Proposal (Enterprise Sales)",
        "Closed Won", "57.9%",  # the funnel: 11 of 19
        "69.2%", "75.0%",  # win rate in 2026-10 and 2026-11
        "NEEDS_ANALYSIS (Opportunity Pipeline)", "18.5",  # time in stage
        "Globex <Renewal> & more", "82,000.00 EUR",  # stale, its name not taken for markup
        "in PROPOSAL for more than 21 days (since 2026-10-20)", "sales manager",
        "Open alerts", "12",
    ):  # fmt: skip
        assert shown in text, shown
    # One chart per currency where amounts are charted, never two currencies on one axis.
    labels = [c["label"] for c in seen["charts"]]
    assert labels == [
        "Forecast by close month in EUR: total and weighted",
        "Forecast by close month in USD: total and weighted",
        "Win rate by month",
        "Forecast by stage in EUR: total and weighted",
        "Forecast by stage in USD: total and weighted",
        "Funnel of Enterprise Sales: deals that reached each stage",
        "Average days in each stage",
    ]
    assert all(c["w"] > 200 and c["h"] > 50 for c in seen["charts"]), seen["charts"]
    assert all(c["bars"] >= 2 for c in seen["charts"] if "Win rate" not in c["label"])
    assert seen["fetched"] == []  # nothing loaded from anywhere: the page stands alone
    assert seen["scrollWidth"] <= seen["innerWidth"]


def test_the_page_fits_a_phone_and_prints(chromium: str, tmp_path: Path) -> None:
    html = render_report(sample_report())
    phone = probe(chromium, tmp_path, html, 390)
    assert phone["innerWidth"] <= 640  # the phone layout applies (headless has a minimum)
    assert phone["scrollWidth"] <= phone["innerWidth"]  # no sideways scrolling
    assert all(c["w"] <= phone["innerWidth"] for c in phone["charts"])
    assert "NEEDS_ANALYSIS (Opportunity Pipeline)" in phone["text"]

    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    run(chromium, tmp_path, page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    pages = re.findall(rb"/Type\s*/Page(?!s)", data)
    assert data.startswith(b"%PDF") and len(pages) >= 2


def test_the_charts_are_drawn(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_report(sample_report()), encoding="utf-8")
    shot = tmp_path / "report.png"
    # A phone-sized shot of the top: the key figures and the first chart (small enough for
    # the pure-Python PNG reader below to take a fraction of a second).
    run(chromium, tmp_path, page, "--window-size=400,900", f"--screenshot={shot}")
    width, height, pixels = read_png(shot.read_bytes())
    assert (width, height) == (400, 900)
    blue = amber = 0
    for i in range(0, len(pixels), 3):
        r, g, b = pixels[i], pixels[i + 1], pixels[i + 2]
        blue += abs(r - 0x25) < 24 and abs(g - 0x63) < 24 and abs(b - 0xEB) < 24
        amber += abs(r - 0xF5) < 24 and abs(g - 0x9E) < 24 and b < 60
    assert blue > 1_500 and amber > 800, (blue, amber)  # totals and weighted columns


def test_report_command_over_a_pulled_sandbox(
    cli: Cli, sandbox: SandboxServer, chromium: str, tmp_path: Path
) -> None:
    assert cli("pull").returncode == 0
    out = tmp_path / "out" / "report.html"
    refused = cli("report", "--html", str(out))
    assert refused.returncode == 2 and "does not exist" in refused.stderr
    out.parent.mkdir()
    result = cli("report", "--html", str(out))
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out}" in result.stdout and "open alert" in result.stdout
    stale = json.loads(cli("stale", "--json").stdout)
    seen = probe(chromium, tmp_path, out.read_text(encoding="utf-8"), 1200)
    assert stale and all(row["name"] in seen["text"] for row in stale)
    assert len(seen["charts"]) >= 5 and seen["fetched"] == []
    assert "Opportunity Pipeline" in seen["text"] and "CLOSED_WON" in seen["text"]


def read_png(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes) of an 8-bit RGB or RGBA PNG, as Chromium writes them."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, kind = 8, b"", 0, 0, 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        if tag == b"IHDR":
            width, height, depth, kind = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and kind in (2, 6) and body[12] == 0, body
        elif tag == b"IDAT":
            idat += body
        pos += 12 + size
    step = 3 if kind == 2 else 4
    raw, stride = zlib.decompress(idat), width * step
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind_of_filter = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            if kind_of_filter == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind_of_filter == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind_of_filter == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind_of_filter == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[x] = (line[x] + pred) & 0xFF
        rows.append(line)
        previous = line
    rgb = bytearray()
    for line in rows:
        if step == 3:
            rgb += line
        else:
            for x in range(0, stride, 4):
                rgb += line[x : x + 3]
    return width, height, bytes(rgb)
