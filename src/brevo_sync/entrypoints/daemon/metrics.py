"""Per-job figures for `/metrics` (added to the HTTP app's registry when `run` serves it).

brevo_sync_job_runs_total{job,outcome}       runs by how they ended
brevo_sync_job_failures_total{job}           failed runs
brevo_sync_job_duration_seconds{job}         how long runs take (histogram)
brevo_sync_job_lag_seconds{job}              how late the last run started after it was due
brevo_sync_job_requests_total{job}           Brevo requests the job's runs spent
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from brevo_sync.domain.jobs import Finished

PREFIX = "brevo_sync_job"
DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0)


class JobMetrics:
    """A `JobObserver`: counts what every run of this replica did."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=False)
        self.runs = Counter(
            f"{PREFIX}_runs", "Daemon job runs, by how they ended", ["job", "outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.failures = Counter(
            f"{PREFIX}_failures", "Daemon job runs that failed", ["job"], registry=self.registry
        )
        self.durations = Histogram(
            f"{PREFIX}_duration_seconds", "How long a daemon job run took", ["job"],
            registry=self.registry, buckets=DURATION_BUCKETS,
        )  # fmt: skip
        self.lag = Gauge(
            f"{PREFIX}_lag_seconds", "How late the job's last run started after it was due",
            ["job"], registry=self.registry,
        )  # fmt: skip
        self.requests = Counter(
            f"{PREFIX}_requests", "Brevo requests spent by the job's runs", ["job"],
            registry=self.registry,
        )  # fmt: skip

    def started(self, job: str, lag_seconds: float) -> None:
        self.lag.labels(job).set(lag_seconds)

    def finished(self, job: str, finished: Finished, seconds: float) -> None:
        self.runs.labels(job, finished.outcome).inc()
        if finished.outcome == "failed":
            self.failures.labels(job).inc()
        self.durations.labels(job).observe(seconds)
        self.requests.labels(job).inc(finished.requests)
