"""The OpenAPI document: well formed, complete, and the schemas are valid JSON Schema 2020-12."""

from __future__ import annotations

from typing import Any

import jsonschema


def test_document_is_openapi_3_1_with_every_route(app: Any, document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") or rule.rule == "/healthz":
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented


def test_every_schema_is_valid_json_schema(document: dict[str, Any]) -> None:
    for name, schema in document["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema), name
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["operationId"] and operation["summary"], (method, path)
            for status, response in operation["responses"].items():
                assert response["description"], (method, path, status)


def test_errors_are_documented_for_every_protected_operation(document: dict[str, Any]) -> None:
    for operations in document["paths"].values():
        for operation in operations.values():
            if "x-role" in operation:
                assert {"401", "403"} <= set(operation["responses"])
                assert operation["description"] == f"Role: {operation['x-role']}."


def test_request_schemas_forbid_unknown_keys(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("CheckCreate", "UploadIn", "ScanCreate", "WaiverCreate", "TargetCreate", "TokenCreate"):
        assert schemas[name]["additionalProperties"] is False, name
