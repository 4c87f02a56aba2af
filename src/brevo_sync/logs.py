"""Structured logs: one line per event on stderr, JSON when not on a terminal.

Secrets never reach a log line: `redact_secrets` replaces any value equal to a registered
secret (the API key) and any field whose name says it holds one.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

import structlog

_SECRET_FIELDS = {"api_key", "api-key", "apikey", "password", "secret", "token", "authorization"}
_secrets: set[str] = set()

REDACTED = "***"


def register_secret(value: str | None) -> None:
    """Make `value` unprintable in logs from now on (values shorter than 4 chars are ignored,
    they would blank out ordinary words)."""
    if value and len(value) >= 4:
        _secrets.add(value)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for secret in _secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {
            k: REDACTED if str(k).lower() in _SECRET_FIELDS else _scrub(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key.lower() in _SECRET_FIELDS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time, so that a live progress bar (which
    swaps sys.stderr to print above itself) is not torn by log lines."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_json_lines = False  # what configure_logging chose: notices written outside structlog follow it


def notice_line(text: str, **fields: Any) -> bytes:
    """A line for stderr written straight from a signal handler (`os.write`, no logger
    locks): a JSON log line when the logs are JSON, so a log pipeline parses every line."""
    if _json_lines:
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        document = {"event": text, "level": "warning", "timestamp": now, **fields}
        return (json.dumps(document) + "\n").encode()
    return f"brevo-sync: {text}\n".encode()


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Route structlog (and stdlib logging, e.g. httpx, alembic) to stderr, one line each."""
    global _json_lines
    json_lines = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    _json_lines = json_lines
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter (per-request lines from httpx, alembic's banners) only when debugging.
    for noisy in ("httpx", "httpcore", "alembic", "uvicorn", "uvicorn.error"):
        logging.getLogger(noisy).setLevel("DEBUG" if level == "DEBUG" else "WARNING")
