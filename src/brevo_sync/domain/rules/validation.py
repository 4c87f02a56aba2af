"""Validate a parsed rules file and say every problem with its location.

`validate_rules(data)` takes what YAML produced (plain dicts and lists), runs the pydantic
models, and, if they accept the shape, the checks that span sections. Locations are dotted
paths with indexes (`pipelines[1].transitions[0].to`); the file adapter adds line numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from brevo_sync.domain.rules.config import (
    MAX_PIPELINES,
    PipelineConfig,
    RulesConfig,
    StageConfig,
    normalise,
)
from brevo_sync.domain.rules.template import PLACEHOLDERS, placeholders_in

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    path: Path
    message: str
    severity: Literal["error", "warning"] = "error"
    line: int | None = None  # 1-based, set by the file adapter when it knows

    @property
    def location(self) -> str:
        return format_path(self.path)


@dataclass(frozen=True, slots=True)
class ValidationReport:
    config: RulesConfig | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        return self.config is not None and not self.errors


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


def validate_rules(data: Any) -> ValidationReport:
    if not isinstance(data, dict):
        return ValidationReport(None, (Problem((), "the rules file must be a mapping"),))
    try:
        config = RulesConfig.model_validate(data)
    except ValidationError as exc:
        return ValidationReport(None, tuple(_from_pydantic(exc, data)))
    return ValidationReport(config, tuple(check_config(config)))


def _from_pydantic(exc: ValidationError, data: Any) -> Iterator[Problem]:
    for err in exc.errors():
        path = _real_path(err["loc"], data)
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key (not part of the rules file)"
        yield Problem(path, message)


def _real_path(loc: Sequence[str | int], data: Any) -> Path:
    """Drop the segments pydantic adds for unions (`task`, `function-before[...]`)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if _has(node, part):
            node = node[part]
        elif node is None or (isinstance(node, dict) and isinstance(part, str) and "[" not in part):
            node = None  # a missing key: keep it in the path, it is where the problem is
        else:
            continue
        path.append(part)
    return tuple(path)


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def check_config(config: RulesConfig) -> Iterator[Problem]:
    if len(config.pipelines) > MAX_PIPELINES:
        yield Problem(
            ("pipelines",),
            f"{len(config.pipelines)} pipelines: Brevo allows at most {MAX_PIPELINES}",
        )
    seen: dict[str, int] = {}
    for index, pipeline in enumerate(config.pipelines):
        at: Path = ("pipelines", index)
        key = normalise(pipeline.name)
        if key in seen:
            yield Problem(
                (*at, "name"), f"pipeline {pipeline.name!r} is already pipelines[{seen[key]}]"
            )
        seen.setdefault(key, index)
        yield from check_pipeline(pipeline, at)
    yield from _check_references(config)
    yield from _check_time_rules(config)


def check_pipeline(pipeline: PipelineConfig, at: Path) -> Iterator[Problem]:
    names: dict[str, int] = {}
    for i, stage in enumerate(pipeline.stages):
        key = normalise(stage.name)
        if key in names:
            yield Problem((*at, "stages", i, "name"), f"stage {stage.name!r} appears twice")
        names.setdefault(key, i)
        yield from _check_stage_timing(stage, (*at, "stages", i))
        fixed = {"won": 100, "lost": 0}.get(stage.kind)
        if fixed is not None and stage.probability not in (None, fixed):
            yield Problem(
                (*at, "stages", i, "probability"),
                f"a {stage.kind} stage has probability {fixed} (fixed by Brevo), "
                f"not {stage.probability}",
            )
    unset = [s.name for s in pipeline.open_stages if s.probability is None]
    if unset:
        yield Problem(
            (*at, "stages"),
            f"no default probability for {', '.join(unset)}: their deals have none unless they "
            "carry their own",
            "warning",
        )
    for kind in ("won", "lost"):
        count = sum(1 for s in pipeline.stages if s.kind == kind)
        if count != 1:
            what = "no" if count == 0 else f"{count}"
            yield Problem(
                (*at, "stages"),
                f"pipeline {pipeline.name!r} has {what} {kind} stage(s): it needs exactly one "
                f"(kind: {kind})",
            )
    for name in pipeline.stage_ids:
        if pipeline.stage(name) is None:
            yield Problem((*at, "stage_ids", name), f"unknown stage {name!r}{_known(pipeline)}")
    for i, transition in enumerate(pipeline.transitions or ()):
        yield from _check_transition(
            pipeline, (*at, "transitions", i), transition.from_, transition.to
        )
    if pipeline.commission:
        total = sum(s.percent for s in pipeline.commission.shares)
        if total > 100:
            yield Problem((*at, "commission", "shares"), f"shares add up to {total}%, over 100%")
        for i, share in enumerate(pipeline.commission.shares):
            for field, name in (("from", share.from_), ("to", share.to)):
                if pipeline.stage(name) is None:
                    yield Problem(
                        (*at, "commission", "shares", i, field),
                        f"unknown stage {name!r}{_known(pipeline)}",
                    )


def _check_stage_timing(stage: StageConfig, at: Path) -> Iterator[Problem]:
    if stage.closed:
        for name in ("max_days", "follow_up_days", "escalation"):
            if getattr(stage, name) is not None:
                yield Problem((*at, name), f"{stage.name} is closed: time rules never apply to it")
    elif stage.escalation is not None and stage.max_days is None:
        yield Problem((*at, "escalation"), "an escalation needs max_days to say when it happens")
    elif stage.max_days is not None and stage.escalation is None:
        yield Problem(
            (*at, "max_days"), "no escalation given: an alert to the seller is assumed", "warning"
        )


def _check_transition(pipeline: PipelineConfig, at: Path, src: str, dst: str) -> Iterator[Problem]:
    a, b = pipeline.stage(src), pipeline.stage(dst)
    for field, name, stage in (("from", src, a), ("to", dst, b)):
        if stage is None:
            yield Problem((*at, field), f"unknown stage {name!r}{_known(pipeline)}")
    if a is None or b is None:
        return
    if a.closed:
        yield Problem((*at, "from"), f"{a.name} is a closed stage: no move may leave it")
    elif a is b:
        yield Problem((*at, "to"), "a transition to the same stage")
    elif not b.closed and pipeline.max_skipped_stages is not None:
        opens = pipeline.open_stages
        skipped = abs(opens.index(a) - opens.index(b)) - 1
        if skipped > pipeline.max_skipped_stages:
            yield Problem(
                (*at, "to"),
                f"{a.name} -> {b.name} skips {skipped} stages; at most "
                f"{pipeline.max_skipped_stages} may be skipped except into a closed stage",
            )


def _known(pipeline: PipelineConfig) -> str:
    return f" (known: {', '.join(s.name for s in pipeline.stages)})"


def _stage_ref(
    config: RulesConfig, at: Path, pipeline: str, stage: str | None
) -> Iterator[Problem]:
    found = config.pipeline(pipeline)
    if found is None:
        known = ", ".join(p.name for p in config.pipelines)
        yield Problem(at, f"unknown pipeline {pipeline!r} (known: {known})")
    elif stage is not None and found.stage(stage) is None:
        yield Problem(at, f"unknown stage {stage!r} in {found.name}{_known(found)}")


def _check_references(config: RulesConfig) -> Iterator[Problem]:
    order = config.commerce.order_deal
    if order:
        at: Path = ("commerce", "order_deal")
        yield from _stage_ref(config, (*at, "b2b_stage"), order.b2b_pipeline, order.b2b_stage)
        yield from _stage_ref(config, (*at, "other_stage"), order.other_pipeline, order.other_stage)
    renewal = config.commerce.renewal
    if renewal:
        yield from _stage_ref(
            config, ("commerce", "renewal", "stage"), renewal.pipeline, renewal.stage
        )
    loyalty = config.loyalty
    for i, name in enumerate(loyalty.pipelines):
        yield from _stage_ref(config, ("loyalty", "pipelines", i), name, None)
    for i, milestone in enumerate(loyalty.milestones):
        for name in loyalty.pipelines:
            yield from _stage_ref(
                config, ("loyalty", "milestones", i, "stage"), name, milestone.stage
            )
    for i, auto in enumerate(config.automations):
        at = ("automations", i)
        if auto.pipeline is not None:
            yield from _stage_ref(config, (*at, "from_stage"), auto.pipeline, auto.from_stage)
            yield from _stage_ref(config, (*at, "to_stage"), auto.pipeline, auto.to_stage)
        if auto.action.type == "create_deal":
            a = auto.action
            yield from _stage_ref(config, (*at, "action", "stage"), a.pipeline, a.stage)
            yield from _check_placeholders((*at, "action", "name"), a.name)
        for key, value in auto.action.attributes.items():
            if isinstance(value, str):
                yield from _check_placeholders((*at, "action", "attributes", key), value)
    for team, members in config.teams.items():
        if not members:
            yield Problem(("teams", team), "a team without members", "warning")
    for email, user_id in config.people.items():
        if "@" not in email:
            yield Problem(("people", email), "people are keyed by e-mail address")
        if not user_id.strip():
            yield Problem(("people", email), "an empty Brevo user id")
    for name in ("sales_rep", "team_lead", "sales_manager", "admin", "viewer"):
        if config.roles and name not in config.roles:
            yield Problem(("roles",), f"role {name!r} (seed 002) is not configured", "warning")


def _check_placeholders(at: Path, text: str) -> Iterator[Problem]:
    unknown = sorted(placeholders_in(text) - PLACEHOLDERS)
    if unknown:
        names = ", ".join("{" + u + "}" for u in unknown)
        yield Problem(at, f"unknown placeholder {names}: it is left as written", "warning")


def _check_time_rules(config: RulesConfig) -> Iterator[Problem]:
    steps = config.time_rules.inactivity
    days = [s.days for s in steps]
    if days != sorted(set(days)):
        yield Problem(
            ("time_rules", "inactivity"), "inactivity steps must have distinct days, ascending"
        )
    thresholds = [t.min_annual_spend for t in config.loyalty.tiers]
    plain = [t for t in thresholds if not isinstance(t, dict)]
    if plain != sorted(plain):
        yield Problem(("loyalty", "tiers"), "tiers must be listed by ascending min_annual_spend")
