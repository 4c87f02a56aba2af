"""`brevo-sync rules check` through typer's CliRunner, on a local app it is registered into."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from brevo_sync.domain.deal import Pipeline, Stage
from brevo_sync.entrypoints.cli import rules_cmd

from .test_rules_file import MINIMAL

runner = CliRunner()


def make_app(pipelines: Sequence[Pipeline] | None = None) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """A local app: only `rules` is registered."""

    loader = (lambda url: pipelines) if pipelines is not None else None
    rules_cmd.register(app, load_pipelines=loader)
    return app


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_rules_check_ok_with_a_summary() -> None:
    result = runner.invoke(make_app(), ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert "4 pipelines, 28 stages, 12 listed transitions" in result.output
    assert "NEW_LEAD 3d, QUALIFICATION 7d, NEEDS_ANALYSIS 14d, PROPOSAL 21d, NEGOTIATION 30d" in (
        result.output
    )
    assert "inactivity: 7, 14, 30 days" in result.output
    assert "over 25000 EUR, 14 days" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MINIMAL + "    transitions:\n      - {from: Lead, to: Demoo}\n",
            "rules.yaml:9: pipelines[0].transitions[0].to: unknown stage 'Demoo'",
        ),
        (
            MINIMAL.replace("probability: 40", "probability: 120"),
            "rules.yaml:5: pipelines[0].stages[1].probability: Input should be less than or "
            "equal to 100",
        ),
        (
            MINIMAL.replace("      - {name: Won, kind: won}\n", ""),
            "rules.yaml:3: pipelines[0].stages: pipeline 'Sales' has no won stage(s)",
        ),
        (
            "pipelines:\n"
            + "".join(
                f"  - name: P{i}\n    stages: [{{name: A}}, {{name: W, kind: won}}, "
                "{name: L, kind: lost}]\n"
                for i in range(11)
            ),
            "rules.yaml:1: pipelines: 11 pipelines: Brevo allows at most 10",
        ),
        (MINIMAL + "  - name: [unclosed\n", "rules.yaml:9: (top level): YAML syntax error"),
    ],
    ids=["unknown-stage", "probability-120", "missing-won", "11-pipelines", "yaml-syntax"],
)
def test_bad_files_exit_2_with_located_lines(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    result = runner.invoke(make_app(), ["rules", "check", str(path)])
    assert result.exit_code == 2
    lines = [line.replace(str(tmp_path) + "/", "") for line in result.output.splitlines()]
    assert any(line.startswith(expected) for line in lines), result.output


def test_json_output_lists_problems(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("probability: 40", "probability: 120"))
    result = runner.invoke(make_app(), ["rules", "check", str(path), "--json"])
    assert result.exit_code == 2
    document = json.loads(result.output)
    assert document["ok"] is False
    assert document["problems"][0] == {
        "location": "pipelines[0].stages[1].probability",
        "line": 5,
        "severity": "error",
        "message": "Input should be less than or equal to 100",
    }


def test_file_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BREVO_SYNC_RULES", str(write(tmp_path, MINIMAL)))
    result = runner.invoke(make_app(), ["rules", "check", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["summary"]["pipelines"] == 1


def test_stage_mapping_against_the_mirror(tmp_path: Path) -> None:
    mirror = [
        Pipeline("p1", "sales", (Stage("s1", "LEAD", 0), Stage("s2", "Won", 1),
                                 Stage("s3", "lost", 2)))
    ]  # fmt: skip
    path = write(tmp_path, MINIMAL)
    result = runner.invoke(
        make_app(mirror), ["rules", "check", str(path), "--database-url", "sqlite://"]
    )
    assert result.exit_code == 2
    assert (
        "rules.yaml:5: pipelines[0].stages[1]: stage 'Demo' is not in Brevo pipeline 'sales'"
        in (result.output.replace(str(tmp_path) + "/", ""))
    )


def test_mapped_mirror_is_ok(tmp_path: Path) -> None:
    stages = (Stage("s1", "Lead", 0), Stage("s2", "demo", 1), Stage("s3", "WON", 2),
              Stage("s4", "Lost", 3))  # fmt: skip
    path = write(tmp_path, MINIMAL)
    result = runner.invoke(
        make_app([Pipeline("p1", "Sales", stages)]),
        ["rules", "check", str(path), "--database-url", "sqlite://"],
    )
    assert result.exit_code == 0, result.output
    assert "stage mapping: 1 Brevo pipelines" in result.output
