"""The answer of a command that marks one thing once, where again is harmless and says so
(`alerts ack`, `tokens revoke`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from brevo_sync.entrypoints.cli.common import fmt_time, print_json, stdout


def print_marked(
    document: Mapping[str, object],
    *,
    already: bool,
    subject: str,
    marked: str,
    at: datetime | None,
    details: Sequence[str] = (),
    as_json: bool,
) -> None:
    """With --json the thing's `document` and `already`; else `<subject> <marked> at <when>.`
    (or `... was already <marked> at <when>; nothing changed.`) over its `details`."""
    if as_json:
        print_json({**document, "already": already})
        return
    when = fmt_time(at)
    head = (
        f"{subject} was already {marked} at {when}; nothing changed."
        if already
        else f"{subject} {marked} at {when}."
    )
    stdout.print("\n".join([head, *details]), markup=False)
