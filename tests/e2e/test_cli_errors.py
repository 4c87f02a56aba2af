"""Bad input is one line and the right exit code; secrets never show; --help teaches."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

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
    assert "resume" in _one_line(result)


def test_wrong_api_key_is_exit_1_and_never_printed(cli: Cli) -> None:
    result = cli("pull", env={"BREVO_API_KEY": "xkeysib-wrong-key-42"})
    assert result.returncode == 1
    line = _one_line(result)
    assert "401" in line
    assert "xkeysib-wrong-key-42" not in result.stderr + result.stdout


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
    ],
)
def test_every_command_has_help(offline_cli: Cli, command: list[str]) -> None:
    result = offline_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout and len(result.stdout.splitlines()) > 5


def test_db_upgrade_then_status_on_an_empty_mirror(offline_cli: Cli) -> None:
    first = offline_cli("db", "upgrade")
    assert first.returncode == 0 and "upgraded" in first.stdout
    again = offline_cli("db", "upgrade")
    assert again.returncode == 0 and "already" in again.stdout
    status = offline_cli("status")
    assert status.returncode == 0 and "Deals mirrored:   0" in status.stdout
