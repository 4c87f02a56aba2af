"""Settings of the outside services the push writes to: loyalty and Meta's Conversions API."""

from __future__ import annotations

import pytest

from brevo_sync.bootstrap import Container
from brevo_sync.config import load_settings
from brevo_sync.errors import ConfigError


def test_both_are_off_by_default() -> None:
    settings = load_settings()
    assert not settings.loyalty_configured
    assert settings.meta_credentials() is None
    assert settings.meta_api_url == "https://graph.facebook.com/v19.0"
    container = Container(settings)
    assert container.conversions is None
    container.close()


def test_loyalty_needs_both_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BREVO_SYNC_LOYALTY_PROGRAM_ID", "prog")
    monkeypatch.setenv("BREVO_SYNC_LOYALTY_BALANCE_ID", "  ")
    assert not load_settings().loyalty_configured  # blank counts as unset
    monkeypatch.setenv("BREVO_SYNC_LOYALTY_BALANCE_ID", "points")
    settings = load_settings()
    assert settings.loyalty_configured
    assert (settings.loyalty_program_id, settings.loyalty_balance_id) == ("prog", "points")


def test_meta_is_built_when_configured_and_keeps_the_token_out_of_sight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BREVO_SYNC_META_PIXEL_ID", "1234")
    monkeypatch.setenv("BREVO_SYNC_META_ACCESS_TOKEN", "EAAB-very-secret")
    monkeypatch.setenv("BREVO_SYNC_META_API_URL", "http://127.0.0.1:9/_meta/v19.0/")
    settings = load_settings()
    assert "EAAB-very-secret" not in repr(settings)

    container = Container(settings)
    sink = container.conversions
    assert sink is not None
    assert sink.url == "http://127.0.0.1:9/_meta/v19.0/1234/events"
    assert "EAAB-very-secret" not in repr(sink)
    container.close()


@pytest.mark.parametrize(
    ("name", "value", "missing"),
    [
        ("BREVO_SYNC_META_PIXEL_ID", "1234", "BREVO_SYNC_META_ACCESS_TOKEN"),
        ("BREVO_SYNC_META_ACCESS_TOKEN", "tok", "BREVO_SYNC_META_PIXEL_ID"),
    ],
)
def test_half_a_meta_configuration_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, missing: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{missing} is not set"):
        Container(load_settings()).conversions  # noqa: B018


def test_a_meta_url_must_be_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BREVO_SYNC_META_API_URL", "graph.facebook.com")
    with pytest.raises(ConfigError, match="BREVO_SYNC_META_API_URL"):
        load_settings()
