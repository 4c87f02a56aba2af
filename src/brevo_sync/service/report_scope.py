"""What the forecast and analytics share: the pipeline an operator names, the rules mapped
onto the mirror (which stages are Won and Lost), owners by e-mail, and the time frame."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from brevo_sync.domain.deal import Pipeline
from brevo_sync.domain.periods import out_of_range
from brevo_sync.domain.rules.stages import Rulebook
from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import UnitOfWork
from brevo_sync.service.resolve import resolve_placement

NO_OWNER = "(no owner)"


@dataclass(frozen=True, slots=True)
class ReportBasis:
    """The mirror's catalogue, the rules mapped onto it, and the pipelines asked for."""

    pipelines: tuple[Pipeline, ...]
    book: Rulebook
    pipeline_ids: frozenset[str] | None  # None: every pipeline
    pipeline_label: str | None  # the chosen pipelines' names, for the report

    def stages_of_kind(self, kind: str) -> frozenset[tuple[str, str]]:
        return frozenset(key for key, m in self.book.stages.by_ids.items() if m.stage.kind == kind)

    @property
    def stage_names(self) -> dict[tuple[str, str], tuple[str, str, int]]:
        """(pipeline id, stage id) -> (pipeline name, stage name, position)."""
        return {
            (p.id, s.id): (p.name, s.name, s.position) for p in self.pipelines for s in p.stages
        }


def report_basis(ctx: ServiceContext, uow: UnitOfWork, pipeline: str | None) -> ReportBasis:
    """`pipeline` (an id or a name as operators type it) resolved; UsageError with the close
    matches when it names none."""
    pipelines = tuple(uow.catalog.pipelines())
    placement = resolve_placement(pipelines, pipeline, None)
    ids = placement.pipeline_ids
    label = None
    if ids is not None:
        label = ", ".join(p.name for p in pipelines if p.id in ids)
    return ReportBasis(pipelines, Rulebook.build(ctx.rules(), pipelines), ids, label)


def owner_names(
    ctx: ServiceContext, uow: UnitOfWork, owner_ids: Sequence[str | None]
) -> Callable[[str | None], str]:
    """Owner id -> e-mail where known (the mirror's people, the rules' `people:`), else the
    id itself."""
    given = {uid: email.lower() for email, uid in ctx.rules().people.items()}
    known = {**given, **uow.people.by_user_id(sorted({o for o in owner_ids if o}))}

    def name(owner: str | None) -> str:
        if not owner:
            return NO_OWNER
        return known.get(owner, owner)

    return name


def check_dates(start: date | None, end: date | None) -> None:
    for why in (out_of_range("--from", start), out_of_range("--to", end)):
        if why is not None:
            raise UsageError(why)
    if start is not None and end is not None and end < start:
        raise UsageError(f"--to {end} is before --from {start}: the period would be empty")
