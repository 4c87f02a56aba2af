"""The deal attribute catalogue and the checks Brevo applies when attributes are written.

Writing an attribute the account does not have is refused (400), because the project's
worker is expected to discover or create its custom attributes first; a sandbox that
accepted anything would hide exactly that bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from brevo_sync.sandbox.catalogue import AttributeDef, slug
from brevo_sync.sandbox.clock import parse_timestamp
from brevo_sync.sandbox.errors import SandboxError, invalid, missing

ATTRIBUTE_TYPES = ("text", "user", "number", "single-select", "date", "boolean", "multi-choice")
OBJECT_TYPES = ("deals", "companies")

# Managed by the sandbox (and by Brevo): written values are ignored, not refused, so a client
# that echoes back a record it read does not fail.
MANAGED = frozenset(
    {
        "created_at",
        "last_updated_date",
        "stage_updated_at",
        "number_of_contacts",
        "number_of_activities",
        "last_activity_date",
        "next_activity_date",
    }
)


class AttributeCatalogue:
    """Ordered catalogue of one object type's attributes, by internal name."""

    def __init__(self, definitions: Iterable[AttributeDef]) -> None:
        self._defs: dict[str, AttributeDef] = {d.internal_name: d for d in definitions}

    def __contains__(self, name: object) -> bool:
        return name in self._defs

    def get(self, name: str) -> AttributeDef | None:
        return self._defs.get(name)

    def to_json(self) -> list[dict[str, Any]]:
        return [d.to_json() for d in self._defs.values()]

    def names_of_type(self, kind: str) -> list[str]:
        return [name for name, d in self._defs.items() if d.type == kind]

    def add(self, label: str, attribute_type: str, options: Iterable[str] = ()) -> AttributeDef:
        """Create a custom attribute the way `POST /crm/attributes` does."""
        if not label or not label.strip():
            raise missing("label is required")
        if attribute_type not in ATTRIBUTE_TYPES:
            raise invalid(f"attributeType must be one of {', '.join(ATTRIBUTE_TYPES)}")
        name = slug(label)
        if not name:
            raise invalid("label must contain letters or digits")
        if name in self._defs:
            raise SandboxError(400, "duplicate_parameter", f"Attribute {name} already exists")
        labels = [str(o) for o in options]
        if attribute_type in ("single-select", "multi-choice") and not labels:
            raise missing("optionsLabels is required for select attributes")
        definition = AttributeDef(
            name, label.strip(), attribute_type, tuple((slug(x), x) for x in labels)
        )
        self._defs[name] = definition
        return definition

    def validate(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Normalised values to write; None means "clear this attribute". Managed ones dropped."""
        out: dict[str, Any] = {}
        for name, value in values.items():
            if name in MANAGED:
                continue
            definition = self._defs.get(name)
            if definition is None:
                raise invalid(f"Attribute {name} does not exist")
            if value is None or value == "":
                if definition.required:
                    raise missing(f"{name} is required")
                out[name] = None
                continue
            out[name] = _check(definition, value)
        return out


def _check(definition: AttributeDef, value: Any) -> Any:
    name, kind = definition.internal_name, definition.type
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid(f"{name} must be a number")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise invalid(f"{name} must be a boolean")
        return value
    if kind == "date":
        if not isinstance(value, str):
            raise invalid(f"{name} must be a date string")
        try:
            parse_timestamp(value)
        except ValueError:
            raise invalid(f"{name} is not a valid date: {value!r}") from None
        return value
    if kind == "single-select":
        return _option(definition, value)
    if kind == "multi-choice":
        if not isinstance(value, list):
            raise invalid(f"{name} must be a list of options")
        return [_option(definition, v) for v in value]
    if not isinstance(value, str):  # text, user, pipeline, stage
        raise invalid(f"{name} must be a string")
    return value


def _option(definition: AttributeDef, value: Any) -> str:
    """Select values are stored as the option label; the option key is accepted too."""
    for key, label in definition.options:
        if value in (key, label):
            return label
    raise invalid(f"{value!r} is not an option of {definition.internal_name}")
