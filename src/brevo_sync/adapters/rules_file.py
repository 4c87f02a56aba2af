"""Read a rules file (YAML) and validate it, every problem with its line.

The domain validates plain data and names locations as paths (`pipelines[1].stages[0]`); this
adapter keeps PyYAML's node tree so it can add the line each path starts on. It also reports
what PyYAML itself lets pass: a key written twice in one mapping (PyYAML keeps the last one
silently, which would make a rule vanish without a word).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from brevo_sync.config import RULES_ENV
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.domain.rules.validation import Problem, ValidationReport, validate_rules
from brevo_sync.errors import ConfigError


@dataclass(frozen=True, slots=True)
class RulesSource:
    """A validated rules file: its name for messages, its node tree for line lookups."""

    name: str
    report: ValidationReport
    root: yaml.Node | None = None

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        return line_of(self.root, path) if self.root is not None else None

    def locate(self, problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
        """The same problems with their lines filled in where the path is in the file."""
        return tuple(p if p.line else replace(p, line=self.line_of(p.path)) for p in problems)


def _packaged() -> Any:
    return resources.files("brevo_sync") / "defaults" / "rules.yaml"


def packaged_rules_name() -> str:
    """Where the packaged rules are, for messages (a path in a normal install)."""
    return str(_packaged())


def default_rules_text() -> str:
    text: str = _packaged().read_text(encoding="utf-8")
    return text


def parse_rules_text(text: str, name: str) -> RulesSource:
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = f"YAML syntax error: {exc.problem or exc.context}"
        return RulesSource(name, ValidationReport(None, (Problem((), message, line=line),)))
    except yaml.YAMLError as exc:
        return RulesSource(name, ValidationReport(None, (Problem((), f"YAML error: {exc}"),)))
    if data is None:
        return RulesSource(name, ValidationReport(None, (Problem((), "the rules file is empty"),)))
    duplicates = tuple(_duplicate_keys(root, ()))
    report = validate_rules(data)
    source = RulesSource(name, report, root)
    problems = source.locate(duplicates + report.problems)
    config = report.config if not duplicates else None
    return RulesSource(name, ValidationReport(config, problems), root)


def read_rules_file(path: Path) -> RulesSource:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return RulesSource(
            str(path), ValidationReport(None, (Problem((), f"cannot read: {reason}"),))
        )
    except UnicodeDecodeError:
        problem = Problem((), "cannot read: not UTF-8 text")
        return RulesSource(str(path), ValidationReport(None, (problem,)))
    return parse_rules_text(text, str(path))


def rules_path(explicit: Path | None = None) -> Path | None:
    """The rules file to use: the one given, else $BREVO_SYNC_RULES, else None (packaged)."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(RULES_ENV, "").strip()
    return Path(from_env) if from_env else None


def read_rules(path: Path | None = None) -> RulesSource:
    """The given file, $BREVO_SYNC_RULES, or the packaged default, validated."""
    chosen = rules_path(path)
    if chosen is None:
        return parse_rules_text(default_rules_text(), packaged_rules_name())
    return read_rules_file(chosen)


def load_rules(path: Path | None = None) -> RulesConfig:
    """The validated rules, or ConfigError with the first problem (`rules check` lists all)."""
    source = read_rules(path)
    if source.report.config is None or source.report.errors:
        first = source.report.errors[0]
        where = f"{source.name}:{first.line}" if first.line else source.name
        more = len(source.report.errors) - 1
        tail = f" (and {more} more: run `brevo-sync rules check`)" if more else ""
        raise ConfigError(f"{where}: {first.location}: {first.message}{tail}")
    return source.report.config


def load_default_rules() -> RulesConfig:
    """The packaged default rules (config/rules.yaml)."""
    source = parse_rules_text(default_rules_text(), packaged_rules_name())
    if source.report.config is None or source.report.errors:
        raise ConfigError(f"the packaged rules are invalid: {source.report.errors[0].message}")
    return source.report.config


def line_of(root: yaml.Node, path: tuple[str | int, ...]) -> int:
    """The 1-based line where `path` starts; the deepest existing node's when it is missing."""
    node = root
    line = root.start_mark.line
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        key_node, node = child
        line = (key_node or node).start_mark.line
    return line + 1


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return None, item
    return None


def _duplicate_keys(node: Any, path: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            if name in seen and name != "<<":
                line = key.start_mark.line + 1
                problems.append(
                    Problem((*path, name), "key written twice in one mapping", line=line)
                )
            seen.add(name)
            problems.extend(_duplicate_keys(value, (*path, name)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems.extend(_duplicate_keys(item, (*path, index)))
    return problems
