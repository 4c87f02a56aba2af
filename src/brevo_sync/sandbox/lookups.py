"""Read-only conveniences of `SandboxState` for tests: pipelines and stages by name,
users, loyalty balances and snapshots of the other stores. A mixin, so `state.py` keeps to
the writes and the rules; every method takes the state's lock like the rest.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from brevo_sync.sandbox.activities import NoteStore, TaskStore
from brevo_sync.sandbox.catalogue import (
    LOYALTY_BALANCE_DEFINITION_ID,
    LOYALTY_PROGRAM_ID,
    PipelineDef,
)
from brevo_sync.sandbox.companies import CompanyStore
from brevo_sync.sandbox.loyalty import LoyaltyStore
from brevo_sync.sandbox.users import UserRegistry


class StateLookups:
    """Mixed into `SandboxState`, which sets these attributes."""

    lock: threading.RLock
    pipelines: list[PipelineDef]
    users: UserRegistry
    loyalty: LoyaltyStore
    companies: CompanyStore
    tasks: TaskStore
    notes: NoteStore

    def add_user(self, email: str) -> str:
        """Register a user of the account (idempotent); returns its id."""
        with self.lock:
            return self.users.add(email)

    def user_id(self, email: str) -> str:
        """The id of the user with this e-mail (any case); KeyError if there is none."""
        with self.lock:
            uid = self.users.id_of(email)
        if uid is None:
            raise KeyError(email)
        return uid

    def users_snapshot(self) -> dict[str, str]:
        """E-mail -> user id, for every user of the account."""
        with self.lock:
            return self.users.snapshot()

    def pipeline(self, name_or_id: str) -> PipelineDef:
        """A pipeline by id or name (`.id`, `.name`, `.stages[i].id/.name`); KeyError if none."""
        for p in self.pipelines:
            if name_or_id in (p.id, p.name):
                return p
        raise KeyError(name_or_id)

    def stage_id(self, pipeline: str, stage_name: str) -> str:
        """The opaque id of a stage, by pipeline name (or id) and stage name."""
        for stage in self.pipeline(pipeline).stages:
            if stage.name == stage_name:
                return stage.id
        raise KeyError(stage_name)

    def pipelines_snapshot(self) -> list[dict[str, Any]]:
        """`GET /crm/pipeline/details/all` as Python data."""
        return [p.to_json() for p in self.pipelines]

    @property
    def loyalty_program_id(self) -> str:
        return LOYALTY_PROGRAM_ID

    @property
    def loyalty_balance_definition_id(self) -> str:
        return LOYALTY_BALANCE_DEFINITION_ID

    def loyalty_balance(self, contact_id: int, program_id: str = LOYALTY_PROGRAM_ID) -> float:
        """Completed points of a contact (0.0 when not enrolled)."""
        with self.lock:
            return self.loyalty.balances.get((program_id, contact_id), 0.0)

    def loyalty_transactions(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self.loyalty.transactions.values()))

    def contact_tier(self, contact_id: int, program_id: str = LOYALTY_PROGRAM_ID) -> str | None:
        with self.lock:
            return self.loyalty.contact_tiers.get((program_id, contact_id))

    def companies_snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return [self.companies.to_json(c) for c in self.companies.records.values()]

    def tasks_snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self.tasks.items)

    def notes_snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self.notes.items)
