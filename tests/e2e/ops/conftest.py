"""Fixtures: the pulled mirror (once for the package) and the app over a copy of it (per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.ops.support import Api, Template, build_template, open_api


@pytest.fixture(scope="package")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return build_template(tmp_path_factory.mktemp("ops"))


@pytest.fixture
def api(tmp_path: Path, template: Template) -> Iterator[Api]:
    yield from open_api(tmp_path, template)
