"""People: one owner-filtered list request per e-mail, once; ids the rules give cost nothing."""

from __future__ import annotations

import pytest

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.domain.reports import DealQuery, Person
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.people import learn_people
from tests.fakes import LIST, FakeBrevo, ListCall
from tests.unit.service.support import RULES, memory_context, pull

BO_ID = "0123456789abcdef01234567"
RULES_WITH_PEOPLE = RULES.model_copy(
    update={
        "people": {"Bo@Example.com": BO_ID},  # given: never asked
        # Members by e-mail (asked) or by user id (nothing to ask).
        "teams": {"north": ("ANA@example.com", "cy@example.com", "bo@example.com", BO_ID)},
    }
)
DAY = 24 * 3600


@pytest.fixture
def ctx(mirror: MemoryMirror, brevo: FakeBrevo) -> ServiceContext:
    return memory_context(mirror, brevo, rules=RULES_WITH_PEOPLE)


def people(ctx: ServiceContext) -> list[Person]:
    with ctx.uow() as uow:
        return uow.people.all()


def test_each_person_costs_one_owner_filtered_request_once(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    brevo.add(3)  # Ana's
    cy = brevo.user("cy@example.com")  # a Brevo user without a deal yet
    assert learn_people(ctx, brevo) == 2
    assert brevo.calls == [
        ListCall(None, 0, 1, "ana@example.com"),
        ListCall(None, 0, 1, "cy@example.com"),
    ]
    now = brevo.now
    assert people(ctx) == [
        Person("ana@example.com", brevo.users["ana@example.com"], "brevo", now),
        Person("bo@example.com", BO_ID, "rules", now),
        Person("cy@example.com", None, "brevo", now),
    ]

    assert learn_people(ctx, brevo) == 0  # all known: nothing asked
    brevo.add(1, owner="cy@example.com")
    brevo.tick(DAY)  # someone Brevo had no deal of is asked again after a day
    assert learn_people(ctx, brevo) == 1
    assert brevo.calls[-1].owner == "cy@example.com"
    assert brevo.requests.by_endpoint == {LIST: 3}
    with ctx.uow() as uow:
        assert uow.people.by_user_id([cy, BO_ID, "unknown"]) == {
            cy: "cy@example.com",
            BO_ID: "bo@example.com",
        }


def test_named_people_are_asked_about_when_given(ctx: ServiceContext, brevo: FakeBrevo) -> None:
    brevo.add(1, owner="dan@example.com")
    assert learn_people(ctx, brevo, [" DAN@example.com"]) == 1
    assert brevo.calls == [ListCall(None, 0, 1, "dan@example.com")]
    with ctx.uow() as uow:
        dan = uow.people.get("Dan@Example.com")
    assert dan is not None and dan.user_id == brevo.users["dan@example.com"]


def test_a_pull_learns_the_people_of_the_rules_and_reports_name_owners(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    brevo.add(2)
    report = pull(ctx)
    assert report.people_learned == 2
    assert report.requests[LIST] == 2 + 2  # the read (short page, then empty) and two people
    with ctx.uow() as uow:
        rows = uow.queries.find_deals(DealQuery())
    assert {r["owner_email"] for r in rows} == {"ana@example.com"}
    again = pull(ctx)
    assert again.people_learned == 0  # known now
    assert again.requests == {LIST: 2}  # only the read: 2 deals in the overlap, the empty page


def test_rules_without_people_ask_nothing(mirror: MemoryMirror, brevo: FakeBrevo) -> None:
    ctx = memory_context(mirror, brevo)
    assert learn_people(ctx, brevo) == 0 and brevo.requests.total == 0
    assert people(ctx) == []
