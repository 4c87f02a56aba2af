"""Sums of money kept per currency, and how reports show them.

Amounts in different currencies are never added up: a sum is a map from currency to amount.
Only when the rules file gives a rate table (`rates:`) are they converted into the default
currency, and then a sum is a map with that one currency (plus, apart, any currency the table
has no rate for: never converted by guess). JSON shows every amount as a number rounded to
cents: `{"EUR": 1250.5, "USD": 300.0}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)

Amounts = dict[str, Decimal]
"""Currency (upper case) -> amount, full precision (rounding is for display only)."""


def cents(value: Decimal) -> float:
    """A JSON number rounded to 2 decimals (half up, as people round money)."""
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def add(into: Amounts, currency: str, amount: Decimal) -> None:
    into[currency] = into.get(currency, ZERO) + amount


def total(maps: Iterable[Mapping[str, Decimal]]) -> Amounts:
    """The per-currency sum of several sums."""
    out: Amounts = {}
    for m in maps:
        for currency, amount in m.items():
            add(out, currency, amount)
    return out


def amounts_json(amounts: Mapping[str, Decimal]) -> dict[str, float]:
    return {c: cents(a) for c, a in sorted(amounts.items())}


def scaled(amounts: Mapping[str, Decimal], factor: Decimal) -> Amounts:
    return {c: a * factor for c, a in amounts.items()}


@dataclass(frozen=True, slots=True)
class Rates:
    """The rules file's rate table: one unit of each currency in the `base` currency (the
    rules' default currency). Empty: no conversion, every sum stays per currency."""

    base: str
    to_base: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def converts(self) -> bool:
        return bool(self.to_base)

    def rate(self, currency: str) -> Decimal | None:
        if currency == self.base:
            return Decimal(1)
        return self.to_base.get(currency)

    def convert(self, currency: str, amount: Decimal) -> tuple[str, Decimal]:
        """One amount in the base currency when a rate is known, else as it was."""
        rate = self.rate(currency) if self.converts else None
        return (currency, amount) if rate is None else (self.base, amount * rate)

    def apply(self, amounts: Mapping[str, Decimal]) -> Amounts:
        """Into the base currency where a rate is known; the rest kept apart, as it was."""
        out: Amounts = {}
        for currency, amount in amounts.items():
            add(out, *self.convert(currency, amount))
        return out

    def missing(self, currencies: Iterable[str]) -> list[str]:
        """Currencies seen that the table cannot convert."""
        if not self.converts:
            return []
        return sorted({c for c in currencies if self.rate(c) is None})


def ratio(part: int, whole: int) -> float | None:
    """`part / whole` in percent with one decimal (seed 000's win rate), None for 0/0."""
    if whole == 0:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))
