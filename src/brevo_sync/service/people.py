"""People: named by e-mail in the rules and on the command line, by user id on Brevo's deals.

Brevo returns `deal_owner` as a user id and takes an e-mail only on write and in the list
filter. The cheapest way to learn a person's id is that filter: one `GET /crm/deals` with
`limit=1` and the person's e-mail; the owner of the deal that comes back is the id. Results are
kept in the mirror (`people`), so each person costs one request once; the rules file can give
ids outright (`people:`), which costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

import structlog

from brevo_sync.domain.reports import Person
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import BrevoGateway
from brevo_sync.service.prefetch import watched
from brevo_sync.service.runs import recorded_run
from brevo_sync.service.stop import StopToken

log = structlog.get_logger(__name__)


# A person Brevo had no deal of is asked about again after this long (they may have one now).
ASK_AGAIN_AFTER = timedelta(days=1)
USER_ID = re.compile(r"^[0-9a-f]{24}$")


def looks_like_email(value: str) -> bool:
    return "@" in value and not value.startswith("@")


def named_in_rules(config: RulesConfig) -> set[str]:
    """Every person the rules file names by e-mail (people, teams)."""
    emails = {e.strip().lower() for e in config.people}
    for members in config.teams.values():
        emails.update(m.strip().lower() for m in members if looks_like_email(m))
    return emails


def find_user_id(gateway: BrevoGateway, email: str, stop: StopToken) -> str | None:
    """The Brevo user id of `email`, from one of their deals; None when they have none."""
    page = watched(
        stop, lambda: gateway.list_deals(modified_since=None, offset=0, limit=1, owner=email)
    )
    for raw in page.items:
        attributes = raw.get("attributes") if isinstance(raw, dict) else None
        owner = attributes.get("deal_owner") if isinstance(attributes, dict) else None
        if owner:
            return str(owner)
    return None


def learn_people(
    ctx: ServiceContext,
    gateway: BrevoGateway,
    emails: Iterable[str] | None = None,
) -> int:
    """Store the ids the rules give, and ask Brevo for the people it does not know yet
    (`emails`, default: everyone the rules name). Returns how many were asked."""
    config = ctx.rules()
    now = ctx.clock()
    wanted = named_in_rules(config) if emails is None else {e.strip().lower() for e in emails}
    given = {e.strip().lower(): uid for e, uid in config.people.items()}
    with ctx.uow() as uow:
        known = {p.email: p for p in uow.people.all()}
        for email, user_id in given.items():
            if (known.get(email) or Person(email, None, "brevo", now)).user_id != user_id:
                uow.people.put(Person(email, user_id, "rules", now))
        uow.commit()
    ask = sorted(
        e
        for e in wanted - set(given)
        if e not in known
        or (known[e].user_id is None and now - known[e].learned_at >= ASK_AGAIN_AFTER)
    )
    for email in ask:
        found = find_user_id(gateway, email, ctx.stop)
        with ctx.uow() as uow:
            uow.people.put(Person(email, found, "brevo", now))
            uow.commit()
        log.info("person looked up in Brevo", email=email, found=found is not None)
    return len(ask)


def look_up_people(
    ctx: ServiceContext, emails: Iterable[str], *, command: str = "people"
) -> tuple[int, dict[str, int]]:
    """Learn the Brevo user ids of those of `emails` not known yet, as a recorded run (it
    does not hold the mirror: a request each). Returns (people asked, requests spent)."""
    gateway = ctx.gateway()
    with recorded_run(ctx, command, gateway, exclusive=False) as run:
        asked = learn_people(ctx, gateway, emails)
        return asked, run.requests()
