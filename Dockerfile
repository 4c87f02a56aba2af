# brevo-sync worker image. Until the daemon command exists it runs one `pull`; schedule it
# (cron, a Kubernetes CronJob) or override the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && useradd --create-home --uid 10001 brevo && mkdir /data && chown brevo /data

USER brevo
WORKDIR /data
# The mirror lives in /data unless BREVO_SYNC_DATABASE_URL points at PostgreSQL.
ENV BREVO_SYNC_DATABASE_URL=sqlite:////data/brevo_sync.db
VOLUME ["/data"]
ENTRYPOINT ["brevo-sync"]
CMD ["pull"]
