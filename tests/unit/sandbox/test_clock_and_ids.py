"""Timestamps in Brevo's spelling, inclusive `since` parsing, the manual clock, id shapes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from brevo_sync.sandbox import ManualClock, format_ms
from brevo_sync.sandbox.catalogue import default_pipelines
from brevo_sync.sandbox.clock import format_day, parse_timestamp, since_to_ms, to_ms
from brevo_sync.sandbox.ids import ObjectIdFactory


def test_format_ms_is_brevos_millisecond_utc_spelling() -> None:
    assert format_ms(0) == "1970-01-01T00:00:00.000Z"
    stamp = datetime(2024, 2, 29, 23, 59, 58, 7000, tzinfo=UTC)
    assert format_ms(to_ms(stamp)) == "2024-02-29T23:59:58.007Z"
    assert format_day(to_ms(stamp)) == "2024-02-29T00:00:00.000Z"


def test_to_ms_floors_and_round_trips_through_format() -> None:
    stamp = datetime(2025, 1, 1, 0, 0, 0, 999_999, tzinfo=UTC)
    assert format_ms(to_ms(stamp)) == "2025-01-01T00:00:00.999Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-02T03:04:05.678Z", "2025-01-02T03:04:05.678Z"),
        ("2025-01-02T03:04:05.678+00:00", "2025-01-02T03:04:05.678Z"),
        ("2025-01-02T05:04:05.678+02:00", "2025-01-02T03:04:05.678Z"),
        ("2025-01-02T03:04:05", "2025-01-02T03:04:05.000Z"),  # naive: UTC
        # sub-millisecond: the next whole millisecond, so ">= since" stays exact
        ("2025-01-02T03:04:05.678001Z", "2025-01-02T03:04:05.679Z"),
    ],
)
def test_since_is_parsed_inclusively_in_utc(text: str, expected: str) -> None:
    assert format_ms(since_to_ms(text)) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2025-01-02T03:04:05.000 00:00"])
def test_unparseable_or_unencoded_plus_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"date-time|isoformat"):
        parse_timestamp(text)


def test_manual_clock_moves_only_when_told() -> None:
    start = datetime(2025, 5, 1, tzinfo=UTC)
    clock = ManualClock(start)
    assert clock() == clock() == start
    assert clock.advance(1.5) == start + timedelta(seconds=1.5)
    assert clock.advance(milliseconds=-500) == start + timedelta(seconds=1)
    clock.set(datetime(2025, 6, 1, 2, tzinfo=timezone(timedelta(hours=2))))
    assert clock() == datetime(2025, 6, 1, tzinfo=UTC)


def test_ticking_clock_gives_each_reading_its_own_millisecond() -> None:
    clock = ManualClock(datetime(2025, 5, 1, tzinfo=UTC), tick_ms=1)
    readings = [to_ms(clock()) for _ in range(3)]
    assert readings[1] - readings[0] == readings[2] - readings[1] == 1


def test_object_ids_look_like_brevos_and_never_repeat() -> None:
    factory = ObjectIdFactory(seed=3, kind="deal")
    ids = [factory.new(1_700_000_000_000) for _ in range(1000)]
    assert all(re.fullmatch(r"[0-9a-f]{24}", i) for i in ids)
    assert ids[0].startswith(f"{1_700_000_000:08x}")
    assert len(set(ids)) == 1000
    assert ObjectIdFactory(seed=3, kind="deal").new(1_700_000_000_000) == ids[0]
    assert ObjectIdFactory(seed=4, kind="deal").new(1_700_000_000_000) != ids[0]


def test_pipelines_are_the_documented_four_with_stable_opaque_stage_ids() -> None:
    pipelines = default_pipelines()
    assert [p.name for p in pipelines] == [
        "Enterprise Sales",
        "E-Commerce Upsell",
        "Renewals",
        "Opportunity Pipeline",
    ]
    assert [s.name for s in pipelines[0].stages] == [
        "Lead", "Qualified", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost",
    ]  # fmt: skip
    assert pipelines[3].stages[0].name == "NEW_LEAD"
    all_stage_ids = [s.id for p in pipelines for s in p.stages]
    assert len(set(all_stage_ids)) == len(all_stage_ids) == 28
    assert default_pipelines() == pipelines  # same ids on every run
