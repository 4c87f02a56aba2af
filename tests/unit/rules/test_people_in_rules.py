"""People are named by e-mail in the rules, by user id on Brevo's deals: the rules see one
person either way, and the rules file's `people:` map is checked."""

from __future__ import annotations

from brevo_sync.domain.rules import Actor, Directory, RulesConfig, can_see, move_permission
from brevo_sync.domain.rules.validation import validate_rules

from .conftest import deal

ANA_ID, BEN_ID = "a" * 24, "b" * 24


def test_an_owner_id_is_the_person_the_rules_name_by_email(config: RulesConfig) -> None:
    rules = config.model_copy(
        update={
            "teams": {"north": ("Ana@example.com", "ben@example.com")},
            "people": {"ana@example.com": ANA_ID},
        }
    )
    directory = Directory.from_config(rules, {BEN_ID: "ben@example.com"})
    ana = Actor("ana@example.com", "sales_rep")
    assert move_permission(rules, ana, deal(owner=ANA_ID), directory).allowed  # her own deal
    assert can_see(rules, ana, deal(owner=BEN_ID), directory)  # her team's, by user id
    assert not move_permission(rules, ana, deal(owner=BEN_ID), directory).allowed
    assert not can_see(rules, ana, deal(owner="c" * 24), directory)  # nobody she knows


def test_the_people_map_is_keyed_by_email_with_ids(config: RulesConfig) -> None:
    data = config.model_dump(by_alias=True, mode="json")
    data["people"] = {"ana": ANA_ID, "ben@example.com": " "}
    found = {(p.location, p.message) for p in validate_rules(data).problems}
    assert ("people.ana", "people are keyed by e-mail address") in found
    assert ("people.ben@example.com", "an empty Brevo user id") in found
