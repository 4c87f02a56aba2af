"""Probes and metrics for the platform (no token: they say nothing about deals or people).

GET /healthz   200 while the process answers at all
GET /readyz    200 when the database answers, its schema is this version's and the last
               successful pull is at most BREVO_SYNC_READY_MAX_PULL_AGE_SECONDS old
               (0: not checked); else 503 naming every failing check
GET /metrics   Prometheus text (see `metrics.py`)
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from brevo_sync.bootstrap import Container
from brevo_sync.entrypoints.web.metrics import OpsMetrics
from brevo_sync.entrypoints.web.ops_models import Alive, ReadyOut
from brevo_sync.service.operations import readiness

router = APIRouter(tags=["operations"])

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@router.get("/healthz", response_model=Alive)
async def healthz() -> dict[str, str]:
    """The process is alive (nothing else is checked: see /readyz)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "not ready: the failing checks"}},
)
def readyz(request: Request) -> Any:
    """Ready to serve: the database answers, migrations are current, the mirror is fresh."""
    container: Container = request.app.state.container
    seconds = container.settings.ready_max_pull_age_seconds
    result = readiness(container.context, timedelta(seconds=seconds) if seconds else None)
    body = {"ready": result.ready, "checks": [asdict(c) for c in result.checks]}
    if result.ready:
        return body
    return JSONResponse(body, status_code=503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {PROMETHEUS_TEXT: {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    """Prometheus metrics: requests by route and status, inbox and outbox depth, Brevo
    requests spent and budget left, seconds since the last successful pull, open alerts."""
    registry: OpsMetrics = request.app.state.metrics
    return Response(registry.render(), media_type=PROMETHEUS_TEXT)
