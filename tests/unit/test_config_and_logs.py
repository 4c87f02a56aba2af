"""Settings errors are one line; secrets never reach a log line."""

from __future__ import annotations

import json

import pytest
import structlog

from brevo_sync.config import load_settings
from brevo_sync.entrypoints.daemon.schedule import poll_policy, replica_name
from brevo_sync.errors import ConfigError
from brevo_sync.logs import configure_logging, notice_line, register_secret


def test_defaults_match_the_external_contract() -> None:
    settings = load_settings()
    assert settings.base_url == "https://api.brevo.com/v3"
    assert settings.database_url == "sqlite:///brevo_sync.db"
    assert settings.page_size == 100
    assert settings.api_key is None


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("BREVO_API_KEY", "xkeysib-abc")
    monkeypatch.setenv("BREVO_BASE_URL", "http://127.0.0.1:9/v3/")
    with open(".env", "w") as f:
        f.write("BREVO_SYNC_PAGE_SIZE=25\n")
    settings = load_settings()
    assert settings.require_api_key() == "xkeysib-abc"
    assert settings.base_url == "http://127.0.0.1:9/v3"
    assert settings.page_size == 25
    assert "xkeysib-abc" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BREVO_SYNC_PAGE_SIZE", "abc", "BREVO_SYNC_PAGE_SIZE"),
        ("BREVO_SYNC_PAGE_SIZE", "0", "BREVO_SYNC_PAGE_SIZE"),
        ("BREVO_BASE_URL", "ftp://x", "BREVO_BASE_URL"),
        ("BREVO_SYNC_DATABASE_URL", "mysql://x", "BREVO_SYNC_DATABASE_URL"),
    ],
)
def test_malformed_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_missing_api_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="BREVO_API_KEY"):
        load_settings().require_api_key()


def test_secret_values_are_redacted_from_json_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    register_secret("xkeysib-topsecret-123")
    log = structlog.get_logger("t")
    log.info("calling", url="https://x/?key=xkeysib-topsecret-123", api_key="xkeysib-other")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "topsecret" not in line and "xkeysib-other" not in line
    assert json.loads(line)["event"] == "calling"


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_webhook_secret_is_unset_for_the_routes_and_the_daemon_alike(blank: str) -> None:
    settings = load_settings(brevo_webhook_token=blank, shopify_webhook_secret=blank)
    assert settings.brevo_webhook_token is None and settings.shopify_webhook_secret is None
    assert poll_policy(settings).hinted is None  # the poll does not wait for Brevo's hints
    hinted = load_settings(brevo_webhook_token="tok")
    assert poll_policy(hinted).hinted is not None


def test_replica_names_differ_even_on_one_host_with_one_pid() -> None:
    names = {replica_name() for _ in range(20)}
    assert len(names) == 20 and all(len(n) <= 64 for n in names)


def test_a_signal_notice_is_a_json_line_when_the_logs_are() -> None:
    configure_logging("INFO", "json")
    line = json.loads(notice_line("SIGTERM: finishing", signal="SIGTERM"))
    assert line["event"] == "SIGTERM: finishing" and line["signal"] == "SIGTERM"
    assert line["level"] == "warning" and line["timestamp"].endswith("Z")
    configure_logging("INFO", "console")
    assert notice_line("SIGTERM: finishing") == b"brevo-sync: SIGTERM: finishing\n"
