"""The pipelines and stages a pull knows, and re-reading them when Brevo shows new ones.

Pipelines and the attribute catalogue cost a request each, so they are read on a full pull,
after the refresh interval, or when a deal names a pipeline or stage the mirror does not have
(at most once a run). The rulebook is the rules file mapped onto these pipelines: it is
rebuilt whenever they change.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from brevo_sync.domain.deal import Deal, Pipeline
from brevo_sync.domain.parsing import RecordError, parse_attribute_catalogue, parse_pipelines
from brevo_sync.domain.rules import Rulebook
from brevo_sync.domain.sync import RunPosition, SyncState
from brevo_sync.errors import BrevoError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import BrevoGateway
from brevo_sync.service.prefetch import watched

log = structlog.get_logger(__name__)


class Catalogue:
    def __init__(self, ctx: ServiceContext, pipelines: Sequence[Pipeline]) -> None:
        self.ctx = ctx
        self.refreshed = False
        self._know(pipelines)

    def _know(self, pipelines: Sequence[Pipeline]) -> None:
        self.pipeline_ids = {p.id for p in pipelines}
        self.stage_keys = {(p.id, s.id) for p in pipelines for s in p.stages}
        self.book = Rulebook.build(self.ctx.rules(), pipelines)

    def due(self, state: SyncState, run: RunPosition, *, resumed: bool) -> bool:
        if state.catalog_fetched_at is None or (run.full and not resumed):
            return True
        return self.ctx.clock() - state.catalog_fetched_at >= self.ctx.pull.catalog_refresh

    def refresh(self, gateway: BrevoGateway, *, attributes: bool) -> None:
        """Read pipelines (and the attribute catalogue) and store them in one transaction."""
        stop = self.ctx.stop
        try:
            pipelines = parse_pipelines(watched(stop, gateway.list_pipelines))
            catalogue = (
                parse_attribute_catalogue(watched(stop, gateway.list_deal_attributes))
                if attributes
                else None
            )
        except RecordError as exc:  # deals can be quarantined one by one; the catalogue cannot
            raise BrevoError(f"Brevo answered the catalogue in an unexpected shape: {exc}") from exc
        now = self.ctx.clock()
        with self.ctx.uow() as uow:
            uow.catalog.replace(pipelines, catalogue, now)
            uow.sync.mark_catalog(now)
            uow.commit()
        self._know(pipelines)
        self.refreshed = True
        log.info("catalog refreshed", pipelines=len(pipelines), attributes=attributes)

    def unknown(self, deals: Sequence[Deal]) -> set[tuple[str | None, str | None]]:
        """(pipeline, stage) of the deals whose pipeline or stage the mirror does not know."""
        return {
            (d.pipeline_id, d.stage_id)
            for d in deals
            if (d.pipeline_id is not None and d.pipeline_id not in self.pipeline_ids)
            or (d.stage_id is not None and (d.pipeline_id or "", d.stage_id) not in self.stage_keys)
        }
