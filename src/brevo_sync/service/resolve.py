"""What operators type, turned into the mirror's ids: pipeline and stage names, owners.

Reports filter on Brevo ids, operators type names. A name that matches nothing is an error
that lists the close matches, never an empty report: an empty list after a typo reads as
"there are no such deals", which is a wrong answer, not an unhelpful one.

Names match an id exactly, or a name ignoring case, spaces and underscores, so `closed won`
finds `Closed Won` in the Tajo pipelines and `CLOSED_WON` in the Opportunity Pipeline. A
stage id may repeat across pipelines, so stages resolve to (pipeline id, stage id) pairs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from brevo_sync.domain.deal import Pipeline
from brevo_sync.domain.rules.config import normalise
from brevo_sync.errors import UsageError

NO_PIPELINES = "the mirror has no pipelines yet: run `brevo-sync pull` first"


def name_key(name: str) -> str:
    """What two names must share to match: `Closed Won`, `closed_won`, `CLOSEDWON` share it.
    The rules file's comparison (case and spaces), with underscores read as spaces too:
    operators type `closed won` for the CLOSED_WON they see in Brevo."""
    return normalise(name.replace("_", " "))


def close_matches(value: str, names: Iterable[str], n: int = 4, cutoff: float = 0.6) -> list[str]:
    """The names closest to `value` (compared by `name_key`), best first, each name once."""
    by_key: dict[str, list[str]] = {}
    for name in names:
        same = by_key.setdefault(name_key(name), [])
        if name not in same:
            same.append(name)
    keys = difflib.get_close_matches(name_key(value), list(by_key), n=n, cutoff=cutoff)
    return [name for key in keys for name in by_key[key]]


def quoted(names: Sequence[str], joiner: str = "or") -> str:
    """'a', 'b' or 'c'."""
    items = [f"'{n}'" for n in names]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {joiner} {items[-1]}"


def not_found(
    option: str, value: str, what: str, known: Sequence[str], where: str = " in the mirror"
) -> UsageError:
    """`--stage 'clsoed won' matches no stage in the mirror; did you mean 'Closed Won' or
    'CLOSED_WON'?`, or the whole list when nothing is close."""
    close = close_matches(value, known)
    if close:
        hint = f"did you mean {quoted(close)}?"
    else:
        hint = f"{what}s: {', '.join(known)}" if known else f"there are no {what}s"
    return UsageError(f"{option} '{value}' matches no {what}{where}; {hint}")


@dataclass(frozen=True, slots=True)
class Placement:
    """Which pipelines and (pipeline, stage) pairs a report keeps; None keeps all."""

    pipeline_ids: frozenset[str] | None = None
    stage_keys: frozenset[tuple[str, str]] | None = None


def match_pipelines(pipelines: Sequence[Pipeline], value: str) -> list[Pipeline]:
    exact = [p for p in pipelines if p.id == value]
    if exact:
        return exact
    key = name_key(value)
    return [p for p in pipelines if name_key(p.name) == key]


def match_stages(pipelines: Sequence[Pipeline], value: str) -> frozenset[tuple[str, str]]:
    """(pipeline id, stage id) of every stage of `pipelines` that `value` names."""
    exact = {(p.id, s.id) for p in pipelines for s in p.stages if s.id == value}
    if exact:
        return frozenset(exact)
    key = name_key(value)
    return frozenset((p.id, s.id) for p in pipelines for s in p.stages if name_key(s.name) == key)


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def resolve_placement(
    pipelines: Sequence[Pipeline], pipeline: str | None, stage: str | None
) -> Placement:
    """`--pipeline` and `--stage` as ids; UsageError naming the close matches if one is
    unknown. A stage given with a pipeline must be a stage of that pipeline."""
    if pipeline is None and stage is None:
        return Placement()
    if not pipelines:
        raise UsageError(NO_PIPELINES)
    chosen = list(pipelines)
    pipeline_ids = None
    if pipeline is not None:
        chosen = match_pipelines(pipelines, pipeline)
        if not chosen:
            raise not_found("--pipeline", pipeline, "pipeline", [p.name for p in pipelines])
        pipeline_ids = frozenset(p.id for p in chosen)
    if stage is None:
        return Placement(pipeline_ids=pipeline_ids)
    keys = match_stages(chosen, stage)
    if keys:
        return Placement(pipeline_ids=pipeline_ids, stage_keys=keys)
    elsewhere = {pipeline_id for pipeline_id, _ in match_stages(pipelines, stage)}
    if elsewhere:
        where = _unique(p.name for p in pipelines if p.id in elsewhere)
        theirs = _unique(s.name for p in chosen for s in p.stages)
        raise UsageError(
            f"--stage '{stage}' is not a stage of pipeline {quoted([p.name for p in chosen])} "
            f"(it is in {quoted(where, 'and')}); its stages: {', '.join(theirs)}"
        )
    raise not_found("--stage", stage, "stage", _unique(s.name for p in chosen for s in p.stages))
