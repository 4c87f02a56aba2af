"""Configured stage names onto Brevo stage ids: by name (case- and space-insensitive) or by an
explicit id; whatever cannot be mapped is reported, not guessed."""

from __future__ import annotations

from brevo_sync.adapters.rules_file import parse_rules_text
from brevo_sync.domain.deal import Pipeline, Stage
from brevo_sync.domain.rules import Rulebook, RulesConfig, map_stages

from .test_rules_file import MINIMAL


def rules(text: str = MINIMAL) -> RulesConfig:
    config = parse_rules_text(text, "rules.yaml").report.config
    assert config is not None
    return config


def pipeline(pid: str, name: str, *stage_names: str) -> Pipeline:
    return Pipeline(pid, name, tuple(Stage(f"{pid}-{i}", n, i) for i, n in enumerate(stage_names)))


def test_names_match_ignoring_case_and_spaces() -> None:
    remote = pipeline("p9", " SALES ", "lead", "De mo", "WON", "lost")
    mapping = map_stages(rules(), [remote])
    assert mapping.problems == ()
    found = mapping.find("p9", "p9-1")
    assert found is not None and found.stage.name == "Demo"
    assert mapping.named("sales", "demo") == found


def test_explicit_ids_win_over_names() -> None:
    text = MINIMAL.replace("- name: Sales", "- name: Sales\n    id: p9\n    stage_ids: {Demo: x7}")
    remote = Pipeline("p9", "Vertrieb", (Stage("p9-0", "Lead", 0), Stage("x7", "Vorführung", 1),
                                         Stage("w", "Won", 2), Stage("l", "Lost", 3)))  # fmt: skip
    mapping = map_stages(rules(text), [remote])
    assert mapping.problems == ()
    demo = mapping.find("p9", "x7")
    assert demo is not None and demo.stage.name == "Demo"


def test_unmapped_and_ambiguous_stages_are_reported() -> None:
    remote = pipeline("p1", "Sales", "Lead", "lead ", "Won", "Closed Lost", "Extra")
    mapping = map_stages(rules(), [remote])
    messages = [(p.location, p.severity, p.message) for p in mapping.problems]
    assert messages[0][:2] == ("pipelines[0].stages[0]", "error")
    assert "2 Brevo stages are named 'Lead'" in messages[0][2]
    assert messages[1][:2] == ("pipelines[0].stages[1]", "error")
    assert "stage 'Demo' is not in Brevo pipeline 'Sales'" in messages[1][2]
    assert messages[2][:2] == ("pipelines[0].stages[3]", "error")  # Lost != Closed Lost
    unmapped = [m for m in messages if m[1] == "warning"]
    assert any("'Extra'" in m[2] for m in unmapped)
    assert mapping.find("p1", "p1-0") is None  # nothing guessed


def test_a_missing_pipeline_is_reported_and_extra_ones_warned() -> None:
    mapping = map_stages(rules(), [pipeline("p2", "Other", "Won", "Lost")])
    assert [(p.location, p.severity) for p in mapping.problems] == [
        ("pipelines[0].name", "error"),
        ("mirror.Other", "warning"),
    ]
    assert "pipeline 'Sales' is not in Brevo (Brevo has: Other)" in mapping.problems[0].message


def test_an_explicit_id_missing_in_brevo_is_reported() -> None:
    text = MINIMAL.replace("{name: Demo, probability: 40}", "{name: Demo, probability: 40, id: zz}")
    mapping = map_stages(rules(text), [pipeline("p1", "Sales", "Lead", "Demo", "Won", "Lost")])
    assert [p.location for p in mapping.problems if p.severity == "error"] == [
        "pipelines[0].stages[1]"
    ]
    assert "stage id 'zz'" in mapping.problems[0].message


def test_rulebook_locates_deals_by_brevo_ids(config: RulesConfig) -> None:
    remote = [
        pipeline("ent", "Enterprise Sales", "Lead", "Qualified", "Demo", "Proposal",
                 "Negotiation", "Closed Won", "Closed Lost"),
    ]  # fmt: skip
    book = Rulebook.build(config, remote)
    assert book.stages.named("enterprise sales", "closed won") is not None
    assert [p.location for p in book.stages.problems if p.severity == "error"] == [
        "pipelines[1].name", "pipelines[2].name", "pipelines[3].name",
    ]  # fmt: skip
