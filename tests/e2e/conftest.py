"""End-to-end fixtures: the sandbox over real HTTP and the `brevo-sync` command as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from brevo_sync.sandbox import SandboxServer, SandboxState

SANDBOX_DEALS = 250


@dataclass
class Cli:
    """Runs `brevo-sync` in a child process with a given environment."""

    env: dict[str, str]
    cwd: Path

    def __call__(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "brevo_sync", *args],
            env={**self.env, **(env or {})},
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "brevo_sync", *args],
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def database_url(self) -> str:
        return self.env["BREVO_SYNC_DATABASE_URL"]


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BREVO")}
    env["BREVO_SYNC_DATABASE_URL"] = f"sqlite:///{tmp_path / 'mirror.db'}"
    env["BREVO_SYNC_RETRY_BACKOFF_SECONDS"] = "0.01"
    env["BREVO_SYNC_RETRY_BACKOFF_MAX_SECONDS"] = "0.05"
    env["BREVO_SYNC_MAX_RETRIES"] = "2"
    return env


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    state = SandboxState.seeded(seed=11, deals=SANDBOX_DEALS)
    with SandboxServer(state) as server:
        yield server


@pytest.fixture
def cli(tmp_path: Path, sandbox: SandboxServer) -> Cli:
    env = base_env(tmp_path)
    env["BREVO_API_KEY"] = sandbox.state.api_key
    env["BREVO_BASE_URL"] = sandbox.base_url
    return Cli(env=env, cwd=tmp_path)


@pytest.fixture
def offline_cli(tmp_path: Path) -> Cli:
    """No API key and no reachable Brevo: for commands that only read the mirror."""
    env = base_env(tmp_path)
    env["BREVO_BASE_URL"] = "http://127.0.0.1:9/v3"
    return Cli(env=env, cwd=tmp_path)


def mirror_rows(
    database_url: str, columns: Sequence[str] = ("id", "stage_id", "amount")
) -> dict[str, tuple[object, ...]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(f"SELECT {', '.join(columns)} FROM deals WHERE deleted_at IS NULL")
            )
            return {r[0]: tuple(r[1:]) for r in rows}
    finally:
        engine.dispose()


def sandbox_rows(state: SandboxState) -> dict[str, tuple[object, ...]]:
    return {
        d["id"]: (d["attributes"].get("deal_stage"), _num(d["attributes"].get("amount")))
        for d in state.deals_snapshot()
    }


def _num(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def orders_file(tmp: Path, n: int, prefix: str, *, shop: str, amount: int = 8000) -> Path:
    """A JSON-lines file of `n` orders (`orders import`'s input), each above the deal
    threshold, ids `<prefix>0`, `<prefix>1`, ... of `shop`, a customer each."""
    path = tmp / f"{prefix}-orders.jsonl"
    rows = [
        {
            "id": f"{prefix}{i}",
            "created_at": "2026-11-20T10:00:00Z",
            "amount": amount + i,
            "currency": "EUR",
            "customer": {"email": f"{prefix.lower()}{i}@example.com", "name": f"Buyer {i}"},
            "items": [],
            "shop": shop,
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
