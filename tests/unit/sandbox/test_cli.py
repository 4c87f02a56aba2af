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
from brevo_sync.sandbox import Quirks, SandboxState
from brevo_sync.sandbox.catalogue import OWNERS


def _app() -> typer.Typer:
    app = typer.Typer(rich_markup_mode="markdown")  # as the brevo-sync root command has it

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


def test_help_documents_the_quirk_flags_without_raw_markup() -> None:
    result = CliRunner().invoke(_app(), ["sandbox", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("--over-limit", "refuse", "clamp", "--max-limit", "no maximum",
                 "--date-offset", "+05:30", "--message-only-errors", "--no-rate-limit-headers",
                 "--owner-emails", "/_sandbox/quirks", "Brevo API sandbox"):  # fmt: skip
        assert text in result.output, text
    assert "[bold]" not in result.output and "[/bold]" not in result.output


def _serve_into(served: dict[str, Any]) -> Callable[..., None]:
    def fake_serve(
        state: SandboxState, host: str, port: int, announce: Callable[[str], None]
    ) -> None:
        served.update(state=state, host=host, port=port)
        announce(f"http://{host}:{port}/v3")

    return fake_serve


def test_command_seeds_configures_announces_and_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(sandbox_pkg, "serve_forever", _serve_into(served))
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
    assert state.quirks == Quirks(max_page_limit=500)
    assert lines[0].endswith("quirks: max_page_limit=500) - Ctrl-C to stop")


def test_quirk_flags_configure_the_state(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(sandbox_pkg, "serve_forever", _serve_into(served))
    result = CliRunner().invoke(
        _app(),
        ["sandbox", "--deals", "20", "--over-limit", "clamp", "--max-limit", "0",
         "--date-offset", "-03:00", "--message-only-errors", "--no-rate-limit-headers",
         "--owner-emails"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    state: SandboxState = served["state"]
    assert state.quirks == Quirks(
        owner_ids=False,
        max_page_limit=None,
        over_limit="clamp",
        date_offset="-03:00",
        error_style="message_only",
        rate_limit_headers=False,
    )
    assert {d["attributes"]["deal_owner"] for d in state.deals_snapshot()} <= set(OWNERS)
    assert "quirks: owner_ids=False max_page_limit=None over_limit=clamp" in result.output


@pytest.mark.parametrize(
    "args", [["--date-offset", "IST"], ["--over-limit", "sometimes"], ["--max-limit", "-1"]]
)
def test_bad_quirk_flags_are_usage_errors(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_pkg, "serve_forever", _serve_into({}))
    result = CliRunner().invoke(_app(), ["sandbox", "--deals", "1", *args])
    assert result.exit_code == 2


def test_a_busy_port_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EADDRINUSE, "Address already in use")

    monkeypatch.setattr(sandbox_pkg, "serve_forever", busy)
    result = CliRunner().invoke(_app(), ["sandbox", "--deals", "1"])
    assert result.exit_code == 2
    assert "Address already in use" in result.output
