"""Check a JSON answer against the schema the served OpenAPI document gives for it.

A small validator for what FastAPI writes (OpenAPI 3.1: `$ref`, `type`, `anyOf`,
`properties`, `required`, `items`, `additionalProperties`, `enum`, `const`); enough to
show that a route's documented answers are the ones it gives.
"""

from __future__ import annotations

from typing import Any

TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def response_schema(doc: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    """The schema documented for (method, path template, status); KeyError when none."""
    responses = doc["paths"][path][method.lower()]["responses"]
    content = responses[str(status)]["content"]
    schema: dict[str, Any] = content["application/json"]["schema"]
    return schema


def problems(doc: dict[str, Any], schema: dict[str, Any], value: Any, at: str = "$") -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return problems(doc, doc["components"]["schemas"][name], value, at)
    if "anyOf" in schema:
        options = [problems(doc, s, value, at) for s in schema["anyOf"]]
        if any(not found for found in options):
            return []
        return [f"{at}: matches none of anyOf ({'; '.join(o[0] for o in options)})"]
    found: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        ok = isinstance(value, TYPES[kind]) and not (
            kind in ("integer", "number") and isinstance(value, bool)
        )
        if not ok:
            return [f"{at}: {type(value).__name__} where the document says {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        found.append(f"{at}: {value!r} is not {schema['const']!r}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{at}: no {name!r}, which the document requires")
        # A model's keys are all documented: one the document does not name is a finding,
        # unless the schema says other keys may come (`additionalProperties`).
        extra = schema.get("additionalProperties", not properties)
        for name, item in value.items():
            if name in properties:
                found += problems(doc, properties[name], item, f"{at}.{name}")
            elif extra is False:
                found.append(f"{at}: {name!r} is not documented")
            elif isinstance(extra, dict):
                found += problems(doc, extra, item, f"{at}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += problems(doc, schema["items"], item, f"{at}[{i}]")
    return found
