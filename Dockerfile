# brevo-sync worker image: `brevo-sync run` (the daemon, with the HTTP side on :8080) as a
# non-root user behind tini, so SIGTERM reaches Python and the running steps finish their
# page or outbox row before the container stops (Docker waits 10 s; we take at most 8).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 brevo \
    && mkdir /data && chown brevo /data

WORKDIR /app
# Dependencies first, from pyproject.toml alone: this layer survives every source change.
# pyproject names README.md as the long description, so an empty stand-in is made here and
# the real one comes with the sources (an edit of the README must not reinstall everything).
COPY pyproject.toml ./
RUN mkdir -p src/brevo_sync && touch src/brevo_sync/__init__.py README.md \
    && pip install . && pip uninstall -y brevo-sync && rm -rf src build README.md
COPY README.md ./
COPY src ./src
RUN pip install --no-deps . && rm -rf build

USER brevo
WORKDIR /data
# The mirror lives in /data unless BREVO_SYNC_DATABASE_URL points at PostgreSQL.
ENV BREVO_SYNC_DATABASE_URL=sqlite:////data/brevo_sync.db \
    BREVO_SYNC_STOP_TIMEOUT_SECONDS=8 \
    BREVO_SYNC_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
# HEALTHCHECK_URL (not a brevo-sync setting) only for a CMD that moves the HTTP side off 8080,
# e.g. `--network host` replicas: `-e HEALTHCHECK_URL=http://127.0.0.1:8081/healthz`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ.get('HEALTHCHECK_URL') or 'http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["/usr/bin/tini", "--", "brevo-sync"]
CMD ["run", "--host", "0.0.0.0", "--port", "8080"]
