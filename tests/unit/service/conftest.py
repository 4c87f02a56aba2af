"""Service tests: each use case run on the in-memory unit of work against FakeBrevo."""

from __future__ import annotations

import pytest

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.service.context import ServiceContext
from tests.fakes import FakeBrevo
from tests.unit.service.support import memory_context


@pytest.fixture
def brevo() -> FakeBrevo:
    return FakeBrevo()


@pytest.fixture
def mirror() -> MemoryMirror:
    return MemoryMirror()


@pytest.fixture
def ctx(mirror: MemoryMirror, brevo: FakeBrevo) -> ServiceContext:
    """The packaged rules, pages of 10, a clock that is FakeBrevo's."""
    return memory_context(mirror, brevo)
