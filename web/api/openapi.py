"""The OpenAPI 3.1 document, generated from the declared operations and their pydantic models.

Served at ``/api/v1/openapi.json``. OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what
pydantic emits, so the models' schemas go in ``components.schemas`` unchanged; the tests
validate every answer against the schema of its operation and status.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from compliance import __version__
from web.api.endpoints import Api, Operation
from web.api.schemas import ErrorPublic, Health
from web.routing import id_schema

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No content", 400: "Not JSON or not an object",
    401: "No valid token", 403: "The token lacks the role", 404: "Not found",
    409: "The object's state refuses it (already revoked, disabled, has history)", 413: "Body too large",
    422: "The body or query does not validate",
    429: "Too many submissions for this token; retry after Retry-After",
    503: "A dependency is unavailable, or the work's queue is full; retry after Retry-After",
}  # fmt: skip
# On every 429 and 503 of the API (see web.api.admission).
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/scans/<int:scan_id>`` -> ``/scans/{scan_id}``."""
    return _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule)


def build_openapi(api: Api) -> dict[str, Any]:
    """The whole document."""
    models: list[tuple[type[BaseModel], Any]] = [(ErrorPublic, "serialization"), (Health, "serialization")]
    for op in api.operations:
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.response is not None:
            models.append((op.response, "serialization"))
    refs, defs = models_json_schema(list(dict.fromkeys(models)), ref_template=REF)
    components = dict(defs.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for op in api.operations:
        paths.setdefault(api.prefix + openapi_path(op.path), {})[op.method.lower()] = _operation(op, refs)
    paths["/healthz"] = {
        "get": {
            "operationId": "healthz",
            "summary": "Whether the database and the broker answer",
            "security": [],
            "responses": {
                "200": _json_response("OK", refs[(Health, "serialization")]),
                "503": _json_response("Unavailable", refs[(Health, "serialization")]),
            },
        }
    }
    paths[api.prefix + "/openapi.json"] = {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {"200": _json_response("OK", {"type": "object"})},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "compliance",
            "version": __version__,
            "description": "Which export-control and open-release rules a model triggers, and why. Every endpoint "
            "takes a bearer token whose role (viewer < submitter < reviewer < admin) must include the one named.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "description": f"Role: {op.role}.",
        "x-role": op.role,
        "parameters": _parameters(op),
        "responses": {},
    }
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    if op.status == 204:
        out["responses"]["204"] = {"description": _REASONS[204]}
    else:
        schema = refs[(op.response, "serialization")] if op.response is not None else {"type": "object"}
        out["responses"][str(op.status)] = _json_response(_REASONS.get(op.status, "OK"), schema)
    error = refs[(ErrorPublic, "serialization")]
    # An operation that queues work may be over its token's rate (429) or find its queue full (503).
    limited = {429, 503} if op.queue is not None else set()
    for status in sorted({401, 403, *op.errors, *limited}):
        out["responses"][str(status)] = _json_response(_REASONS[status], error)
        if status in (429, 503):
            out["responses"][str(status)]["headers"] = _RETRY_AFTER
    return out


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for converter, name in _PARAM.findall(op.path):
        path_schema = id_schema() if converter == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": path_schema})
    if op.query is not None:
        properties: dict[str, Any] = op.query.model_json_schema(ref_template=REF).get("properties", {})
        for name, prop in properties.items():
            param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": _not_null(prop)}
            if prop.get("type") == "array":
                param.update(style="form", explode=True)
            params.append(param)
    return params


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without the ``null`` of an optional field: a query can omit a value, not send null."""
    members = prop.get("anyOf")
    if not members or {"type": "null"} not in members:
        return prop
    rest = [m for m in members if m != {"type": "null"}]
    out = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
    return {**out, **rest[0]} if len(rest) == 1 else {**out, "anyOf": rest}


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}
