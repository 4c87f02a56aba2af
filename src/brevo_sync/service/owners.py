"""`--owner`: a Brevo user id or an e-mail, turned into the ids the mirror's deals carry.

Brevo stores `deal_owner` as a user id; operators know e-mails. An e-mail is resolved from
what costs least: the mirror's `people` (learned before), the rules file's `people:` map,
then, with an API key, one Brevo request (`people.find_user_id`), recorded as a run and kept
in `people` so the same e-mail never costs a request again. An owner nobody can resolve is
an error naming the people we know and how to make this one known, never an empty report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.people import (
    ASK_AGAIN_AFTER,
    USER_ID,
    look_up_people,
    looks_like_email,
)
from brevo_sync.service.ports import UnitOfWork
from brevo_sync.service.resolve import close_matches, quoted

LOOKUP_COMMAND = "owner lookup"


@dataclass(frozen=True, slots=True)
class OwnerMatch:
    """The owner ids a report filters on, and what finding them cost."""

    ids: frozenset[str]
    email: str | None = None
    looked_up: tuple[str, ...] = ()  # e-mails asked of Brevo for this
    requests: dict[str, int] = field(default_factory=dict)


def resolve_owner(ctx: ServiceContext, value: str) -> OwnerMatch:
    """The ids `value` (a user id or an e-mail) stands for on mirrored deals."""
    value = value.strip()
    with ctx.uow() as uow:
        owners = uow.queries.owner_ids()
        known = {p.email: p for p in uow.people.all()}
        if USER_ID.match(value.lower()):
            return _by_id(uow, value.lower(), owners)
    emails = {e for e, p in known.items() if p.user_id is not None}
    if not looks_like_email(value):
        raise UsageError(
            f"--owner '{value}': give a Brevo user id (24 hex characters) or an e-mail "
            f"({_known_people(value, emails)})"
        )
    email = value.lower()
    # Deals written with the owner's e-mail (an account without user ids) match it as is.
    as_written = frozenset(o for o in owners if o.lower() == email)
    person = known.get(email)
    if person is not None and person.user_id is not None:
        return OwnerMatch(frozenset({person.user_id}) | as_written, email)
    given = {e.strip().lower(): uid for e, uid in ctx.rules().people.items()}
    if email in given:
        return OwnerMatch(frozenset({given[email]}) | as_written, email)
    if as_written:
        return OwnerMatch(as_written, email)
    emails |= set(given)
    if person is not None and ctx.clock() - person.learned_at < ASK_AGAIN_AFTER:
        asked = f"{person.learned_at:%Y-%m-%d %H:%M} UTC"
        raise _unknown(email, emails, f"Brevo had no deal owned by it when asked at {asked}")
    if not ctx.brevo_configured:
        raise _unknown(email, emails, "not a known owner", ask=True)
    return _ask_brevo(ctx, email, emails)


def _by_id(uow: UnitOfWork, user_id: str, owners: set[str]) -> OwnerMatch:
    if user_id in owners:
        emails = uow.people.by_user_id([user_id])
        return OwnerMatch(frozenset({user_id}), emails.get(user_id))
    named = uow.people.by_user_id(sorted(owners))
    listed = sorted(f"{named[o]} ({o})" if o in named else o for o in owners)
    raise UsageError(
        f"--owner '{user_id}' owns no deal in the mirror; owners: {', '.join(listed) or 'none'}"
    )


def _ask_brevo(ctx: ServiceContext, email: str, known: set[str]) -> OwnerMatch:
    """One `GET /crm/deals` filtered by the e-mail; the answer is kept in `people`, found or
    not. Not exclusive: a pull holding the mirror must not make this wait minutes."""
    _, requests = look_up_people(ctx, [email], command=LOOKUP_COMMAND)
    with ctx.uow() as uow:
        person = uow.people.get(email)
    if person is None or person.user_id is None:
        raise _unknown(email, known, "Brevo has no deal owned by it")
    return OwnerMatch(frozenset({person.user_id}), email, (email,), requests)


def _unknown(email: str, known: set[str], why: str, *, ask: bool = False) -> UsageError:
    fixes = [
        "give the owner's Brevo user id (24 hex characters)",
        f"add it to the rules file under `people:` as `{email}: <user id>`",
    ]
    if ask:
        fixes.append("set BREVO_API_KEY so that Brevo is asked once")
    return UsageError(
        f"--owner '{email}': {why} ({_known_people(email, known)}); "
        f"{', '.join(fixes[:-1])} or {fixes[-1]}"
    )


def _known_people(value: str, known: set[str]) -> str:
    emails = sorted(known)
    # E-mails of one company share their domain, so only a near miss is worth suggesting.
    close = close_matches(value, emails, cutoff=0.85)
    if close:
        return f"did you mean {quoted(close)}?"
    return f"known people: {', '.join(emails)}" if emails else "no people are known yet"
