"""Bad input is one line and the right exit code; secrets never show; --help teaches."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from brevo_sync import __version__
from brevo_sync.sandbox import SandboxServer
from tests.e2e.conftest import Cli


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_missing_api_key_is_exit_2(offline_cli: Cli) -> None:
    result = offline_cli("pull")
    assert result.returncode == 2
    assert "BREVO_API_KEY" in _one_line(result)


def test_malformed_setting_is_exit_2(offline_cli: Cli) -> None:
    result = offline_cli("status", env={"BREVO_SYNC_PAGE_SIZE": "many"})
    assert result.returncode == 2
    assert "BREVO_SYNC_PAGE_SIZE" in _one_line(result)


def test_bad_usage_is_exit_2(offline_cli: Cli) -> None:
    assert offline_cli("deals", "list", "--sort", "colour").returncode == 2
    assert offline_cli("deals", "list", "--close-to", "next week").returncode == 2
    assert offline_cli("pull", "--fulll").returncode == 2


def test_unreachable_brevo_is_exit_1_in_one_line(offline_cli: Cli) -> None:
    result = offline_cli("pull", env={"BREVO_API_KEY": "xkeysib-unreachable-0001"})
    assert result.returncode == 1
    assert "xkeysib-unreachable-0001" not in result.stderr + result.stdout
    line = _one_line(result)
    assert "resume" in line and "spent 0 requests" in line  # nothing reached Brevo
    status = json.loads(offline_cli("status", "--json").stdout)
    assert status["last_run"]["outcome"] == "failed"
    assert status["last_run"]["requests"] == {} and status["requests_total"] == 0


def test_wrong_api_key_is_exit_2_naming_the_setting_and_never_printed(cli: Cli) -> None:
    result = cli("pull", env={"BREVO_API_KEY": "xkeysib-wrong-key-42"})
    assert result.returncode == 2
    line = _one_line(result)
    assert line.startswith("brevo-sync: BREVO_API_KEY:") and "401" in line
    assert "resume" not in line  # running it again would fail the same way
    assert "xkeysib-wrong-key-42" not in result.stderr + result.stdout


def test_wrong_base_url_is_exit_2_naming_the_setting(cli: Cli, sandbox: SandboxServer) -> None:
    result = cli("pull", env={"BREVO_BASE_URL": sandbox.url})  # the root, without /v3
    assert result.returncode == 2
    line = _one_line(result)
    assert line.startswith("brevo-sync: BREVO_BASE_URL:") and "404" in line


def test_a_database_that_cannot_be_opened_is_named(offline_cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no/such/folder/mirror.db"
    result = offline_cli("pull", env={"BREVO_API_KEY": "k", "BREVO_SYNC_DATABASE_URL": url})
    assert result.returncode == 2
    line = _one_line(result)
    assert "BREVO_SYNC_DATABASE_URL" in line and f"{tmp_path}/no/such/folder" in line


@pytest.mark.parametrize(
    "command",
    [["status"], ["deals", "list"], ["alerts"], ["stale"], ["rules", "check", "--database-url"]],
)
def test_read_commands_never_create_a_database(
    offline_cli: Cli, tmp_path: Path, command: list[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'nothing.db'}"
    args = [*command, url] if command[-1] == "--database-url" else command
    result = offline_cli(*args, env={"BREVO_SYNC_DATABASE_URL": url})
    assert result.returncode == 2, result.stdout + result.stderr
    line = _one_line(result)
    assert "nothing.db" in line and "brevo-sync pull" in line
    assert not (tmp_path / "nothing.db").exists()

    (tmp_path / "nothing.db").write_bytes(b"")  # a database, but no mirror in it
    empty = offline_cli(*args, env={"BREVO_SYNC_DATABASE_URL": url})
    assert empty.returncode == 2 and "no brevo-sync mirror yet" in _one_line(empty)
    assert (tmp_path / "nothing.db").stat().st_size == 0


def test_a_mistyped_setting_is_named_with_the_closest_one(offline_cli: Cli) -> None:
    offline_cli("db", "upgrade")
    result = offline_cli("status", env={"BREVO_SYNC_PAGESIZE": "50"})
    assert result.returncode == 0
    warning = _one_line(result)
    assert "BREVO_SYNC_PAGESIZE" in warning and "BREVO_SYNC_PAGE_SIZE" in warning


def test_version(offline_cli: Cli) -> None:
    result = offline_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"brevo-sync {__version__}"


def test_api_key_never_reaches_output_logs_or_database(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path
) -> None:
    secret = sandbox.state.api_key
    result = cli("pull", env={"BREVO_SYNC_LOG_LEVEL": "DEBUG", "BREVO_SYNC_LOG_FORMAT": "json"})
    assert result.returncode == 0, result.stderr
    assert secret not in result.stdout + result.stderr
    for path in tmp_path.glob("mirror.db*"):
        assert secret.encode() not in path.read_bytes()


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["pull"],
        ["status"],
        ["deals", "list"],
        ["db", "upgrade"],
        ["sandbox"],
        ["demo"],
        ["rules", "check"],
        ["rules", "sweep"],
        ["alerts"],
        ["alerts", "ack"],
        ["stale"],
    ],
)
def test_every_command_has_help(offline_cli: Cli, command: list[str]) -> None:
    result = offline_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout and len(result.stdout.splitlines()) > 5
    assert "[bold]" not in result.stdout and "[/" not in result.stdout  # no raw markup


def test_db_upgrade_then_status_on_an_empty_mirror(offline_cli: Cli) -> None:
    first = offline_cli("db", "upgrade")
    assert first.returncode == 0 and "upgraded" in first.stdout
    again = offline_cli("db", "upgrade")
    assert again.returncode == 0 and "already" in again.stdout
    status = offline_cli("status")
    assert status.returncode == 0 and "Deals mirrored:   0" in status.stdout
    assert "Mirror:           sqlite:///" in status.stdout  # every report names its database
