"""One run at a time on a memory mirror, and its (trivial) schema.

The lock is the mirror's own `threading.Lock`, so every `MemoryLock` on one mirror excludes
the others, as two `mirror_lock`s on one database do. Like the SQL locks, a second run waits
briefly and then gives up with MirrorBusy naming the holder; a lock is not reentrant, so a run
nested in a run (one thread) is refused the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from brevo_sync.adapters.memory.mirror import MemoryMirror
from brevo_sync.errors import MirrorBusy

if TYPE_CHECKING:
    from brevo_sync.service.ports import MirrorLock, SchemaAdmin

# What `MemorySchemaAdmin` reports: a memory mirror is always at this version's schema.
MEMORY_REVISION = "memory"


class MemoryLock:
    def __init__(self, mirror: MemoryMirror, wait_seconds: float = 0.2) -> None:
        self._mirror = mirror
        self._wait = wait_seconds

    @contextlib.contextmanager
    def hold(self, command: str) -> Iterator[None]:
        mirror = self._mirror
        if not mirror.run_lock.acquire(timeout=max(self._wait, 0.0)):
            holder = mirror.run_holder or "a run that is starting"
            raise MirrorBusy(
                f"another brevo-sync run holds the mirror {mirror.name} ({holder}); "
                "try again when it has finished"
            )
        mirror.run_holder = command
        try:
            yield
        finally:
            mirror.run_holder = None
            mirror.run_lock.release()


class MemorySchemaAdmin:
    """`db upgrade` on a memory mirror: nothing to migrate, the revision is set once."""

    def __init__(self, mirror: MemoryMirror) -> None:
        self._mirror = mirror

    def upgrade(self) -> tuple[str | None, str]:
        before = self._mirror.schema_revision
        self._mirror.schema_revision = MEMORY_REVISION
        return before, MEMORY_REVISION

    def revisions(self) -> tuple[str | None, str]:
        return self._mirror.schema_revision, MEMORY_REVISION


if TYPE_CHECKING:  # mypy holds these to their ports

    def _implements(mirror: MemoryMirror) -> tuple[MirrorLock, SchemaAdmin]:
        return MemoryLock(mirror), MemorySchemaAdmin(mirror)
