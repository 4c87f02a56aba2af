"""Benchmark: a full pull of N deals from the sandbox over loopback HTTP into SQLite.

For each N it runs, each in a fresh child process (so peak memory is that run's alone):
- ours: `brevo_sync.service.pull.pull_deals` as `brevo-sync pull` runs it (composition root,
  unit of work, the real gateway with budget and retries; the time-rules sweep left out);
- baseline: the naive loop: the SDK's `get_all_deals` page by page and one ORM
  `session.merge()` per deal, committed per page.
The sandbox runs in its own process (`brevo-sync sandbox`), unlimited budget, so the figures
are the client's. Prints deals/s, requests, peak RSS, and the targets' verdicts:
ours >= 5x the baseline's deals/s; peak RSS at the largest N <= 25 MB above the smallest.

    python bench/pull_bench.py                      # N = 20,000 and 200,000 (several minutes)
    python bench/pull_bench.py --sizes 2000 --baseline-cap 2000   # a quick smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

API_KEY = "bench-key"


class BaselineBase(DeclarativeBase):
    pass


class BaselineDeal(BaselineBase):
    """The naive mirror: one ORM object per deal."""

    __tablename__ = "deals"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str | None]
    stage: Mapped[str | None]
    pipeline: Mapped[str | None]
    owner: Mapped[str | None]
    amount: Mapped[float | None]
    updated: Mapped[str | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


SPEEDUP_TARGET = 5.0
MEMORY_TARGET_MB = 25.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# -- the two workers (run in a child process) ---------------------------------------------
def worker_ours(base_url: str, db: str, page_size: int) -> dict[str, Any]:
    """The pull as `brevo-sync pull` runs it: composition root, service, unit of work."""
    from brevo_sync.bootstrap import Container
    from brevo_sync.config import load_settings
    from brevo_sync.service.pull import pull_deals

    settings = load_settings(
        api_key=API_KEY,
        base_url=base_url,
        database_url=f"sqlite:///{db}",
        page_size=page_size,
        http_timeout_seconds=60,
        max_retries=3,
        max_budget_wait_seconds=0,
    )
    container = Container(settings=settings)
    ctx = container.context
    _ = container.engine  # the schema is made before the clock starts, as for the baseline
    start = time.perf_counter()
    report = pull_deals(ctx, full=True, sweep=False)
    elapsed = time.perf_counter() - start
    container.close()
    return {"deals": report.deals_written, "seconds": elapsed, "requests": report.requests_total}


def worker_baseline(base_url: str, db: str, page_size: int, cap: int) -> dict[str, Any]:
    import brevo
    import httpx

    engine = sa.create_engine(f"sqlite:///{db}")
    BaselineBase.metadata.create_all(engine)
    client = brevo.Brevo(
        api_key=API_KEY,
        base_url=base_url,
        max_retries=0,
        client_id=None,
        client_secret=None,
        httpx_client=httpx.Client(timeout=60),
    )
    start = time.perf_counter()
    offset = requests = written = 0
    with Session(engine) as session:
        while written < cap:
            page = client.deals.get_all_deals(offset=offset, limit=page_size, sort="asc")
            requests += 1
            items = page.items or []
            for item in items:
                attrs = dict(item.attributes or {})
                session.merge(
                    BaselineDeal(
                        id=item.id,
                        name=attrs.get("deal_name"),
                        stage=attrs.get("deal_stage"),
                        pipeline=attrs.get("pipeline"),
                        owner=attrs.get("deal_owner"),
                        amount=attrs.get("amount"),
                        updated=attrs.get("last_updated_date"),
                        attributes=attrs,
                    )
                )
                written += 1
            session.commit()
            offset += len(items)
            if len(items) < page_size:
                break
    elapsed = time.perf_counter() - start
    return {"deals": written, "seconds": elapsed, "requests": requests}


def _child(args: argparse.Namespace) -> None:
    from brevo_sync.logs import configure_logging

    configure_logging("WARNING", "json")
    if args.worker == "ours":
        result = worker_ours(args.base_url, args.db, args.page_size)
    else:
        result = worker_baseline(args.base_url, args.db, args.page_size, args.cap)
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result))


# -- the driver ---------------------------------------------------------------------------
def _run_child(worker: str, base_url: str, page_size: int, cap: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / f"{worker}.db")
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                worker,
                "--base-url",
                base_url,
                "--db",
                db,
                "--page-size",
                str(page_size),
                "--cap",
                str(cap),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["deals_per_second"] = result["deals"] / result["seconds"]
    return result


def _start_sandbox(n: int, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "brevo_sync.entrypoints.cli",
            "sandbox",
            "--port",
            str(port),
            "--deals",
            str(n),
            "--seed",
            "7",
            "--api-key",
            API_KEY,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"sandbox exited: {err}") from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("sandbox did not start")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument(
        "--baseline-cap",
        type=int,
        default=20000,
        help="the baseline reads at most this many deals per size (it is slow)",
    )
    parser.add_argument("--child", choices=["ours", "baseline"])
    parser.add_argument("--base-url")
    parser.add_argument("--db")
    parser.add_argument("--cap", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        args.worker = args.child
        _child(args)
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"pull benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"python {sys.version.split()[0]}, page size {args.page_size}"
    )
    results: dict[int, dict[str, dict[str, Any]]] = {}
    ok = True
    for n in sizes:
        port = _free_port()
        sandbox = _start_sandbox(n, port)
        base_url = f"http://127.0.0.1:{port}/v3"
        try:
            ours = _run_child("ours", base_url, args.page_size, n)
            base = _run_child("baseline", base_url, args.page_size, min(n, args.baseline_cap))
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=30)
        results[n] = {"ours": ours, "baseline": base}
        speedup = ours["deals_per_second"] / base["deals_per_second"]
        bound = -(-n // args.page_size) + 3
        print(
            f"N={n:>7,}  ours:     {ours['deals']:>7,} deals {ours['seconds']:7.1f} s "
            f"{ours['deals_per_second']:8,.0f} deals/s  {ours['requests']:>5} requests "
            f"(bound {bound})  peak RSS {ours['peak_rss_mb']:6.1f} MB"
        )
        print(
            f"           baseline: {base['deals']:>7,} deals {base['seconds']:7.1f} s "
            f"{base['deals_per_second']:8,.0f} deals/s  {base['requests']:>5} requests "
            f"           peak RSS {base['peak_rss_mb']:6.1f} MB"
        )
        verdict = "PASS" if speedup >= SPEEDUP_TARGET else "FAIL"
        print(f"           speedup {speedup:.1f}x (target >= {SPEEDUP_TARGET:.0f}x): {verdict}")
        ok &= speedup >= SPEEDUP_TARGET and ours["requests"] <= bound and ours["deals"] == n
    if len(sizes) > 1:
        low, high = results[min(sizes)]["ours"], results[max(sizes)]["ours"]
        growth = high["peak_rss_mb"] - low["peak_rss_mb"]
        verdict = "PASS" if growth <= MEMORY_TARGET_MB else "FAIL"
        print(
            f"peak RSS growth {min(sizes):,} -> {max(sizes):,} deals: {growth:+.1f} MB "
            f"(target <= {MEMORY_TARGET_MB:.0f} MB): {verdict}"
        )
        ok &= growth <= MEMORY_TARGET_MB
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
