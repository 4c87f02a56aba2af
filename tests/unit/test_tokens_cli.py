"""`brevo-sync tokens add|list|revoke` as an operator runs them (in process, through `main`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from brevo_sync.domain.tokens import hash_token
from brevo_sync.entrypoints.cli import main


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["brevo-sync", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    out = capsys.readouterr()
    return int(exit_.value.code or 0), out.out, out.err


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "mirror.db"
    monkeypatch.setenv("BREVO_SYNC_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("BREVO_SYNC_LOG_LEVEL", "WARNING")
    return path


def test_add_list_revoke(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        monkeypatch,
        capsys,
        "tokens",
        "add",
        "dash",
        "--user",
        "Ana@Example.com",
        "--role",
        "viewer",
    )
    assert code == 0, err
    secret = out.splitlines()[1]
    assert secret.startswith("bst_") and "not shown again" in out
    assert "Token 'dash' (#1) for ana@example.com, role viewer" in out

    code, out, err = run(
        monkeypatch, capsys, "tokens", "add", "ci", "--user", "ben@example.com", "--role",
        "sales manager", "--json",
    )  # fmt: skip
    assert code == 0, err
    added = json.loads(out)
    assert added["role"] == "sales_manager" and added["token"].startswith("bst_")

    code, out, _ = run(monkeypatch, capsys, "tokens", "list", "--json")
    listed = json.loads(out)
    assert [(t["id"], t["name"], t["active"]) for t in listed] == [
        (1, "dash", True),
        (2, "ci", True),
    ]
    assert secret not in out and added["token"] not in out and "token" not in listed[0]
    code, out, _ = run(monkeypatch, capsys, "tokens", "list")
    assert "dash" in out and "2 tokens, 2 active" in out and secret not in out

    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM api_tokens ORDER BY id")).scalars()
        assert list(stored) == [hash_token(secret), hash_token(added["token"])]
    engine.dispose()

    code, out, _ = run(monkeypatch, capsys, "tokens", "revoke", "dash")
    assert code == 0 and "Token 'dash' (#1) revoked at" in out
    code, out, _ = run(monkeypatch, capsys, "tokens", "revoke", "1")
    assert code == 0 and "already revoked" in out
    code, out, _ = run(monkeypatch, capsys, "tokens", "list")
    assert "2 tokens, 1 active" in out


def test_mistakes_are_exit_2_with_one_line(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        monkeypatch, capsys, "tokens", "add", "x", "--user", "a@example.com", "--role", "sales_repp"
    )
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "brevo-sync: --role 'sales_repp' matches no role in the rules file; did you mean "
        "'sales_rep'?"
    ]
    assert not database.exists()  # refused before anything was written
    code, _, err = run(
        monkeypatch, capsys, "tokens", "add", "dash", "--user", "a@example.com", "--role", "admin"
    )
    assert code == 0, err
    code, _, err = run(monkeypatch, capsys, "tokens", "revoke", "dahs")
    assert code == 2 and "no token named 'dahs'; did you mean 'dash'?" in err


def test_list_without_a_mirror_creates_none(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(monkeypatch, capsys, "tokens", "list")
    assert code == 2 and "mirror.db" in err and not database.exists()
