"""Read models over the mirror: what `status` and `deals list` show. Reads only.

Queries go straight to the tables (no domain objects in between): these are reports, and
the mirror's typed columns exist so that they can be answered in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.store.tables import deals, pipelines, quarantine, runs, stages, sync_state
from brevo_sync.domain.deal import Pipeline, Stage
from brevo_sync.errors import UsageError

SORTABLE = {
    "id": deals.c.id,
    "name": deals.c.name,
    "amount": deals.c.amount,
    "owner": deals.c.owner,
    "stage": deals.c.stage_id,
    "pipeline": deals.c.pipeline_id,
    "created": deals.c.created_at,
    "updated": deals.c.updated_at,
    "close": deals.c.close_date,
}


@dataclass(frozen=True, slots=True)
class DealFilter:
    pipeline: str | None = None  # id or name
    stage: str | None = None  # id or name
    owner: str | None = None
    min_amount: float | None = None
    max_amount: float | None = None
    created_from: date | None = None
    created_to: date | None = None
    close_from: date | None = None
    close_to: date | None = None
    include_deleted: bool = False
    sort: str = "-updated"  # a SORTABLE key, "-" for descending
    limit: int | None = 50


_ONE_DAY = timedelta(days=1)


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _id_or_name(column: sa.ColumnElement[Any], table: sa.Table, value: str) -> Any:
    """Match an id exactly, or a name case-insensitively (operators type names)."""
    names = sa.select(table.c.id).where(sa.func.lower(table.c.name) == value.strip().lower())
    return sa.or_(column == value, column.in_(names))


def find_deals(engine: Engine, f: DealFilter) -> list[dict[str, Any]]:
    """Mirrored deals matching `f`, each with every mirrored field plus stage/pipeline names."""
    key = f.sort.lstrip("-")
    if key not in SORTABLE:
        raise UsageError(f"--sort: unknown field {key!r}; use one of {', '.join(SORTABLE)}")
    order = SORTABLE[key].desc() if f.sort.startswith("-") else SORTABLE[key].asc()
    stage_name = stages.c.name.label("stage_name")
    pipeline_name = pipelines.c.name.label("pipeline_name")
    query = (
        sa.select(deals, stage_name, pipeline_name)
        .select_from(
            deals.outerjoin(stages, stages.c.id == deals.c.stage_id).outerjoin(
                pipelines, pipelines.c.id == deals.c.pipeline_id
            )
        )
        .order_by(order, deals.c.id)
    )
    conditions: list[Any] = []
    if not f.include_deleted:
        conditions.append(deals.c.deleted_at.is_(None))
    if f.pipeline:
        conditions.append(_id_or_name(deals.c.pipeline_id, pipelines, f.pipeline))
    if f.stage:
        conditions.append(_id_or_name(deals.c.stage_id, stages, f.stage))
    if f.owner:
        conditions.append(sa.func.lower(deals.c.owner) == f.owner.lower())
    if f.min_amount is not None:
        conditions.append(deals.c.amount >= f.min_amount)
    if f.max_amount is not None:
        conditions.append(deals.c.amount <= f.max_amount)
    if f.created_from:
        conditions.append(deals.c.created_at >= _day_start(f.created_from))
    if f.created_to:  # inclusive of the whole day
        conditions.append(deals.c.created_at < _day_start(f.created_to) + _ONE_DAY)
    if f.close_from:
        conditions.append(deals.c.close_date >= f.close_from)
    if f.close_to:
        conditions.append(deals.c.close_date <= f.close_to)
    if conditions:
        query = query.where(*conditions)
    if f.limit is not None:
        query = query.limit(f.limit)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class MirrorStatus:
    deals: int
    tombstones: int
    quarantined: int
    pipelines: int
    cursor: datetime | None
    last_success_at: datetime | None
    last_full_at: datetime | None
    unfinished_run: dict[str, Any] | None
    last_run: dict[str, Any] | None
    requests_total: int
    budget: dict[str, Any] | None


def mirror_status(engine: Engine) -> MirrorStatus:
    with engine.connect() as conn:
        live = conn.scalar(
            sa.select(sa.func.count()).select_from(deals).where(deals.c.deleted_at.is_(None))
        )
        dead = conn.scalar(
            sa.select(sa.func.count()).select_from(deals).where(deals.c.deleted_at.is_not(None))
        )
        bad = conn.scalar(sa.select(sa.func.count()).select_from(quarantine))
        n_pipelines = conn.scalar(sa.select(sa.func.count()).select_from(pipelines))
        state = conn.execute(sa.select(sync_state).where(sync_state.c.resource == "deals")).first()
        last = conn.execute(
            sa.select(runs).where(runs.c.outcome != "running").order_by(runs.c.id.desc()).limit(1)
        ).first()
        spent = conn.scalar(sa.select(sa.func.coalesce(sa.func.sum(runs.c.requests_total), 0)))
    unfinished = None
    budget = None
    if state is not None and state.run_started_at is not None:
        unfinished = {
            "started_at": state.run_started_at,
            "full": bool(state.run_full),
            "offset": state.run_offset or 0,
        }
    if state is not None and state.budget_limit is not None:
        budget = {
            "limit": state.budget_limit,
            "remaining": state.budget_remaining,
            "reset_at": state.budget_reset_at,
        }
    return MirrorStatus(
        deals=int(live or 0),
        tombstones=int(dead or 0),
        quarantined=int(bad or 0),
        pipelines=int(n_pipelines or 0),
        cursor=state.cursor if state else None,
        last_success_at=state.last_success_at if state else None,
        last_full_at=state.last_full_at if state else None,
        unfinished_run=unfinished,
        last_run=dict(last._mapping) if last is not None else None,
        requests_total=int(spent or 0),
        budget=budget,
    )


def mirror_pipelines(engine: Engine) -> list[Pipeline]:
    """The pipelines and stages the last pull stored (empty before the first pull)."""
    if not sa.inspect(engine).has_table("pipelines"):
        return []
    with engine.connect() as conn:
        stage_rows = conn.execute(sa.select(stages).order_by(stages.c.position)).all()
        pipeline_rows = conn.execute(sa.select(pipelines).order_by(pipelines.c.position)).all()
    by_pipeline: dict[str, list[Stage]] = {}
    for s in stage_rows:
        by_pipeline.setdefault(s.pipeline_id, []).append(Stage(s.id, s.name, s.position))
    return [
        Pipeline(p.id, p.name, tuple(by_pipeline.get(p.id, ())), p.position) for p in pipeline_rows
    ]
