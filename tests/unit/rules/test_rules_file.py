"""The rules file: the packaged default is valid, and every kind of bad file is reported with
its location (path and line), all problems at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from brevo_sync.adapters.rules_file import (
    load_rules,
    parse_rules_text,
    read_rules,
    read_rules_file,
)
from brevo_sync.domain.rules import RulesConfig
from brevo_sync.errors import ConfigError

MINIMAL = """\
pipelines:
  - name: Sales
    stages:
      - {name: Lead, probability: 10}
      - {name: Demo, probability: 40}
      - {name: Won, kind: won}
      - {name: Lost, kind: lost}
"""


def errors(text: str) -> list[tuple[int | None, str, str]]:
    source = parse_rules_text(text, "rules.yaml")
    return [(p.line, p.location, p.message) for p in source.report.errors]


def test_the_packaged_rules_hold_both_seed_pipelines(config: RulesConfig) -> None:
    names = [p.name for p in config.pipelines]
    assert names == ["Enterprise Sales", "E-Commerce Upsell", "Renewals", "Opportunity Pipeline"]
    tajo = config.pipelines[0]
    # Seed 000: Lead 10, Qualified 25, Demo 40, Proposal 60, Negotiation 80, Won 100, Lost 0.
    assert [(s.name, s.default_probability) for s in tajo.stages] == [
        ("Lead", 10), ("Qualified", 25), ("Demo", 40), ("Proposal", 60),
        ("Negotiation", 80), ("Closed Won", 100), ("Closed Lost", 0),
    ]  # fmt: skip
    assert config.pipelines[1].stages == tajo.stages == config.pipelines[2].stages
    seed2 = config.pipelines[3]
    assert [s.name for s in seed2.stages] == [
        "NEW_LEAD", "QUALIFICATION", "NEEDS_ANALYSIS", "PROPOSAL", "NEGOTIATION",
        "CLOSED_WON", "CLOSED_LOST",
    ]  # fmt: skip
    assert seed2.transitions is not None and len(seed2.transitions) == 12
    assert [(s.name, s.max_days) for s in seed2.open_stages] == [
        ("NEW_LEAD", 3), ("QUALIFICATION", 7), ("NEEDS_ANALYSIS", 14), ("PROPOSAL", 21),
        ("NEGOTIATION", 30),
    ]  # fmt: skip


def test_the_packaged_file_checks_clean_apart_from_seed_002s_open_probabilities() -> None:
    source = read_rules()
    assert source.report.ok
    assert [p.severity for p in source.report.problems] == ["warning"]
    assert "NEW_LEAD" in source.report.problems[0].message


def test_config_rules_yaml_is_the_packaged_file() -> None:
    root = Path(__file__).resolve().parents[3]
    link = root / "config" / "rules.yaml"
    packaged = root / "src" / "brevo_sync" / "defaults" / "rules.yaml"
    assert link.resolve() == packaged.resolve()


def test_a_minimal_file_is_valid() -> None:
    assert errors(MINIMAL) == []


def test_unknown_stage_in_a_transition_is_located() -> None:
    text = MINIMAL + "    transitions:\n      - {from: Lead, to: Demoo}\n"
    [(line, where, message)] = errors(text)
    assert (line, where) == (9, "pipelines[0].transitions[0].to")
    assert "unknown stage 'Demoo'" in message and "Lead, Demo, Won, Lost" in message


def test_probability_outside_0_to_100_is_located() -> None:
    [(line, where, message)] = errors(MINIMAL.replace("probability: 40", "probability: 120"))
    assert (line, where) == (5, "pipelines[0].stages[1].probability")
    assert "less than or equal to 100" in message


def test_a_pipeline_without_won_is_reported() -> None:
    [(line, where, message)] = errors(MINIMAL.replace("      - {name: Won, kind: won}\n", ""))
    assert (line, where) == (3, "pipelines[0].stages")
    assert "no won stage" in message


def test_won_and_lost_probabilities_are_fixed() -> None:
    text = MINIMAL.replace("kind: won}", "kind: won, probability: 90}")
    [(line, where, message)] = errors(text)
    assert (line, where) == (6, "pipelines[0].stages[2].probability")
    assert "100" in message


def test_more_than_ten_pipelines_is_reported() -> None:
    body = "".join(
        f"  - name: P{i}\n    stages:\n      - {{name: A, probability: 5}}\n"
        "      - {name: W, kind: won}\n      - {name: L, kind: lost}\n"
        for i in range(11)
    )
    [(line, where, message)] = errors("pipelines:\n" + body)
    assert (line, where) == (1, "pipelines")
    assert "11 pipelines" in message and "at most 10" in message


def test_yaml_syntax_error_gives_its_line() -> None:
    [(line, where, message)] = errors(MINIMAL + "  - name: [unclosed\n")
    assert line == 9 and where == "(top level)"
    assert message.startswith("YAML syntax error")


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = MINIMAL.replace("probability: 40", "probability: 120").replace(
        "kind: lost", "kind: lsot"
    )
    text += "    colour: blue\n"
    found = errors(text)
    assert [w for _, w, _ in found] == [
        "pipelines[0].stages[1].probability",
        "pipelines[0].stages[3].kind",
        "pipelines[0].colour",
    ]
    assert "unknown key" in found[2][2]


def test_forbidden_moves_cannot_be_configured() -> None:
    text = MINIMAL.replace(
        "{name: Demo, probability: 40}",
        "{name: Demo, probability: 40}\n"
        "      - {name: Trial, probability: 50}\n      - {name: Deal, probability: 70}",
    )
    text += "    transitions:\n      - {from: Won, to: Lead}\n      - {from: Lead, to: Deal}\n"
    found = errors(text)
    assert [w for _, w, _ in found] == [
        "pipelines[0].transitions[0].from",
        "pipelines[0].transitions[1].to",
    ]
    assert "closed stage" in found[0][2]
    assert "skips 2 stages" in found[1][2]


def test_commission_over_100_percent_is_reported() -> None:
    text = MINIMAL + (
        "    commission:\n      shares:\n"
        "        - {from: Lead, to: Demo, percent: 60}\n"
        "        - {from: Demo, to: Won, percent: 50}\n"
    )
    [(_, where, message)] = errors(text)
    assert where == "pipelines[0].commission.shares" and "110" in message


def test_a_key_written_twice_is_reported_with_its_line() -> None:
    [(line, where, message)] = errors(MINIMAL + "default_currency: EUR\ndefault_currency: USD\n")
    assert (line, where) == (9, "default_currency") and "twice" in message


def test_unknown_references_in_commerce_and_loyalty() -> None:
    text = MINIMAL + (
        "commerce:\n  renewal:\n    days_before_expiry: 90\n    pipeline: Renewals\n"
        "    stage: Qualified\n    probability: 70\n    loyalty_bonus_percent: 5\n"
        "    contract_length_months: 12\n    name: x\n"
        "loyalty:\n  pipelines: [Sales]\n  milestones: [{stage: Demoo, points: 100}]\n"
    )
    found = errors(text)
    assert [w for _, w, _ in found] == ["commerce.renewal.stage", "loyalty.milestones[0].stage"]
    assert "unknown pipeline 'Renewals'" in found[0][2]


def test_not_a_mapping_and_empty_files() -> None:
    assert errors("- a\n- b\n")[0][2] == "the rules file must be a mapping"
    assert errors("")[0][2] == "the rules file is empty"


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    source = read_rules_file(tmp_path / "nope.yaml")
    assert source.report.config is None
    assert "cannot read" in source.report.errors[0].message


def test_load_rules_raises_config_error_naming_the_first_problem(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(MINIMAL.replace("probability: 40", "probability: 120"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rules.yaml:5: pipelines\[0\].stages\[1\].probability"):
        load_rules(path)


def test_brevo_sync_rules_env_chooses_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setenv("BREVO_SYNC_RULES", str(path))
    assert [p.name for p in load_rules().pipelines] == ["Sales"]
