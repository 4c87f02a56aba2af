"""Operators' names to Brevo ids: exact ids, names ignoring case, spaces and underscores,
close matches when nothing matches, and never an empty filter after a typo."""

from __future__ import annotations

import pytest

from brevo_sync.domain.deal import Pipeline, Stage
from brevo_sync.errors import UsageError
from brevo_sync.service.alerts import expand_rules
from brevo_sync.service.deals import DealFilter, check_sort
from brevo_sync.service.resolve import (
    close_matches,
    match_pipelines,
    name_key,
    resolve_placement,
)


def _pipeline(pid: str, name: str, *stages: tuple[str, str]) -> Pipeline:
    return Pipeline(pid, name, tuple(Stage(sid, sname, i) for i, (sid, sname) in enumerate(stages)))


# Stage ids repeat across pipelines, as Brevo allows: `won` is in both Tajo pipelines.
ENTERPRISE = _pipeline("p-ent", "Enterprise Sales", ("lead", "Lead"), ("won", "Closed Won"))
UPSELL = _pipeline("p-up", "E-Commerce Upsell", ("lead2", "Lead"), ("won", "Closed Won"))
OPPORTUNITY = _pipeline(
    "p-opp", "Opportunity Pipeline", ("new", "NEW_LEAD"), ("prop", "PROPOSAL"), ("cw", "CLOSED_WON")
)
PIPELINES = [ENTERPRISE, UPSELL, OPPORTUNITY]


def _message(excinfo: pytest.ExceptionInfo[UsageError]) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    return text


def test_name_key_ignores_case_spaces_and_underscores() -> None:
    assert name_key("closed won") == name_key("CLOSED_WON") == name_key(" Closed  Won ")
    assert name_key("Closed Won") != name_key("Closed Lost")


def test_a_stage_name_finds_it_in_every_pipeline_as_pipeline_stage_pairs() -> None:
    placement = resolve_placement(PIPELINES, None, "closed won")
    assert placement.stage_keys == frozenset({("p-ent", "won"), ("p-up", "won"), ("p-opp", "cw")})
    assert placement.pipeline_ids is None


def test_the_pipeline_narrows_a_stage_id_shared_by_several() -> None:
    placement = resolve_placement(PIPELINES, "e-commerce upsell", "won")
    assert placement.stage_keys == frozenset({("p-up", "won")})
    assert placement.pipeline_ids == frozenset({"p-up"})


def test_ids_match_exactly_before_names() -> None:
    assert match_pipelines(PIPELINES, "p-opp") == [OPPORTUNITY]
    assert resolve_placement(PIPELINES, None, "lead2").stage_keys == frozenset({("p-up", "lead2")})


def test_a_typo_is_an_error_with_the_close_matches() -> None:
    with pytest.raises(UsageError) as excinfo:
        resolve_placement(PIPELINES, None, "clsoed won")
    message = _message(excinfo)
    assert message.startswith("--stage 'clsoed won' matches no stage")
    assert "'Closed Won'" in message and "'CLOSED_WON'" in message


def test_nothing_close_lists_every_name() -> None:
    with pytest.raises(UsageError) as excinfo:
        resolve_placement(PIPELINES, "zzz", None)
    assert "Enterprise Sales, E-Commerce Upsell, Opportunity Pipeline" in _message(excinfo)


def test_a_stage_of_another_pipeline_says_where_it_is() -> None:
    with pytest.raises(UsageError) as excinfo:
        resolve_placement(PIPELINES, "Enterprise Sales", "proposal")
    message = _message(excinfo)
    assert "is in 'Opportunity Pipeline'" in message and "its stages: Lead, Closed Won" in message


def test_an_empty_mirror_says_to_pull() -> None:
    assert resolve_placement([], None, None).stage_keys is None
    with pytest.raises(UsageError, match="brevo-sync pull"):
        resolve_placement([], None, "Lead")


def test_close_matches_give_each_display_name_once() -> None:
    assert close_matches("closed wn", ["Closed Won", "Closed Won", "CLOSED_WON", "Lead"]) == [
        "Closed Won",
        "CLOSED_WON",
    ]


def test_sort_fields_are_checked() -> None:
    assert check_sort("-amount") == "-amount"
    with pytest.raises(UsageError, match="use one of id, name, amount"):
        check_sort("colour")


def test_amount_options_name_what_compares_amounts() -> None:
    assert DealFilter().amount_options == []
    assert DealFilter(min_amount=1, sort="-amount").amount_options == [
        "--min-amount",
        "--sort -amount",
    ]


def test_rule_filters_take_kinds_keys_and_stage_names() -> None:
    assert expand_rules(["inactivity", "inactivity:07"], PIPELINES) == (
        "inactivity",
        "inactivity:7",
    )
    assert expand_rules(["stage_max_days:Proposal"], PIPELINES) == ("stage_max_days:prop",)
    assert expand_rules(["stage_follow_up:won"], PIPELINES) == ("stage_follow_up:won",)
    with pytest.raises(UsageError, match="did you mean 'inactivity'"):
        expand_rules(["inactivty"], PIPELINES)
    with pytest.raises(UsageError, match="matches no stage"):
        expand_rules(["stage_max_days:nowhere"], PIPELINES)
    with pytest.raises(UsageError, match="inactivity:<days>"):
        expand_rules(["inactivity:often"], PIPELINES)
