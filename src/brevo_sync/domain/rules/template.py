"""Fill `{placeholder}` names in configured texts (deal names, automation attributes).

Seed 001's automations offer "dynamic fields" of deals, contacts, pipelines, stages, amounts
and dates. Only the names below are filled; nothing is evaluated, so a rules file cannot run
code. An unknown placeholder is left as written (and `rules check` warns about it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDERS = frozenset(
    {
        "deal.id",
        "deal.name",
        "deal.amount",
        "deal.currency",
        "deal.owner",
        "deal.close_date",
        "pipeline",
        "stage",
        "from_stage",
        "contact.id",
        "now.date",
        # commerce names (seed 000 "<customer> - Order #<id>", "<customer> - Renewal")
        "customer",
        "order_id",
        "subscription_id",
    }
)

_FIELD = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)?)\}")


def placeholders_in(text: str) -> set[str]:
    return set(_FIELD.findall(text))


def render(text: str, values: Mapping[str, object]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name)
        return match.group(0) if name not in values else ("" if value is None else str(value))

    return _FIELD.sub(fill, text)


def render_value(value: Any, values: Mapping[str, object]) -> Any:
    """Strings are filled; other YAML values (numbers, booleans) pass through unchanged."""
    return render(value, values) if isinstance(value, str) else value
