"""What /openapi.json says about each route, beyond what quart-schema derives itself.

quart-schema turns a msgspec model into a schema but drops the model's nested components (so
``AppIn`` pointed at an ``AttributionIn`` that was nowhere); the provider here keeps them. It
also documents, for every operation, each error status it can answer with the one error shape,
from what the handler's decorators say about it: credentials (``requires``,
``requires_sdk_key``) answer 401 and 403, inputs 400, path parameters 404, bodies 413, writes
404 and 409; ``may_answer`` names the rest (422, 503). Answers that are not JSON (CSV, NDJSON,
a GIF, a redirect) are named with ``answers``, bodies that are not JSON with ``takes``.

A rule across a model's fields (at least one of them, one field needed when another has a
value) is the model's ``json_schema_rules``: keys merged into its schema, so /openapi.json says
what the server refuses. A query model with such rules is described as one object parameter,
sent as the same ``name=value`` pairs (``style: form, explode: true``)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import msgspec
import msgspec.inspect as mi
from quart_schema import OpenAPIProvider
from quart_schema.validation import (
    QUART_SCHEMA_QUERYSTRING_ATTRIBUTE,
    QUART_SCHEMA_REQUEST_ATTRIBUTE,
)

from tracker.domain.rules import CURRENCIES, TIMEZONES

REF_TEMPLATE = "#/components/schemas/{name}"
ACCESS_ATTRIBUTE = "_tracker_access"
EXTRA_STATUSES_ATTRIBUTE = "_tracker_may_answer"
RULES_ATTRIBUTE = "json_schema_rules"
ANSWERS_ATTRIBUTE = "_tracker_answers"
BODIES_ATTRIBUTE = "_tracker_bodies"

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "description": "Every error: a code and a message that starts with the field at fault.",
    "type": "object",
    "properties": {
        "error": {
            "type": "string",
            "enum": [
                "invalid",
                "unauthorized",
                "forbidden",
                "not_found",
                "method_not_allowed",
                "conflict",
                "too_large",
                "unsupported_media_type",
                "unprocessable",
                "unavailable",
            ],
        },
        "detail": {"type": "string", "examples": ["title: Expected `str`, got `int`"]},
    },
    "required": ["error", "detail"],
}

ERROR_DESCRIPTIONS = {
    400: "A field is missing, of the wrong type or breaks a rule; `detail` names it.",
    401: "No credentials, or unknown or revoked ones.",
    403: "The credentials may not do this (a viewer writing, a partner outside its own).",
    404: "A resource named in the path does not exist.",
    409: "A conflicting resource exists, or it changed concurrently; `detail` says which.",
    413: "The body is larger than the limit.",
    422: "Well-formed but not computable (e.g. a missing exchange rate).",
    503: "Not stored now; sending it again is safe.",
}

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "sdk_key": {"type": "apiKey", "in": "header", "name": "X-SDK-Key"},
}


def mark_access(wrapper: Callable, access: str) -> None:
    """``read``/``write`` for a Bearer token, ``sdk_key`` for an app's key."""
    setattr(wrapper, ACCESS_ATTRIBUTE, access)


def may_answer(*statuses: int) -> Callable[[Callable], Callable]:
    """Error statuses a handler answers beyond those its decorators imply."""

    def decorator(handler: Callable) -> Callable:
        extra = set(getattr(handler, EXTRA_STATUSES_ATTRIBUTE, set()))
        setattr(handler, EXTRA_STATUSES_ATTRIBUTE, extra | set(statuses))
        return handler

    return decorator


def answers(
    status: int,
    description: str,
    *,
    content: dict[str, dict[str, Any]] | None = None,
    headers: dict[str, dict[str, Any]] | None = None,
) -> Callable[[Callable], Callable]:
    """A success answer described by hand: ``content`` maps a media type to its schema
    (merged into what ``document_response`` says for the same status), ``headers`` names
    response headers (``Location`` on a redirect)."""

    def decorator(handler: Callable) -> Callable:
        documented = dict(getattr(handler, ANSWERS_ATTRIBUTE, {}))
        documented[status] = {"description": description, "content": content, "headers": headers}
        setattr(handler, ANSWERS_ATTRIBUTE, documented)
        return handler

    return decorator


def takes(media_type: str, schema: dict[str, Any]) -> Callable[[Callable], Callable]:
    """A request body in another media type than the JSON one the route's model describes
    (CSV rates), listed beside it in the operation's ``requestBody``."""

    def decorator(handler: Callable) -> Callable:
        bodies = dict(getattr(handler, BODIES_ATTRIBUTE, {}))
        bodies[media_type] = {"schema": schema}
        setattr(handler, BODIES_ATTRIBUTE, bodies)
        return handler

    return decorator


def struct_schema(model: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model's own schema inlined, and every component it refers to, each with its
    model's ``json_schema_rules``."""
    (top,), components = msgspec.json.schema_components([model], ref_template=REF_TEMPLATE)
    ruled = _ruled_structs(model)
    for name, component in components.items():
        cls = ruled.get(component.get("title", name))
        if cls is not None:
            components[name] = with_rules(component, getattr(cls, RULES_ATTRIBUTE))
    name = top.get("$ref", "").rpartition("/")[2]
    if name in components:
        return dict(components[name]), components
    return top, components


def with_rules(schema: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    """``rules`` on top of a derived schema: a property they name replaces the derived one,
    a list (``required``, ``allOf``) is extended, any other key is set."""
    out = dict(schema)
    for key, value in rules.items():
        if key == "properties":
            out["properties"] = {**out.get("properties", {}), **value}
        elif isinstance(value, list):
            out[key] = [*out.get(key, []), *value]
        else:
            out[key] = value
    return out


def _ruled_structs(model: type) -> dict[str, type]:
    """The structs reachable from ``model`` that carry rules, by their schema title."""
    found: dict[str, type] = {}
    seen: set[type] = set()

    def walk(t: mi.Type) -> None:
        if isinstance(t, mi.Metadata):
            walk(t.type)
        elif isinstance(t, mi.StructType):
            if t.cls in seen:
                return
            seen.add(t.cls)
            if getattr(t.cls, RULES_ATTRIBUTE, None):
                found[t.cls.__name__] = t.cls
            for field in t.fields:
                walk(field.type)
        elif isinstance(t, mi.UnionType):
            for member in t.types:
                walk(member)
        elif isinstance(t, mi.CollectionType):
            walk(t.item_type)
        elif isinstance(t, mi.DictType):
            walk(t.key_type)
            walk(t.value_type)

    walk(mi.type_info(model))
    return found


def ref(name: str) -> str:
    return REF_TEMPLATE.format(name=name)


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(name="Error")}}},
    }


class TrackerOpenAPIProvider(OpenAPIProvider):
    def build_request_body(self, model: type, source: Any) -> tuple[dict, dict]:
        schema, components = struct_schema(model)
        return {"content": {"application/json": {"schema": schema}}, "required": True}, components

    def build_querystring_parameters(self, model: type) -> tuple[list, dict]:
        schema, components = struct_schema(model)
        if getattr(model, RULES_ATTRIBUTE, None):
            # Separate parameters cannot say "at least one of them"; an exploded form object
            # can, and is sent exactly as they would be.
            name = re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__.removesuffix("Query")).lower()
            parameter = {
                "name": name,
                "in": "query",
                "style": "form",
                "explode": True,
                "required": True,
                "schema": schema,
            }
            return [parameter], components
        required = set(schema.get("required", ()))
        parameters = []
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            parameter: dict[str, Any] = {"name": name, "in": "query", "schema": prop}
            if "description" in prop:
                parameter["description"] = prop.pop("description")
            if name in required:
                parameter["required"] = True
            parameters.append(parameter)
        return parameters, components

    def build_response_object(self, model: type, headers_model: Any) -> tuple[dict, dict]:
        schema, components = struct_schema(model)
        answer: dict[str, Any] = {
            "description": inspect.getdoc(model) or "",
            "content": {"application/json": {"schema": schema}},
        }
        return answer, components

    def build_paths(self, rule: Any) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        func = self._app.view_functions[rule.endpoint]
        for item in paths.values():
            for method, operation in list(item.items()):
                item[method] = self._complete(operation, func, method, bool(rule.arguments))
        return paths, components

    def _complete(
        self, operation: dict[str, Any], func: Callable, method: str, has_path_args: bool
    ) -> dict[str, Any]:
        operation = dict(operation)
        responses = {str(k): dict(v) for k, v in operation.get("responses", {}).items()}
        for status, answer in getattr(func, ANSWERS_ATTRIBUTE, {}).items():
            documented = responses.setdefault(str(status), {"description": ""})
            documented["description"] = answer["description"]
            if answer["content"]:
                documented["content"] = documented.get("content", {}) | answer["content"]
            if answer["headers"]:
                documented["headers"] = answer["headers"]
        if not any(code.startswith(("2", "3")) for code in responses):
            responses["200"] = {"description": "OK"}
        bodies = getattr(func, BODIES_ATTRIBUTE, None)
        if bodies:
            body = dict(operation.get("requestBody", {"required": True}))
            body["content"] = {**body.get("content", {}), **bodies}
            operation["requestBody"] = body

        access = getattr(func, ACCESS_ATTRIBUTE, None)
        errors = set(getattr(func, EXTRA_STATUSES_ATTRIBUTE, set()))
        has_body = hasattr(func, QUART_SCHEMA_REQUEST_ATTRIBUTE)
        has_query = hasattr(func, QUART_SCHEMA_QUERYSTRING_ATTRIBUTE)
        if has_body or has_query:
            errors.add(400)
        if has_body:
            errors.add(413)
        if has_path_args:
            errors.add(404)
        if access in ("read", "write"):
            errors |= {401, 403}
            operation["security"] = [{"bearer": []}]
        elif access == "sdk_key":
            errors.add(401)
            operation["security"] = [{"sdk_key": []}]
        else:
            operation["security"] = []
        if access == "write":
            # a body names other resources (a partner, an app, a traffic type)
            errors |= {404, 409}
        for status in sorted(errors):
            responses.setdefault(str(status), _error_response(status))
        operation["responses"] = dict(sorted(responses.items()))
        if not operation.get("parameters"):
            operation.pop("parameters", None)
        return operation

    def schema(self) -> dict[str, Any]:
        spec = super().schema()
        spec["components"]["schemas"] |= {
            "Error": ERROR_SCHEMA,
            "Currency": {
                "description": "An ISO 4217 currency code.",
                "type": "string",
                "enum": sorted(CURRENCIES),
            },
            "TimeZone": {
                "description": "An IANA time zone name.",
                "type": "string",
                "enum": sorted(TIMEZONES),
            },
        }
        spec["components"]["securitySchemes"] = SECURITY_SCHEMES
        spec.pop("security", None)
        spec["paths"] = dict(spec["paths"])
        return spec
