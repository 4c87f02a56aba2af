"""`tokens add|list|revoke` and `authenticate` on the in-memory mirror."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.domain.tokens import TOKEN_PREFIX, hash_token
from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.tokens import (
    Forbidden,
    Unauthenticated,
    add_token,
    authenticate,
    list_tokens,
    revoke_token,
)
from tests.fakes import FakeBrevo
from tests.unit.service.support import RULES, memory_context

ANA, BEN = "ana@example.com", "ben@example.com"
TEAM_RULES = RULES.model_copy(update={"teams": {"north": (ANA, BEN), "south": ("cy@example.com",)}})


@pytest.fixture
def ctx(mirror: MemoryMirror, brevo: FakeBrevo) -> ServiceContext:
    return memory_context(mirror, brevo, rules=TEAM_RULES)


def test_a_token_is_shown_once_and_kept_as_its_hash(
    ctx: ServiceContext, mirror: MemoryMirror
) -> None:
    issued = add_token(ctx, "dash", user=" Ana@Example.com ", role="Team Lead")
    assert issued.secret.startswith(TOKEN_PREFIX) and len(issued.secret) > 40
    token = issued.token
    assert (token.name, token.user_email, token.role, token.team) == (
        "dash",
        ANA,
        "team_lead",
        "north",
    )
    assert token.id == 1 and token.active and token.created_at == ctx.clock()
    stored = list(mirror.tables.api_tokens.rows.values())
    assert stored == [(token, hash_token(issued.secret))]
    assert issued.secret not in repr(stored)
    other = add_token(ctx, "other", user=BEN, role="sales_rep")
    assert other.secret != issued.secret and other.token.id == 2
    assert [t.name for t in list_tokens(ctx).tokens] == ["dash", "other"]


def test_roles_and_teams_come_from_the_rules(ctx: ServiceContext) -> None:
    with pytest.raises(UsageError, match=r"--role 'sales rp' matches no role .*'sales_rep'"):
        add_token(ctx, "x", user=ANA, role="sales rp")
    with pytest.raises(UsageError, match=r"--team 'nort' matches no team .*'north'"):
        add_token(ctx, "x", user=ANA, role="sales_rep", team="nort")
    with pytest.raises(UsageError, match=r"does not list ana@example.com .*'north'"):
        add_token(ctx, "x", user=ANA, role="sales_rep", team="south")
    with pytest.raises(UsageError, match="e-mail"):
        add_token(ctx, "x", user="ana", role="sales_rep")
    for name in ("", "42", "x" * 129):
        with pytest.raises(UsageError, match="token name"):
            add_token(ctx, name, user=ANA, role="sales_rep")
    loner = add_token(ctx, "loner", user="zed@example.com", role="sales_rep")
    assert loner.token.team is None
    assert any("in no team" in w for w in loner.warnings)
    assert any("Brevo user id" in w for w in loner.warnings)
    assert add_token(ctx, "boss", user="zed@example.com", role="sales_manager").warnings == []


def test_no_teams_in_the_rules_is_said(mirror: MemoryMirror, brevo: FakeBrevo) -> None:
    ctx = memory_context(mirror, brevo)  # the packaged rules: `teams: {}`
    with pytest.raises(UsageError, match="the rules file has no teams"):
        add_token(ctx, "x", user=ANA, role="sales_rep", team="north")


def test_names_are_unique_among_active_tokens(ctx: ServiceContext) -> None:
    first = add_token(ctx, "dash", user=ANA, role="viewer")
    with pytest.raises(UsageError, match=r"a token named 'dash' exists already \(#1\)"):
        add_token(ctx, "dash", user=BEN, role="viewer")
    revoked = revoke_token(ctx, "dash")
    assert not revoked.already and revoked.token.revoked_at == ctx.clock()
    again = add_token(ctx, "dash", user=BEN, role="viewer")
    assert again.token.id == 2
    # By name: the active one; by id: that one; twice: nothing changes.
    assert revoke_token(ctx, "dash").token.id == 2
    assert revoke_token(ctx, str(first.token.id)).already
    assert revoke_token(ctx, "dash").already
    with pytest.raises(UsageError, match=r"no token named 'dahs'; did you mean 'dash'\?"):
        revoke_token(ctx, "dahs")
    with pytest.raises(UsageError, match="no token #9"):
        revoke_token(ctx, "9")


def test_authenticate(ctx: ServiceContext, brevo: FakeBrevo) -> None:
    issued = add_token(ctx, "dash", user=ANA, role="sales_rep")
    for secret in (None, "", "  ", "bst_unknown", issued.secret[:-1]):
        with pytest.raises(Unauthenticated):
            authenticate(ctx, secret)
    token = authenticate(ctx, issued.secret)
    assert token.actor.id == ANA and token.actor.role == "sales_rep"
    assert token.last_used_at == ctx.clock()
    first_use = token.last_used_at
    brevo.now += timedelta(seconds=30)  # used again soon: not written again
    assert authenticate(ctx, issued.secret).last_used_at == first_use
    brevo.now += timedelta(seconds=60)
    assert authenticate(ctx, issued.secret).last_used_at == brevo.now
    assert list_tokens(ctx).tokens[0].last_used_at == brevo.now

    without = TEAM_RULES.model_copy(
        update={"roles": {k: v for k, v in TEAM_RULES.roles.items() if k != "sales_rep"}}
    )
    with pytest.raises(Forbidden, match=r"no\s+longer has"):
        authenticate(replace(ctx, rules=lambda: without), issued.secret)
    revoke_token(ctx, "dash")
    with pytest.raises(Unauthenticated, match="was revoked at"):
        authenticate(ctx, issued.secret)
