"""The token store on SQLite and PostgreSQL, and its in-memory twin answering the same."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.memory import MemoryMirror, MemoryUnitOfWork
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.tokens import ApiToken, hash_token
from brevo_sync.service.ports import UnitOfWork

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def _scenario(uow_factory: Callable[[], UnitOfWork]) -> list[object]:
    seen: list[object] = []
    with uow_factory() as uow:
        first = uow.tokens.add(
            ApiToken("dash", "ana@example.com", "team_lead", "north", T0), hash_token("s1")
        )
        second = uow.tokens.add(
            ApiToken("cli", "ben@example.com", "viewer", None, T0), hash_token("s2")
        )
        uow.commit()
    seen += [first, second]
    with uow_factory() as uow:
        uow.tokens.add(ApiToken("lost", "x@example.com", "viewer", None, T0), hash_token("s3"))
        # no commit: rolled back
    with uow_factory() as uow:
        seen.append(uow.tokens.by_hash(hash_token("s2")))
        seen.append(uow.tokens.by_hash(hash_token("s3")))
        seen.append(uow.tokens.revoke(first.id or 0, T0 + timedelta(hours=1)))
        seen.append(uow.tokens.revoke(first.id or 0, T0 + timedelta(hours=2)))  # once only
        seen.append(uow.tokens.revoke(999, T0))
        uow.tokens.touch(second.id or 0, T0 + timedelta(minutes=5))
        uow.commit()
    with uow_factory() as uow:
        seen.append(uow.tokens.all())
    return seen


def test_token_store(mirror_engine: Engine) -> None:
    sql = _scenario(lambda: SqlUnitOfWork(mirror_engine))
    first, second, found, missing, revoked, again, unknown, tokens = sql
    assert isinstance(first, ApiToken) and isinstance(second, ApiToken)
    assert first.id is not None and second.id == first.id + 1
    assert found == second and missing is None
    assert (revoked, again, unknown) == (True, False, False)
    assert isinstance(tokens, list) and [t.name for t in tokens] == ["dash", "cli"]
    assert tokens[0].revoked_at == T0 + timedelta(hours=1) and not tokens[0].active
    assert tokens[1].last_used_at == T0 + timedelta(minutes=5) and tokens[1].active

    # The hash is unique: the same token cannot be stored twice.
    with SqlUnitOfWork(mirror_engine) as uow, pytest.raises(sa.exc.IntegrityError):
        uow.tokens.add(ApiToken("dup", "a@example.com", "viewer", None, T0), hash_token("s1"))
    with mirror_engine.connect() as conn:  # and only hashes are kept
        stored = conn.execute(sa.text("SELECT token_hash FROM api_tokens ORDER BY id")).scalars()
        assert list(stored) == [hash_token("s1"), hash_token("s2")]

    mirror = MemoryMirror()
    memory = _scenario(lambda: MemoryUnitOfWork(mirror))
    # Ids may differ (a rolled-back id is not reused by either); everything else agrees.
    assert _without_ids(memory) == _without_ids(sql)


def _without_ids(values: list[object]) -> list[object]:
    def strip(value: object) -> object:
        if isinstance(value, ApiToken):
            return (value.name, value.user_email, value.role, value.team, value.created_at,
                    value.revoked_at, value.last_used_at)  # fmt: skip
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return [strip(v) for v in values]
