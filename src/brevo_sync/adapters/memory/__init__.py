"""The in-memory mirror: the `UnitOfWork` port (and the mirror lock and schema) without a
database, for service tests. `tests/integration/test_uow_parity.py` holds it to the SQL mirror.

    mirror = MemoryMirror()
    ctx = ServiceContext(uow=lambda: MemoryUnitOfWork(mirror), lock=lambda: MemoryLock(mirror),
                         schema=lambda: MemorySchemaAdmin(mirror), ...)
"""

from __future__ import annotations

from brevo_sync.adapters.memory.lock import MemoryLock, MemorySchemaAdmin
from brevo_sync.adapters.memory.mirror import MemoryMirror
from brevo_sync.adapters.memory.uow import MemoryUnitOfWork

__all__ = ["MemoryLock", "MemoryMirror", "MemorySchemaAdmin", "MemoryUnitOfWork"]
