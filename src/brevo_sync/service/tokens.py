"""`tokens add|list|revoke` and who a bearer token is: the ops API's access (issue 9, point 5).

    issued = add_token(ctx, "dash", user="ana@example.com", role="team_lead", team="north")
    issued.secret                          # shown once; the mirror keeps its SHA-256 only
    authenticate(ctx, secret) -> ApiToken  # Unauthenticated (401) / Forbidden (403)

A token stands for a person of the rules file: its role must be one of the rules' `roles:`,
and its team one of the rules' `teams:` that lists the person, because team membership (who
sees and moves whose deals) is the rules' to say, for the API as for `deals advance --as`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.domain.tokens import TOKEN_PREFIX, ApiToken, hash_token
from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.people import looks_like_email
from brevo_sync.service.resolve import close_matches, name_key, not_found, quoted

# A token's `last_used_at` is written at most this often: a request is not a write each time.
TOUCH_EVERY = timedelta(seconds=60)
SECRET_BYTES = 32  # 256 bits of randomness, 43 characters of URL-safe base64
MAX_NAME = 128


class Unauthenticated(UsageError):
    """No token, or one the mirror does not accept (unknown, revoked): HTTP 401."""


class Forbidden(UsageError):
    """A valid token whose person may not do what was asked: HTTP 403."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the bearer token itself, shown once
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TokenListing:
    database: str
    tokens: list[ApiToken]


@dataclass(frozen=True, slots=True)
class Revoked:
    database: str
    token: ApiToken
    already: bool  # it had been revoked before: nothing changed


def role_of(config: RulesConfig, value: str) -> str:
    """A role of the rules file, as typed (`Team Lead`, `team-lead`, `team_lead`)."""
    roles = sorted(config.roles)
    wanted = name_key(value.replace("-", " "))
    for role in roles:
        if name_key(role) == wanted:
            return role
    raise not_found("--role", value, "role", roles, " in the rules file")


def team_of(config: RulesConfig, email: str, value: str | None) -> str | None:
    """The token's team: one of the rules' teams that lists the person (a user id listed
    for them counts too, via `people:`)."""
    aliases = {email} | {uid.lower() for e, uid in config.people.items() if e.lower() == email}
    theirs = sorted(t for t, members in config.teams.items() if aliases & _lower(members))
    if value is None:
        return theirs[0] if len(theirs) == 1 else None
    team = next((t for t in config.teams if name_key(t) == name_key(value)), None)
    if team is None:
        if not config.teams:
            raise UsageError(
                f"--team '{value}': the rules file has no teams; list them under `teams:` "
                "(team name -> members' e-mails)"
            )
        raise not_found("--team", value, "team", sorted(config.teams), " in the rules file")
    if team not in theirs:
        where = f"(they are in {quoted(theirs, 'and')})" if theirs else "(they are in none)"
        raise UsageError(
            f"--team '{team}': the rules file does not list {email} as a member {where}; "
            f"add them under `teams: {team}:` or choose their team"
        )
    return team


def _lower(members: tuple[str, ...]) -> set[str]:
    return {m.strip().lower() for m in members}


def add_token(
    ctx: ServiceContext, name: str, *, user: str, role: str, team: str | None = None
) -> IssuedToken:
    """A new token for `user` (an e-mail) with a role (and team) of the rules file."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or name.isdigit():
        raise UsageError(
            f"token name {name!r}: give 1-{MAX_NAME} characters, not only digits "
            "(`tokens revoke` takes a name or an id)"
        )
    email = user.strip().lower()
    if not looks_like_email(email):
        raise UsageError(f"--user '{user}': give the person's e-mail, as the rules file names it")
    config = ctx.rules()
    canonical = role_of(config, role)
    chosen = team_of(config, email, team)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    now = ctx.clock()
    with ctx.uow() as uow:
        active = [t for t in uow.tokens.all() if t.active and t.name == name]
        if active:
            raise UsageError(
                f"a token named {name!r} exists already (#{active[0].id}): revoke it first "
                f"(`brevo-sync tokens revoke {name}`) or choose another name"
            )
        token = uow.tokens.add(ApiToken(name, email, canonical, chosen, now), hash_token(secret))
        uow.commit()
    return IssuedToken(token, secret, _warnings(ctx, config, email, canonical, chosen))


def _warnings(
    ctx: ServiceContext, config: RulesConfig, email: str, role: str, team: str | None
) -> list[str]:
    warnings = []
    scopes = config.roles[role]
    if team is None and "team" in (*scopes.see, *scopes.move):
        warnings.append(
            f"{email} is in no team of the rules file: as {role} they see and move only "
            "their own deals"
        )
    with ctx.uow() as uow:
        person = uow.people.get(email)
    known = person is not None and person.user_id is not None
    if not known and email not in {e.lower() for e in config.people} and "all" not in scopes.see:
        warnings.append(
            f"the mirror does not know {email}'s Brevo user id yet, so their own deals are "
            "not theirs until it does: name them in the rules file (`teams:` or `people:`) "
            "and pull"
        )
    return warnings


def list_tokens(ctx: ServiceContext) -> TokenListing:
    with ctx.uow() as uow:
        return TokenListing(ctx.database, uow.tokens.all())


def revoke_token(ctx: ServiceContext, ref: str) -> Revoked:
    """Revoke by id or name (a name: its active token). Again is harmless."""
    ref = ref.strip()
    with ctx.uow() as uow:
        tokens = uow.tokens.all()
        token = _find(tokens, ref)
        done = uow.tokens.revoke(token.id or 0, ctx.clock())
        uow.commit()
        after = next(t for t in uow.tokens.all() if t.id == token.id)
    return Revoked(ctx.database, after, already=not done)


def _find(tokens: list[ApiToken], ref: str) -> ApiToken:
    if ref.isdigit():
        found = next((t for t in tokens if t.id == int(ref)), None)
        if found is not None:
            return found
        raise UsageError(f"no token #{ref} (`brevo-sync tokens list` shows the ids)")
    named = [t for t in tokens if t.name == ref]
    if named:  # the active one, else the last revoked (nothing to do)
        return next((t for t in named if t.active), named[-1])
    names = list(dict.fromkeys(t.name for t in tokens))
    close = close_matches(ref, names)
    hint = f"did you mean {quoted(close)}?" if close else "`brevo-sync tokens list` shows them"
    raise UsageError(f"no token named '{ref}'; {hint}")


def authenticate(ctx: ServiceContext, secret: str | None) -> ApiToken:
    """The active token `secret` is, with a role the rules file still has."""
    if not secret or not secret.strip():
        raise Unauthenticated(
            "no bearer token: send `Authorization: Bearer <token>` "
            "(`brevo-sync tokens add` makes one)"
        )
    with ctx.uow() as uow:
        token = uow.tokens.by_hash(hash_token(secret.strip()))
    if token is None:
        raise Unauthenticated("the bearer token is not one of this mirror's tokens")
    if not token.active:
        raise Unauthenticated(f"the token '{token.name}' was revoked at {_at(token.revoked_at)}")
    if token.role not in ctx.rules().roles:
        raise Forbidden(
            f"the token '{token.name}' has the role '{token.role}', which the rules file no "
            "longer has: make a new token"
        )
    return _touched(ctx, token)


def _touched(ctx: ServiceContext, token: ApiToken) -> ApiToken:
    now = ctx.clock()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return token
    with ctx.uow() as uow:
        uow.tokens.touch(token.id or 0, now)
        uow.commit()
    return replace(token, last_used_at=now)


def _at(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "an unknown time"
