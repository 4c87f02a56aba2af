"""The README names every setting and every command an operator can reach."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from brevo_sync.config import setting_names
from brevo_sync.entrypoints.cli import app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(setting_names()))
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    names = [f"{prefix}{c.name or c.callback.__name__}" for c in group.registered_commands]  # type: ignore[union-attr]
    for sub in group.registered_groups:
        names += _commands(sub.typer_instance, f"{prefix}{sub.name} ")  # type: ignore[arg-type]
    return names


def test_every_command_is_documented() -> None:
    commands = _commands(app)
    assert "pull" in commands and "rules check" in commands
    for command in commands:
        assert f"`{command}" in README, command
