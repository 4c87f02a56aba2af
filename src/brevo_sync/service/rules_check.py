"""`rules check`: a rules file's problems, and whether its stages map onto the mirror's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from brevo_sync.domain.deal import Pipeline
from brevo_sync.domain.rules.stages import map_stages
from brevo_sync.domain.rules.validation import ValidationReport
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import RulesFile


@dataclass(frozen=True, slots=True)
class RulesCheck:
    name: str
    report: ValidationReport  # the file's problems and the stage mapping's, with their lines
    mirror: str  # what the stage mapping was checked against, in words


def check_rules(source: RulesFile, pipelines: Sequence[Pipeline] | None) -> RulesCheck:
    """Validate `source`; with the mirror's `pipelines` (None: no mirror to check against),
    also map every configured stage onto them and report what does not map."""
    config = source.report.config
    problems = source.report.problems
    if pipelines is None:
        mirror = "not checked (no mirror database given)"
    elif not pipelines:
        mirror = "the mirror has no pipelines yet (run `brevo-sync pull`)"
    else:
        mirror = f"{len(pipelines)} Brevo pipelines"
        if config is not None:
            problems += source.locate(map_stages(config, pipelines).problems)
    return RulesCheck(source.name, ValidationReport(config, problems), mirror)


def mirror_pipelines(ctx: ServiceContext) -> list[Pipeline]:
    """The pipelines and stages the last pull stored (empty before the first pull)."""
    with ctx.uow() as uow:
        return uow.catalog.pipelines()
