"""The layers hold in the code, and the check would see them break (on a made-up tree)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.layers import check

SRC = Path(__file__).resolve().parent.parent / "src"


def test_the_package_keeps_its_layers() -> None:
    assert [str(b) for b in check(SRC)] == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "brevo_sync" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "text", "rule"),
    [
        ("domain/rules/x.py", "import sqlalchemy\n", "standard library and pydantic only"),
        ("domain/x.py", "from brevo_sync.service import ports\n", "bottom floor"),
        ("domain/x.py", "from ..adapters.store import uow\n", "bottom floor"),
        ("service/x.py", "from brevo_sync.adapters.store.uow import SqlUnitOfWork\n", "ports"),
        ("service/x.py", "def f():\n    import httpx\n", "no database, HTTP or SDK"),
        ("service/x.py", "from brevo_sync.entrypoints.cli import app\n", "ports only"),
        ("adapters/x.py", "from brevo_sync.service.pull import pull_deals\n", "implement ports"),
        ("adapters/x.py", "from brevo_sync.entrypoints.cli import common\n", "one-way"),
        ("entrypoints/cli/x.py", "from brevo_sync.adapters.store import uow\n", "services"),
        (
            "entrypoints/cli/pull_cmd.py",
            "from brevo_sync.sandbox import SandboxState\n",
            "emulator",
        ),
        ("bootstrap.py", "from brevo_sync import sandbox\n", "emulator"),
    ],
)
def test_each_rule_is_enforced(tmp_path: Path, module: str, text: str, rule: str) -> None:
    (breach,) = check(_tree(tmp_path, {module: text}))
    assert breach.module == module and rule in breach.rule


def test_what_is_allowed_passes(tmp_path: Path) -> None:
    allowed = {
        "domain/x.py": "import decimal\nimport pydantic\nfrom brevo_sync.errors import E\n",
        "service/x.py": "import structlog\nfrom brevo_sync.service.ports import UnitOfWork\n",
        "adapters/x.py": "import sqlalchemy\nfrom brevo_sync.service.ports import UnitOfWork\n",
        "entrypoints/cli/demo_cmd.py": "from brevo_sync.sandbox import SandboxServer\n",
        "entrypoints/cli/x.py": "from brevo_sync.bootstrap import Container\n",
        "sandbox/x.py": "from brevo_sync.sandbox.state import SandboxState\n",
    }
    assert check(_tree(tmp_path, allowed)) == []


def test_ports_hold_protocols_only(tmp_path: Path) -> None:
    text = (
        "from typing import Protocol\nclass Gateway(Protocol):\n    pass\nclass Page:\n    pass\n"
    )
    (breach,) = check(_tree(tmp_path, {"service/ports.py": text}))
    assert (breach.imported, breach.rule) == ("Page", "ports hold protocols only")
