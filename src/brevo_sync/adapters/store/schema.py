"""Every mirror table registered on one MetaData: import this, not the table modules, when
the whole schema is wanted (create_all in tests, Alembic's autogenerate)."""

from __future__ import annotations

from brevo_sync.adapters.store import alerts as _alerts  # noqa: F401  (registers `alerts`)
from brevo_sync.adapters.store.tables import metadata

__all__ = ["metadata"]
