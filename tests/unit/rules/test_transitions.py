"""The transition guard: seed 002's matrix, forbidden moves, conditions, required fields, lost
reasons and roles; a refused move gives every reason."""

from __future__ import annotations

import pytest

from brevo_sync.domain.rules import (
    Actor,
    Directory,
    MoveDecision,
    MoveRequest,
    Rulebook,
    check_move,
)

from .conftest import ENTERPRISE, MANAGER, REP, deal

ALLOWED_002 = [
    ("NEW_LEAD", "QUALIFICATION"), ("NEW_LEAD", "CLOSED_LOST"),
    ("QUALIFICATION", "NEEDS_ANALYSIS"), ("QUALIFICATION", "CLOSED_LOST"),
    ("NEEDS_ANALYSIS", "PROPOSAL"), ("NEEDS_ANALYSIS", "QUALIFICATION"),
    ("PROPOSAL", "NEGOTIATION"), ("PROPOSAL", "CLOSED_WON"), ("PROPOSAL", "CLOSED_LOST"),
    ("NEGOTIATION", "CLOSED_WON"), ("NEGOTIATION", "CLOSED_LOST"), ("NEGOTIATION", "PROPOSAL"),
]  # fmt: skip


def reasons(book: Rulebook, request: MoveRequest, directory: Directory | None = None) -> list[str]:
    return list(check_move(book, request, directory).reasons)


@pytest.mark.parametrize(("src", "dst"), ALLOWED_002)
def test_every_move_of_the_seed_002_matrix_is_allowed_when_its_conditions_hold(
    book: Rulebook, src: str, dst: str
) -> None:
    request = MoveRequest(
        deal(src, complete=True), dst, REP, reason="new offer", lost_reason="price"
    )
    decision = check_move(book, request)
    assert decision.allowed, decision.reasons


@pytest.mark.parametrize(
    ("src", "dst", "expected"),
    [
        ("NEW_LEAD", "NEEDS_ANALYSIS", ["NEW_LEAD -> NEEDS_ANALYSIS is not an allowed move"]),
        ("NEW_LEAD", "PROPOSAL", ["NEW_LEAD -> PROPOSAL jumps over 2 stages (QUALIFICATION, "
                                  "NEEDS_ANALYSIS)", "NEW_LEAD -> PROPOSAL is not an allowed"]),
        ("NEW_LEAD", "CLOSED_WON", ["NEW_LEAD -> CLOSED_WON is not an allowed move"]),
        ("CLOSED_WON", "NEGOTIATION", ["CLOSED_WON is a closed stage: a deal never leaves it"]),
        ("CLOSED_LOST", "NEW_LEAD", ["CLOSED_LOST is a closed stage: a deal never leaves it"]),
        ("PROPOSAL", "PROPOSAL", ["the deal is already in PROPOSAL"]),
        ("PROPOSAL", "QUALIFICATION", ["PROPOSAL -> QUALIFICATION is not an allowed move"]),
    ],
)  # fmt: skip
def test_forbidden_moves_in_seed_002(
    book: Rulebook, src: str, dst: str, expected: list[str]
) -> None:
    found = reasons(book, MoveRequest(deal(src, complete=True), dst, REP, reason="x"))
    assert len(found) == len(expected)
    for text, wanted in zip(found, expected, strict=True):
        assert text.startswith(wanted), found


def test_the_matrix_names_where_a_deal_may_go(book: Rulebook) -> None:
    [text] = reasons(book, MoveRequest(deal("NEW_LEAD", complete=True), "NEGOTIATION", REP))[1:]
    assert text.endswith("(from NEW_LEAD a deal may go to: QUALIFICATION, CLOSED_LOST)")


def test_seed_000_pipelines_allow_any_move_but_the_forbidden_ones(book: Rulebook) -> None:
    ok = [("Lead", "Demo"), ("Lead", "Closed Won"), ("Negotiation", "Closed Lost"),
          ("Proposal", "Qualified"), ("Demo", "Lead")]  # fmt: skip
    for src, dst in ok:
        request = MoveRequest(deal(src, ENTERPRISE), dst, REP, lost_reason="budget cut")
        assert check_move(book, request).allowed, (src, dst)
    assert reasons(book, MoveRequest(deal("Lead", ENTERPRISE), "Proposal", REP)) == [
        "Lead -> Proposal jumps over 2 stages (Qualified, Demo); at most 1 may be skipped, "
        "except into a closed stage"
    ]
    assert reasons(book, MoveRequest(deal("Negotiation", ENTERPRISE), "Lead", REP))[0].startswith(
        "Negotiation -> Lead jumps over 3 stages"
    )


def test_a_refused_move_gives_every_reason(book: Rulebook, directory: Directory) -> None:
    bare = deal("QUALIFICATION", owner="carol").__class__(
        id="d2", pipeline_id="Opportunity Pipeline", stage_id="QUALIFICATION", owner="carol"
    )
    found = reasons(book, MoveRequest(bare, "NEEDS_ANALYSIS", REP), directory)
    assert found == [
        "alice (sales_rep) may change the stage only of deals they own; this deal belongs to carol",
        "QUALIFICATION -> NEEDS_ANALYSIS needs customer assigned (fill in companies or customer)",
        "QUALIFICATION -> NEEDS_ANALYSIS needs budget clarified (fill in budget_range)",
        "QUALIFICATION requires decision maker identified (fill in decision_maker)",
        "QUALIFICATION requires need roughly captured (fill in need_summary)",
    ]


def test_required_fields_of_every_stage_passed_over(book: Rulebook) -> None:
    # Seed 000 pipelines have none; the seed 002 pipeline checks the stage being left.
    d = deal("NEEDS_ANALYSIS", complete=True, requirements="", project_timeline=None)
    found = reasons(book, MoveRequest(d, "PROPOSAL", REP))
    assert found == [
        "NEEDS_ANALYSIS -> PROPOSAL needs requirements documented (fill in requirements)",
        "NEEDS_ANALYSIS requires project timeline (fill in project_timeline)",
    ]


def test_backward_moves_need_a_reason_but_no_fields(book: Rulebook) -> None:
    d = deal("NEEDS_ANALYSIS")
    assert reasons(book, MoveRequest(d, "QUALIFICATION", REP)) == [
        "NEEDS_ANALYSIS -> QUALIFICATION needs which information is missing (move reason) "
        "(fill in a reason given with the move)"
    ]
    assert check_move(book, MoveRequest(d, "QUALIFICATION", REP, reason="no budget")).allowed


def test_recommended_fields_warn_but_do_not_refuse(book: Rulebook) -> None:
    d = deal("NEEDS_ANALYSIS", complete=True)
    decision = check_move(book, MoveRequest(d, "PROPOSAL", REP))
    assert decision.allowed
    assert decision.warnings == (
        "NEEDS_ANALYSIS recommends competition known (fill in competition)",
    )


@pytest.mark.parametrize("pipeline_stage", [("NEW_LEAD", None), ("Demo", ENTERPRISE)])
def test_every_move_to_lost_needs_a_lost_reason(
    book: Rulebook, pipeline_stage: tuple[str, str | None]
) -> None:
    stage, pipeline = pipeline_stage
    lost = "CLOSED_LOST" if pipeline is None else "Closed Lost"
    d = deal(stage) if pipeline is None else deal(stage, pipeline)
    assert reasons(book, MoveRequest(d, lost, REP)) == [f"a move to {lost} needs a lost reason"]
    assert check_move(book, MoveRequest(d, lost, REP, lost_reason="price")).allowed
    stored = (
        deal(stage, lost_reason="went with a rival")
        if pipeline is None
        else deal(stage, pipeline, lost_reason="went with a rival")
    )
    assert check_move(book, MoveRequest(stored, lost, REP)).allowed


class TestRoles:
    """Seed 002 "Wer darf Stage ändern?"."""

    def move(
        self,
        book: Rulebook,
        actor: Actor,
        owner: str,
        directory: Directory,
        reason: str | None = None,
    ) -> MoveDecision:
        d = deal("NEW_LEAD", owner=owner, complete=True)
        return check_move(book, MoveRequest(d, "QUALIFICATION", actor, reason=reason), directory)

    def test_sales_rep_moves_own_deals_only(self, book: Rulebook, directory: Directory) -> None:
        assert self.move(book, REP, "alice", directory).allowed
        assert not self.move(book, REP, "bob", directory).allowed  # a team mate's

    def test_team_lead_moves_team_deals_with_a_reason_and_a_notice(
        self, book: Rulebook, directory: Directory
    ) -> None:
        lead = Actor("lead", "team_lead")
        assert self.move(book, lead, "lead", directory).notify_original_seller is False
        refused = self.move(book, lead, "bob", directory)
        assert refused.reasons == ("lead (team_lead) must give a reason to move a deal of bob",)
        allowed = self.move(book, lead, "bob", directory, reason="bob is ill")
        assert allowed.allowed and allowed.notify_original_seller
        assert not self.move(book, lead, "carol", directory, reason="x").allowed  # other team

    def test_managers_and_admins_move_all(self, book: Rulebook, directory: Directory) -> None:
        assert self.move(book, MANAGER, "carol", directory).allowed
        assert self.move(book, Actor("root", "admin"), "carol", directory).allowed

    def test_viewer_and_unknown_roles_move_nothing(
        self, book: Rulebook, directory: Directory
    ) -> None:
        viewer = self.move(book, Actor("vic", "viewer"), "vic", directory)
        assert viewer.reasons == ("the role viewer may not change the stage of any deal",)
        ghost = self.move(book, Actor("gus", "intern"), "gus", directory)
        assert ghost.reasons == ("gus has the role 'intern', which is not configured",)


def test_unknown_stages_are_refused_with_a_reason(book: Rulebook) -> None:
    assert reasons(book, MoveRequest(deal("NEW_LEAD"), "WON_ISH", REP)) == [
        "'WON_ISH' is not a stage of the deal's pipeline 'Opportunity Pipeline'"
    ]
    lost = deal("SOMEWHERE")
    assert reasons(book, MoveRequest(lost, "NEW_LEAD", REP))[0].startswith(
        "deal d1 is in stage 'SOMEWHERE' of pipeline 'Opportunity Pipeline', which the rules"
    )
