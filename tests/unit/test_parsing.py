"""Reading Brevo deal records: every spelling normalised, every defect named."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevo_sync.domain.parsing import (
    RecordError,
    TypedAttributeNames,
    parse_attribute_catalogue,
    parse_deal,
    parse_pipelines,
    parse_timestamp,
)

# The shape of the official SDK's example response for GET /crm/deals/{id}.
SDK_EXAMPLE: dict[str, Any] = {
    "id": "629475917295261d9b1f4403",
    "attributes": {
        "deal_name": "Deal: Connect with company",
        "deal_owner": "6093d2425a9b436e9519d034",
        "amount": 123,
        "pipeline": "6093d2425a9b436e9519d035",
        "deal_stage": "8ae6ba4c-6a8f-4ca8-a2c4-2f6f1b3a0b65",
        "stage_updated_at": "2022-05-30T10:11:55.000Z",
        "created_at": "2022-05-30T10:11:55.000Z",
        "last_updated_date": "2022-05-31T12:00:00.123Z",
        "number_of_contacts": 1,
    },
    "linkedContactsIds": [1, 2, 3],
    "linkedCompaniesIds": ["5e7a3c9a0a4f5b6d8c2a1b00"],
}


def test_sdk_example_is_read_into_typed_fields() -> None:
    deal = parse_deal(SDK_EXAMPLE)
    assert deal.id == "629475917295261d9b1f4403"
    assert deal.name == "Deal: Connect with company"
    assert deal.amount == Decimal("123")
    assert deal.stage_id == "8ae6ba4c-6a8f-4ca8-a2c4-2f6f1b3a0b65"
    assert deal.updated_at == datetime(2022, 5, 31, 12, 0, 0, 123000, tzinfo=UTC)
    assert deal.contact_ids == (1, 2, 3)
    assert deal.company_ids == ("5e7a3c9a0a4f5b6d8c2a1b00",)
    assert deal.attributes["number_of_contacts"] == 1  # untyped attributes are kept


def test_account_specific_attribute_names_are_honoured() -> None:
    raw = {"id": "x", "attributes": {"closing": "2026-03-31", "waehrung": "EUR"}}
    deal = parse_deal(raw, TypedAttributeNames(close_date="closing", currency="waehrung"))
    assert deal.close_date == date(2026, 3, 31)
    assert deal.currency == "EUR"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-02T03:04:05.678Z", datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)),
        ("2026-01-02T04:04:05+01:00", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:04:05", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_timestamps_become_aware_utc(value: str | None, expected: datetime | None) -> None:
    assert parse_timestamp(value, field="t") == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"attributes": {}}, "id"),
        ({"id": "a", "attributes": {"amount": "lots"}}, "amount"),
        ({"id": "a", "attributes": {"amount": "NaN"}}, "amount"),
        ({"id": "a", "attributes": {"last_updated_date": "yesterday"}}, "last_updated_date"),
        ({"id": "a", "attributes": []}, "attributes"),
        ({"id": "a", "linkedContactsIds": ["x"]}, "linkedContactsIds"),
        ("not a record", "object"),
    ],
)
def test_defects_are_named_in_the_reason(raw: Any, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        parse_deal(raw)


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.text(), st.integers())))
def test_any_attribute_map_parses_or_is_refused_cleanly(attrs: dict[str, Any]) -> None:
    try:
        deal = parse_deal({"id": "d1", "attributes": attrs})
    except RecordError:
        return
    assert deal.attributes == attrs


def test_pipelines_and_catalogue() -> None:
    (pipeline,) = parse_pipelines(
        [{"pipeline": "p", "pipeline_name": "Sales", "stages": [{"id": "a", "name": "Lead"}]}]
    )
    assert pipeline.stage("a") is not None and pipeline.stage("a").name == "Lead"  # type: ignore[union-attr]
    (attribute,) = parse_attribute_catalogue(
        [
            {
                "internalName": "deal_type",
                "label": "Type",
                "attributeTypeName": "single-select",
                "attributeOptions": [{"key": "nb", "value": "New business"}],
                "isRequired": False,
            }
        ]
    )
    assert attribute.options == (("nb", "New business"),)
    with pytest.raises(RecordError):
        parse_pipelines({"not": "a list"})


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2026-01-01T00:00:00.000+05:30", date(2026, 1, 1)),  # not the 31st in UTC
        ("2026-01-01T00:00:00.000-08:00", date(2026, 1, 1)),  # not the 1st at 08:00 UTC
        ("2026-01-01T00:00:00.000Z", date(2026, 1, 1)),
        ("2026-01-01", date(2026, 1, 1)),
        ("", None),
    ],
)
def test_a_date_keeps_the_calendar_day_it_names(value: str, day: date | None) -> None:
    raw = {
        "id": "d",
        "attributes": {"close_date": value, "created_at": "2026-01-01T00:00:00+05:30"},
    }
    deal = parse_deal(raw)
    assert deal.close_date == day
    assert deal.created_at == datetime(2025, 12, 31, 18, 30, tzinfo=UTC)  # a timestamp: UTC


def test_a_catalogue_repeating_an_id_is_refused_by_name() -> None:
    stage = {"id": "s1", "name": "Lead"}
    with pytest.raises(RecordError, match="pipeline id p1 appears twice"):
        parse_pipelines([{"pipeline": "p1", "stages": [stage]}, {"pipeline": "p1", "stages": []}])
    with pytest.raises(RecordError, match="stage id s1 appears twice"):
        parse_pipelines([{"pipeline": "p1", "stages": [stage, stage]}])
    shared = parse_pipelines(
        [{"pipeline": "p1", "stages": [stage]}, {"pipeline": "p2", "stages": [stage]}]
    )
    assert [p.stages[0].id for p in shared] == ["s1", "s1"]  # across pipelines: stored
