"""`GET /metrics`: Prometheus text, from one registry per app (so two apps in one process,
as in the tests, never share a count).

    brevo_sync_http_requests_total{route,method,status}   requests received (the access log)
    brevo_sync_http_request_duration_seconds{route}       their durations (histogram)
    brevo_sync_mirror_up                                  1 when the figures below were read
    brevo_sync_inbox_depth{state}                         webhook deliveries by state
    brevo_sync_outbox_depth{state}                        decisions for Brevo by state
    brevo_sync_brevo_requests_total                       Brevo requests spent (every run)
    brevo_sync_brevo_requests_last_hour                   ... of which in the last hour
    brevo_sync_brevo_budget_remaining{source}             requests left in the window
    brevo_sync_seconds_since_last_pull                    since the last good pull (+Inf: never)
    brevo_sync_alerts_open                                alerts not acknowledged

The mirror's figures are read when scraped (a few COUNTs), never cached.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import get_args

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from brevo_sync.domain.inbox import INBOX_STATES
from brevo_sync.domain.outbox import State
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.operations import OpsFigures, ops_figures

PREFIX = "brevo_sync"
# Request durations: webhooks answer in milliseconds, reports may take a second.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "unmatched"  # the route label of a request no route took (never its path)


class MirrorCollector(Collector):
    """The mirror's figures, read at every scrape through the operations service."""

    def __init__(self, context: Callable[[], ServiceContext]) -> None:
        self._context = context

    def describe(self) -> list[Metric]:
        return []  # registering must not read the database

    def collect(self) -> Iterator[Metric]:
        figures = ops_figures(self._context())
        up = GaugeMetricFamily(f"{PREFIX}_mirror_up", "1 when the mirror could be read")
        up.add_metric([], 1.0 if figures.mirror_up else 0.0)
        yield up
        if figures.mirror_up:
            yield from _mirror_metrics(figures)


def _by_state(name: str, doc: str, counts: dict[str, int], states: tuple[str, ...]) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=["state"])
    for state in dict.fromkeys([*states, *sorted(counts)]):
        family.add_metric([state], float(counts.get(state, 0)))
    return family


def _mirror_metrics(f: OpsFigures) -> Iterator[Metric]:
    assert f.mirror is not None
    yield _by_state(
        f"{PREFIX}_inbox_depth", "Webhook deliveries in the inbox, by state", f.inbox, INBOX_STATES
    )
    yield _by_state(
        f"{PREFIX}_outbox_depth", "Decisions for Brevo in the outbox, by state", f.outbox,
        get_args(State),
    )  # fmt: skip
    yield CounterMetricFamily(
        f"{PREFIX}_brevo_requests",
        "Brevo requests spent, as the runs recorded them",
        value=float(f.mirror.requests_total),
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_brevo_requests_last_hour",
        "Brevo requests spent in the last hour",
        value=float(f.mirror.requests_last_hour),
    )
    left = f.budget_left
    if left is not None and f.mirror.budget is not None:
        budget = GaugeMetricFamily(
            f"{PREFIX}_brevo_budget_remaining",
            "Brevo requests left in the rate-limit window (source: brevo headers or local)",
            labels=["source"],
        )
        budget.add_metric([f.mirror.budget.source], float(left))
        yield budget
    since = f.seconds_since_pull
    yield GaugeMetricFamily(
        f"{PREFIX}_seconds_since_last_pull",
        "Seconds since the last successful pull (+Inf: none yet)",
        value=math.inf if since is None else since,
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_alerts_open", "Alerts not acknowledged", value=float(f.mirror.alerts_open)
    )


class OpsMetrics:
    """One app's registry: the request counters the access log feeds, and the mirror's."""

    def __init__(self, context: Callable[[], ServiceContext]) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            f"{PREFIX}_http_requests",
            "HTTP requests received, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.durations = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["route"],
            registry=self.registry,
            buckets=DURATION_BUCKETS,
        )
        self.registry.register(MirrorCollector(context))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.durations.labels(route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
