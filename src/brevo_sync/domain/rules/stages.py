"""Map the configured pipelines and stages onto the Brevo ones in the mirror.

Brevo keeps stage probabilities nowhere (see shared/brevo/README.md), so the rules file names
stages and the mirror knows their ids. A configured stage maps by an explicit id, else by its
name compared case- and space-insensitively. Anything else is reported, never guessed: a stage
missing in Brevo, a name two Brevo stages share, two configured stages on one Brevo stage.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from brevo_sync.domain.deal import Deal, Pipeline
from brevo_sync.domain.rules.config import PipelineConfig, RulesConfig, StageConfig, normalise
from brevo_sync.domain.rules.validation import Problem


@dataclass(frozen=True, slots=True)
class MappedStage:
    """A configured stage together with the Brevo ids it stands for."""

    pipeline: PipelineConfig
    stage: StageConfig
    pipeline_id: str
    stage_id: str


@dataclass(frozen=True, slots=True)
class StageMap:
    by_ids: Mapping[tuple[str, str], MappedStage] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def find(self, pipeline_id: str | None, stage_id: str | None) -> MappedStage | None:
        if pipeline_id is None or stage_id is None:
            return None
        return self.by_ids.get((pipeline_id, stage_id))

    def named(self, pipeline: str, stage: str) -> MappedStage | None:
        """The mapped stage for configured names (case- and space-insensitive)."""
        p, s = normalise(pipeline), normalise(stage)
        return next(
            (
                m
                for m in self.by_ids.values()
                if normalise(m.pipeline.name) == p and normalise(m.stage.name) == s
            ),
            None,
        )


def map_stages(config: RulesConfig, pipelines: Sequence[Pipeline]) -> StageMap:
    """Map every configured stage onto `pipelines` (the mirror's), reporting what does not fit."""
    found: dict[tuple[str, str], MappedStage] = {}
    problems: list[Problem] = []
    used: set[str] = set()
    for index, pipe_cfg in enumerate(config.pipelines):
        at = ("pipelines", index)
        remote, trouble = _find_pipeline(pipe_cfg, pipelines)
        if remote is None:
            problems.append(Problem((*at, "name"), trouble))
            continue
        used.add(remote.id)
        problems.extend(_map_pipeline_stages(pipe_cfg, remote, at, found))
    for remote in pipelines:
        if remote.id not in used:
            problems.append(
                Problem(
                    ("mirror", remote.name or remote.id),
                    f"Brevo pipeline {remote.name!r} ({remote.id}) has no rules: its deals are "
                    "left alone",
                    "warning",
                )
            )
    return StageMap(found, tuple(problems))


def identity_map(config: RulesConfig) -> StageMap:
    """A map where the Brevo ids are the explicit ids or else the configured names.

    For the sandbox and for tests, where pipelines are created from the rules file itself.
    """
    found: dict[tuple[str, str], MappedStage] = {}
    for pipe_cfg in config.pipelines:
        pipeline_id = pipe_cfg.id or pipe_cfg.name
        for stage in pipe_cfg.stages:
            stage_id = _explicit_stage_id(pipe_cfg, stage) or stage.name
            found[(pipeline_id, stage_id)] = MappedStage(pipe_cfg, stage, pipeline_id, stage_id)
    return StageMap(found)


def _explicit_stage_id(pipe_cfg: PipelineConfig, stage: StageConfig) -> str | None:
    by_name = {normalise(k): v for k, v in pipe_cfg.stage_ids.items()}
    return by_name.get(normalise(stage.name)) or stage.id


def _find_pipeline(
    pipe_cfg: PipelineConfig, pipelines: Sequence[Pipeline]
) -> tuple[Pipeline | None, str]:
    if pipe_cfg.id is not None:
        hit = next((p for p in pipelines if p.id == pipe_cfg.id), None)
        return hit, f"pipeline id {pipe_cfg.id!r} is not in Brevo{_names(pipelines)}"
    matches = [p for p in pipelines if normalise(p.name) == normalise(pipe_cfg.name)]
    if len(matches) == 1:
        return matches[0], ""
    if matches:
        ids = ", ".join(p.id for p in matches)
        return (
            None,
            f"{len(matches)} Brevo pipelines are named {pipe_cfg.name!r} ({ids}): give its id",
        )
    return None, f"pipeline {pipe_cfg.name!r} is not in Brevo{_names(pipelines)}"


def _names(pipelines: Sequence[Pipeline]) -> str:
    return f" (Brevo has: {', '.join(p.name for p in pipelines)})" if pipelines else " (none)"


def _map_pipeline_stages(
    pipe_cfg: PipelineConfig,
    remote: Pipeline,
    at: tuple[str | int, ...],
    found: dict[tuple[str, str], MappedStage],
) -> Iterator[Problem]:
    claimed: dict[str, str] = {}
    for j, stage in enumerate(pipe_cfg.stages):
        where = (*at, "stages", j)
        explicit = _explicit_stage_id(pipe_cfg, stage)
        if explicit is not None:
            hits = [s for s in remote.stages if s.id == explicit]
            missing = f"stage id {explicit!r} is not in Brevo pipeline {remote.name!r}"
        else:
            hits = [s for s in remote.stages if normalise(s.name) == normalise(stage.name)]
            missing = f"stage {stage.name!r} is not in Brevo pipeline {remote.name!r}"
        if not hits:
            there = ", ".join(s.name for s in remote.stages) or "no stages"
            yield Problem(where, f"{missing} (stages there: {there})")
            continue
        if len(hits) > 1:
            ids = ", ".join(s.id for s in hits)
            yield Problem(
                where, f"{len(hits)} Brevo stages are named {stage.name!r} ({ids}): give its id"
            )
            continue
        hit = hits[0]
        if hit.id in claimed:
            yield Problem(
                where, f"Brevo stage {hit.name!r} is already mapped to {claimed[hit.id]!r}"
            )
            continue
        claimed[hit.id] = stage.name
        found[(remote.id, hit.id)] = MappedStage(pipe_cfg, stage, remote.id, hit.id)
    for extra in remote.stages:
        if extra.id not in claimed:
            yield Problem(
                at,
                f"Brevo stage {extra.name!r} ({extra.id}) has no rules: deals there are left alone",
                "warning",
            )


@dataclass(frozen=True, slots=True)
class Rulebook:
    """The validated rules and the stage map: what every rule function is given."""

    config: RulesConfig
    stages: StageMap

    @classmethod
    def build(cls, config: RulesConfig, pipelines: Sequence[Pipeline] | None = None) -> Rulebook:
        mapping = identity_map(config) if pipelines is None else map_stages(config, pipelines)
        return cls(config, mapping)

    def locate(self, deal: Deal) -> MappedStage | None:
        return self.stages.find(deal.pipeline_id, deal.stage_id)

    def stage_in(self, deal: Deal, stage_name: str) -> MappedStage | None:
        """The stage called `stage_name` in the deal's own pipeline."""
        here = self.locate(deal)
        return None if here is None else self.stages.named(here.pipeline.name, stage_name)
