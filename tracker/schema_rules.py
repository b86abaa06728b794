"""JSON Schema rules across the fields of a request struct, for its ``json_schema_rules``
(merged into its schema by ``tracker/web/openapi.py``): pure data builders."""

from __future__ import annotations

from typing import Any


def given(field: str, *types: str, **schema: Any) -> dict[str, Any]:
    """``field`` is present, of ``types`` (and ``schema``)."""
    kind = types[0] if len(types) == 1 else list(types)
    return {"required": [field], "properties": {field: {"type": kind, **schema}}}


def strings(*fields: str) -> dict[str, Any]:
    """Every one of ``fields`` is present, a string."""
    return {"required": list(fields), "properties": {f: {"type": "string"} for f in fields}}


def when(values: dict[str, str | list[str]], then: dict[str, Any]) -> dict[str, Any]:
    """When each named field is present with its value (or one of its values): ``then``."""
    return {
        "if": {
            "properties": {
                f: {"enum": v} if isinstance(v, list) else {"const": v} for f, v in values.items()
            },
            "required": list(values),
        },
        "then": then,
    }
