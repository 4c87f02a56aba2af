"""Money as an exact amount with its currency.

Seed 002 leaves multi-currency open ("Währungen: Multi-Currency Support nötig?"), so the rules
never convert: two amounts add up only when their currencies are the same, and a threshold
applies only to amounts in a currency it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from brevo_sync.domain.deal import Deal

HUNDRED = Decimal(100)


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies were to be combined or compared."""


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", Decimal(str(self.amount)))
        object.__setattr__(self, "currency", self.currency.strip().upper())

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def percent(self, percent: Decimal | int) -> Money:
        """`percent` % of this amount, exact (no rounding: display rounds, sums must not)."""
        return Money(self.amount * Decimal(percent) / HUNDRED, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def floor_points(amount: Decimal, percent: Decimal | int) -> int:
    """Loyalty points as seed 000 computes them: `Math.floor(total * rate)`."""
    return int((amount * Decimal(percent) / HUNDRED).to_integral_value(rounding=ROUND_FLOOR))


def deal_money(deal: Deal, default_currency: str) -> Money | None:
    """The deal's amount with its currency; deals without one are in the account's default."""
    if deal.amount is None:
        return None
    return Money(deal.amount, deal.currency or default_currency)


def threshold_for(
    threshold: Decimal | Mapping[str, Decimal], currency: str, default_currency: str
) -> Decimal | None:
    """The threshold that applies to amounts in `currency`, or None when none was configured.

    A plain number is a threshold in the default currency; a mapping gives one per currency.
    """
    currency = currency.upper()
    if isinstance(threshold, Mapping):
        by_currency = {k.upper(): v for k, v in threshold.items()}
        return by_currency.get(currency)
    return threshold if currency == default_currency.upper() else None
