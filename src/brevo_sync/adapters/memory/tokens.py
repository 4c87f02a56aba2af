"""The ops API's bearer tokens in memory (as adapters/store/token_store.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from brevo_sync.adapters.memory.mirror import Transaction
from brevo_sync.adapters.memory.rows import utc
from brevo_sync.domain.tokens import ApiToken


class MemoryTokenRepository:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, token: ApiToken, token_hash: str) -> ApiToken:
        table = self._tx.tables.api_tokens
        if any(stored_hash == token_hash for _, stored_hash in table.values()):
            raise ValueError("api_tokens.token_hash is unique")  # as the SQL constraint
        token_id = table.new_id()
        stored = replace(
            token,
            id=token_id,
            created_at=utc(token.created_at),
            revoked_at=utc(token.revoked_at),
            last_used_at=utc(token.last_used_at),
        )
        table.put(token_id, (stored, token_hash))
        return stored

    def all(self) -> list[ApiToken]:
        return sorted((t for t, _ in self._tx.tables.api_tokens.values()), key=lambda t: t.id or 0)

    def by_hash(self, token_hash: str) -> ApiToken | None:
        return next((t for t, h in self._tx.tables.api_tokens.values() if h == token_hash), None)

    def revoke(self, token_id: int, now: datetime) -> bool:
        row = self._tx.tables.api_tokens.get(token_id)
        if row is None or row[0].revoked_at is not None:
            return False
        self._tx.tables.api_tokens.put(token_id, (replace(row[0], revoked_at=utc(now)), row[1]))
        return True

    def touch(self, token_id: int, now: datetime) -> None:
        row = self._tx.tables.api_tokens.get(token_id)
        if row is not None:
            self._tx.tables.api_tokens.put(
                token_id, (replace(row[0], last_used_at=utc(now)), row[1])
            )
