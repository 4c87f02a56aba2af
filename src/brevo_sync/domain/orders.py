"""Orders and subscriptions as received (file import, webhooks): our own order JSON read into
domain values, with every mistake named by its field.

One order per JSON object (`orders import` reads one per line):

    {"id": "1001", "created_at": "2026-05-04T10:00:00Z", "amount": 7200, "currency": "EUR",
     "customer": {"email": "...", "name": "...", "company": "...", "b2b": false,
                  "contact_id": 42, "company_id": "..."},
     "items": [{"sku": "...", "category": "shoes"}], "shop": "eu"}

- `id` (text or integer) and `shop` (default "default") identify it: the same id in two shops
  is two orders. `amount` is a number (or a number as text), `currency` a 3-letter code
  (default: the rules' default currency), times ISO 8601 (without an offset: UTC).
- `customer.name` names the deal (else the company, else the e-mail). `b2b` is true or false.
  `contact_id` (a Brevo contact id, a positive integer) and `company_id` (a Brevo company id)
  are optional: the mirror has no contacts or companies, so only they link the deal in Brevo.
- `items`: a list; the `category` (or `categories`) of each item become the deal's product
  categories. Nothing else of an item is read.
- A subscription adds `"type": "subscription"`, `annual_value` and `expires_at`; `amount` and
  `created_at` are optional for it.

`order_payload` writes a `ReceivedOrder` back in this shape (what the `orders` table keeps and
what a webhook's parsed order is stored as), and `parse_order` reads it back unchanged.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from brevo_sync.domain.rules.commerce import DEFAULT_SHOP, Order, Subscription
from brevo_sync.domain.rules.money import Money

Kind = Literal["order", "subscription"]
KINDS: tuple[Kind, ...] = ("order", "subscription")

# Column sizes of the `orders` table: longer values are refused, never cut.
MAX_SHOP = 255
MAX_ID = 128


@dataclass(frozen=True, slots=True)
class Customer:
    name: str
    email: str | None = None
    company: str | None = None
    b2b: bool = False
    contact_id: int | None = None  # Brevo's contact id, when the shop knows it
    company_id: str | None = None  # Brevo's company id, when the shop knows it


@dataclass(frozen=True, slots=True)
class ReceivedOrder:
    """An order or a subscription as a shop sent it, read and checked."""

    shop: str
    id: str
    kind: Kind
    customer: Customer
    created_at: datetime | None = None
    amount: Money | None = None  # required for an order
    categories: tuple[str, ...] = ()
    annual_value: Money | None = None  # subscriptions
    expires_at: datetime | None = None  # subscriptions
    items: tuple[Any, ...] = field(default=(), compare=False)

    @property
    def ref(self) -> str:
        """How reports name it: `shop/id`."""
        return f"{self.shop}/{self.id}"

    def as_order(self) -> Order:
        if self.amount is None:
            raise ValueError(f"{self.ref} has no amount")
        c = self.customer
        return Order(
            self.id,
            c.name,
            self.amount,
            is_b2b=c.b2b,
            categories=self.categories,
            contact_id=c.contact_id,
            company_id=c.company_id,
            shop=self.shop,
            email=c.email,
        )

    def as_subscription(self) -> Subscription:
        if self.annual_value is None or self.expires_at is None:
            raise ValueError(f"{self.ref} is not a subscription")
        c = self.customer
        return Subscription(
            self.id,
            c.name,
            self.annual_value,
            self.expires_at,
            contact_id=c.contact_id,
            company_id=c.company_id,
            shop=self.shop,
            email=c.email,
        )


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str | None  # None: the whole line (not JSON, not an object)
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class OrderInvalid(ValueError):
    """An order that cannot be read; carries every problem found, by field."""

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int  # 1-based
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedLines:
    orders: tuple[tuple[int, ReceivedOrder], ...]  # (line number, order)
    problems: tuple[LineProblem, ...]
    blank: int = 0


def parse_lines(lines: Iterable[str], *, default_currency: str) -> ParsedLines:
    """Every line of a JSON-lines file: the orders read and, for each refused line, every
    problem with its line number and field. Blank lines (and `#` comments) are skipped."""
    orders: list[tuple[int, ReceivedOrder]] = []
    problems: list[LineProblem] = []
    blank = 0
    for number, text in enumerate(lines, start=1):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            blank += 1
            continue
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            problems.append(LineProblem(number, None, f"not JSON ({exc.msg}, column {exc.colno})"))
            continue
        try:
            orders.append((number, parse_order(data, default_currency=default_currency)))
        except OrderInvalid as exc:
            problems.extend(LineProblem(number, p.field, p.message) for p in exc.problems)
    return ParsedLines(tuple(orders), tuple(problems), blank)


def parse_order(data: Any, *, default_currency: str) -> ReceivedOrder:
    """One order (or subscription) object; OrderInvalid naming every bad field."""
    if not isinstance(data, Mapping):
        raise OrderInvalid([FieldProblem(None, f"a JSON object, not {_what(data)}")])
    read = _Reader(data)
    kind = read.choice("type", KINDS, default="order")
    shop = read.identifier("shop", MAX_SHOP, default=DEFAULT_SHOP)
    order_id = read.identifier("id", MAX_ID)
    currency = read.currency("currency", default=default_currency)
    is_subscription = kind == "subscription"
    created_at = read.time("created_at", required=not is_subscription)
    amount = read.amount("amount", currency, required=not is_subscription)
    annual_value = read.amount("annual_value", currency, required=is_subscription)
    expires_at = read.time("expires_at", required=is_subscription)
    customer = read.customer("customer")
    items, categories = read.items("items")
    if read.problems:
        raise OrderInvalid(read.problems)
    assert shop is not None and order_id is not None and customer is not None
    return ReceivedOrder(
        shop=shop,
        id=order_id,
        kind=kind or "order",
        customer=customer,
        created_at=created_at,
        amount=amount,
        categories=categories,
        annual_value=annual_value if is_subscription else None,
        expires_at=expires_at if is_subscription else None,
        items=items,
    )


def order_payload(order: ReceivedOrder) -> dict[str, Any]:
    """The order in our own JSON shape (what `parse_order` reads back to the same value)."""
    c = order.customer
    customer: dict[str, Any] = {"name": c.name, "email": c.email, "company": c.company}
    customer["b2b"] = c.b2b
    if c.contact_id is not None:
        customer["contact_id"] = c.contact_id
    if c.company_id is not None:
        customer["company_id"] = c.company_id
    money = order.amount or order.annual_value
    payload: dict[str, Any] = {"type": order.kind, "shop": order.shop, "id": order.id}
    payload["currency"] = money.currency if money else None
    if order.created_at is not None:
        payload["created_at"] = order.created_at.isoformat()
    if order.amount is not None:
        payload["amount"] = str(order.amount.amount)
    if order.annual_value is not None:
        payload["annual_value"] = str(order.annual_value.amount)
    if order.expires_at is not None:
        payload["expires_at"] = order.expires_at.isoformat()
    payload["customer"] = customer
    items = list(order.items) or [{"category": c} for c in order.categories]
    payload["items"] = json.loads(json.dumps(items, default=str))
    return payload


# -- reading fields --------------------------------------------------------------------------


def _what(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


class _Reader:
    """Reads fields of one object, collecting a problem per bad field instead of stopping."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix
        self.problems: list[FieldProblem] = []

    def _fail(self, name: str, message: str) -> None:
        self.problems.append(FieldProblem(self.prefix + name, message))

    def _get(self, name: str) -> Any:
        value = self.data.get(name)
        return None if isinstance(value, str) and not value.strip() else value

    def choice(self, name: str, allowed: tuple[Kind, ...], *, default: Kind) -> Kind | None:
        value = self._get(name)
        if value is None:
            return default
        for kind in allowed:
            if isinstance(value, str) and value.strip().lower() == kind:
                return kind
        self._fail(name, f"one of {', '.join(allowed)}, not {value!r}")
        return None

    def identifier(self, name: str, limit: int, *, default: str | None = None) -> str | None:
        value = self._get(name)
        if value is None:
            if default is None:
                self._fail(name, "required")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            self._fail(name, f"text or an integer, not {_what(value)}")
            return None
        text = str(value).strip()
        if len(text) > limit:
            self._fail(name, f"at most {limit} characters ({len(text)} given)")
            return None
        return text

    def text(self, name: str) -> str | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self._fail(name, f"text, not {_what(value)}")
            return None
        return value.strip()

    def currency(self, name: str, *, default: str) -> str:
        value = self._get(name)
        if value is None:
            return default.upper()
        if not (isinstance(value, str) and len(value.strip()) == 3 and value.strip().isalpha()):
            self._fail(name, f"a 3-letter currency code such as EUR, not {value!r}")
            return default.upper()
        return value.strip().upper()

    def amount(self, name: str, currency: str, *, required: bool) -> Money | None:
        value = self._get(name)
        if value is None:
            if required:
                self._fail(name, "required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self._fail(name, f"a number, not {_what(value)}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self._fail(name, f"a finite number, not {value}")
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self._fail(name, f"a number, not {value!r}")
            return None
        if not number.is_finite() or number < 0:
            self._fail(name, f"a number of 0 or more, not {value!r}")
            return None
        return Money(number, currency)

    def time(self, name: str, *, required: bool) -> datetime | None:
        value = self._get(name)
        if value is None:
            if required:
                self._fail(name, "required")
            return None
        if not isinstance(value, str):
            self._fail(name, f"an ISO 8601 date or time as text, not {_what(value)}")
            return None
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            try:
                parsed = datetime.combine(date.fromisoformat(value.strip()), datetime.min.time())
            except ValueError:
                self._fail(name, f"an ISO 8601 date or time such as 2026-05-04T10:00:00Z, "
                                 f"not {value!r}")  # fmt: skip
                return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

    def customer(self, name: str) -> Customer | None:
        value = self.data.get(name)
        if not isinstance(value, Mapping):
            self._fail(name, "required" if value is None else f"an object, not {_what(value)}")
            return None
        inner = _Reader(value, f"{self.prefix}{name}.")
        email = inner.text("email")
        if email is not None and ("@" not in email or " " in email):
            inner._fail("email", f"an e-mail address, not {email!r}")
            email = None
        company = inner.text("company") or None
        person = inner.text("name") or None
        b2b = value.get("b2b", False)
        if b2b is None:
            b2b = False
        elif not isinstance(b2b, bool):
            inner._fail("b2b", f"true or false, not {b2b!r}")
        contact_id = inner.contact_id("contact_id")
        company_id = inner.identifier("company_id", 64) if value.get("company_id") else None
        display = person or company or email
        if display is None and not inner.problems:
            inner._fail("name", "required (or a company or an e-mail to name the deal by)")
        self.problems.extend(inner.problems)
        if inner.problems or display is None:
            return None
        return Customer(display, email, company, bool(b2b), contact_id, company_id)

    def contact_id(self, name: str) -> int | None:
        value = self._get(name)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self._fail(name, f"a Brevo contact id (a positive integer), not {value!r}")
            return None
        return value

    def items(self, name: str) -> tuple[tuple[Any, ...], tuple[str, ...]]:
        value = self.data.get(name)
        if value is None:
            return (), ()
        if not isinstance(value, list):
            self._fail(name, f"a list, not {_what(value)}")
            return (), ()
        categories: dict[str, None] = {}  # an ordered set
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                self._fail(f"{name}[{index}]", f"an object, not {_what(item)}")
                continue
            found = item.get("categories", item.get("category"))
            found = [found] if isinstance(found, str) else found
            if found is None:
                continue
            if not isinstance(found, list) or not all(isinstance(c, str) for c in found):
                self._fail(f"{name}[{index}].category", "text or a list of text")
                continue
            categories.update((c.strip(), None) for c in found if c.strip())
        return tuple(value), tuple(categories)
