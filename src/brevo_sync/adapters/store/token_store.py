"""The ops API's bearer tokens in SQL (`api_tokens`): hashes only, never a token."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from brevo_sync.adapters.store.tables import api_tokens
from brevo_sync.domain.tokens import ApiToken


def token_from_row(row: Any) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        user_email=row.user_email,
        role=row.role,
        team=row.team,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


class SqlTokenRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, token: ApiToken, token_hash: str) -> ApiToken:
        result = self._conn.execute(
            sa.insert(api_tokens)
            .values(
                name=token.name,
                token_hash=token_hash,
                user_email=token.user_email,
                team=token.team,
                role=token.role,
                created_at=token.created_at,
                revoked_at=token.revoked_at,
                last_used_at=token.last_used_at,
            )
            .returning(*api_tokens.c)
        )
        return token_from_row(result.one())

    def all(self) -> list[ApiToken]:
        rows = self._conn.execute(sa.select(api_tokens).order_by(api_tokens.c.id))
        return [token_from_row(row) for row in rows]

    def by_hash(self, token_hash: str) -> ApiToken | None:
        row = self._conn.execute(
            sa.select(api_tokens).where(api_tokens.c.token_hash == token_hash)
        ).first()
        return None if row is None else token_from_row(row)

    def revoke(self, token_id: int, now: datetime) -> bool:
        result = self._conn.execute(
            sa.update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now),
            execution_options={"preserve_rowcount": True},
        )
        return result.rowcount == 1

    def touch(self, token_id: int, now: datetime) -> None:
        self._conn.execute(
            sa.update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now)
        )
