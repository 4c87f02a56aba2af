"""A hand-made `ReportData` for the HTML report's tests: every part filled, two currencies."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from brevo_sync.service.report import (
    AlertItem,
    AmountBar,
    Funnel,
    ReportData,
    StageDwell,
    StaleItem,
    WinRatePoint,
)

NOW = datetime(2026, 11, 15, 9, 30, tzinfo=UTC)


def _d(value: str) -> Decimal:
    return Decimal(value)


def sample_report() -> ReportData:
    return ReportData(
        title="Sales pipeline report",
        generated_at=NOW,
        database="sqlite:///brevo_sync.db",
        forecast_period="2026-11-15 to 2026-12-31",
        forecast_total=AmountBar(
            "in the period",
            17,
            {"EUR": _d("412500.00"), "USD": _d("98000.00")},
            {"EUR": _d("187230.50"), "USD": _d("41200.00")},
        ),
        forecast_undated=AmountBar("without a close date", 3, {"EUR": _d("21000")}, {}),
        forecast_by_month=[
            AmountBar(
                "2026-11",
                7,
                {"EUR": _d("162500"), "USD": _d("48000")},
                {"EUR": _d("97230.50"), "USD": _d("21200")},
            ),
            AmountBar(
                "2026-12",
                10,
                {"EUR": _d("250000"), "USD": _d("50000")},
                {"EUR": _d("90000"), "USD": _d("20000")},
            ),
        ],
        forecast_by_stage=[
            AmountBar(
                "Qualified (Enterprise Sales)", 6, {"EUR": _d("150000")}, {"EUR": _d("37500")}
            ),
            AmountBar(
                "Proposal (Enterprise Sales)",
                5,
                {"EUR": _d("180000"), "USD": _d("98000")},
                {"EUR": _d("108000"), "USD": _d("41200")},
            ),
            AmountBar(
                "Negotiation (Enterprise Sales)", 2, {"EUR": _d("52500")}, {"EUR": _d("42000")}
            ),
            AmountBar("NEEDS_ANALYSIS (Opportunity Pipeline)", 4, {"EUR": _d("30000")}, {}),
        ],
        funnels=[
            Funnel(
                "Enterprise Sales",
                (
                    ("Lead", 120),
                    ("Qualified", 84),
                    ("Demo", 51),
                    ("Proposal", 33),
                    ("Negotiation", 19),
                    ("Closed Won", 11),
                ),
            ),
        ],
        win_rate=[
            WinRatePoint("2026-06", 4, 6),
            WinRatePoint("2026-07", 5, 5),
            WinRatePoint("2026-08", 0, 0),
            WinRatePoint("2026-09", 7, 3),
            WinRatePoint("2026-10", 9, 4),
            WinRatePoint("2026-11", 3, 1),
        ],
        time_in_stage=[
            StageDwell("NEW_LEAD (Opportunity Pipeline)", 40, 2.4, 3),
            StageDwell("QUALIFICATION (Opportunity Pipeline)", 31, 9.1, 7),
            StageDwell("NEEDS_ANALYSIS (Opportunity Pipeline)", 22, 11.0, 14),
            StageDwell("PROPOSAL (Opportunity Pipeline)", 15, 18.5, 21),
            StageDwell("Qualified (Enterprise Sales)", 60, 12.25, None),
        ],
        stale=[
            StaleItem(
                "6650c0ffee0000000000000a",
                "Acme Corp - Enterprise Loyalty Package",
                82000.0,
                "EUR",
                23,
                "Negotiation",
                "ana@example.com",
            ),
            StaleItem(
                "6650c0ffee0000000000000b",
                "Globex <Renewal> & more",
                31000.0,
                "EUR",
                15,
                "Proposal",
                "bob@example.com",
            ),
        ],
        stale_rule="open, over 25,000.00 EUR, no update for 14 days",
        alerts=[
            AlertItem(
                101,
                NOW,
                "stage_max_days:s4",
                "6650c0ffee0000000000000a",
                "Acme Corp - Enterprise Loyalty Package",
                "in PROPOSAL for more than 21 days (since 2026-10-20)",
                "sales manager",
            ),
            AlertItem(
                99,
                NOW,
                "inactivity:14",
                "6650c0ffee0000000000000b",
                "Globex <Renewal> & more",
                "no activity for 14 days (since 2026-10-31)",
                "team lead",
            ),
        ],
        alerts_more=True,
        alerts_open=12,
    )
