"""`brevo-sync sandbox`: help text and wiring, without starting a server."""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import brevo_sync.sandbox as sandbox_pkg
from brevo_sync.entrypoints.cli import sandbox_cmd
from brevo_sync.sandbox import SandboxState


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A stand-in for the brevo-sync root command."""

    sandbox_cmd.register(app)
    return app


def test_help_teaches_the_options() -> None:
    result = CliRunner().invoke(_app(), ["sandbox", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for text in ("--port", "--seed", "--deals", "--requests-per-hour", "--window-seconds",
                 "--api-key", "8765", "sandbox-key", "throwaway", "/_sandbox/faults"):  # fmt: skip
        assert text in result.output, text


def test_command_seeds_configures_announces_and_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}

    def fake_serve(
        state: SandboxState, host: str, port: int, announce: Callable[[str], None]
    ) -> None:
        served.update(state=state, host=host, port=port)
        announce(f"http://{host}:{port}/v3")

    monkeypatch.setattr(sandbox_pkg, "serve_forever", fake_serve)
    result = CliRunner().invoke(
        _app(),
        ["sandbox", "--port", "9999", "--deals", "30", "--seed", "5", "--requests-per-hour", "7",
         "--window-seconds", "2", "--api-key", "k-123", "--max-limit", "500"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    state: SandboxState = served["state"]
    assert (served["host"], served["port"]) == ("127.0.0.1", 9999)
    assert state.deal_count() == 30 and state.api_key == "k-123" and state.max_page_limit == 500
    decision = state.ratelimit.peek("crm")
    assert (decision.limit, state.ratelimit.window_seconds) == (7, 2.0)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "http://127.0.0.1:9999/v3" in lines[0] and "api-key: k-123" in lines[0]


def test_a_busy_port_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EADDRINUSE, "Address already in use")

    monkeypatch.setattr(sandbox_pkg, "serve_forever", busy)
    result = CliRunner().invoke(_app(), ["sandbox", "--deals", "1"])
    assert result.exit_code == 2
    assert "Address already in use" in result.output
