"""`brevo-sync rules check` against a real mirror: every configured stage maps, or is named."""

from __future__ import annotations

from importlib import resources

from brevo_sync.sandbox import SandboxServer
from tests.e2e.conftest import Cli


def test_rules_map_onto_the_pulled_mirror_and_an_unknown_stage_is_reported(
    cli: Cli, sandbox: SandboxServer
) -> None:
    assert cli("pull").returncode == 0
    ok = cli("rules", "check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "stage mapping: 4 Brevo pipelines" in ok.stdout

    text = resources.files("brevo_sync").joinpath("defaults/rules.yaml").read_text()
    renamed = text.replace("      - name: Demo\n", "      - name: Product Demo\n", 1)
    assert renamed != text
    (cli.cwd / "renamed.yaml").write_text(renamed)
    bad = cli("rules", "check", "renamed.yaml")
    assert bad.returncode == 2
    assert "Product Demo" in bad.stdout
    assert "renamed.yaml:" in bad.stdout
