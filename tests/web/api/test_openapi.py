"""The OpenAPI document: well formed, complete, and the schemas are valid JSON Schema 2020-12."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest


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


# --- issue 12: the document states the ranges and the rules between fields the server enforces ---


def _schema_of(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def test_every_id_states_the_stored_range(document: dict[str, Any]) -> None:
    stored = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    ids = []
    for operations in document["paths"].values():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                assert {"type": "null"} not in param["schema"].get("anyOf", []), param  # a query has no null
                if param["schema"].get("type") == "integer" and param["name"].endswith("_id"):
                    ids.append(param["schema"])
    ids.append(document["components"]["schemas"]["ScheduleCreate"]["properties"]["target_id"]["anyOf"][0])
    assert len(ids) > 10
    assert all(stored.items() <= schema.items() for schema in ids), ids


def test_the_failure_description_names_every_failure_kind(document: dict[str, Any]) -> None:
    from compliance.services.checks import INTERNAL_FAILURE, LOST_FAILURE
    from web.dashboard.present import FAILURE_WORDS

    schemas = document["components"]["schemas"]
    for name in ("CheckPublic", "CheckSummary"):
        described = schemas[name]["properties"]["failure"]["description"]
        missing = [k for k in (*FAILURE_WORDS, INTERNAL_FAILURE, LOST_FAILURE) if k not in described]
        assert not missing, (name, missing)


SCHEDULE = {"task": "compliance.waivers.expire"}
UPLOAD = {"name": "local-model", "card": "# A model"}
# (path, method, body, whether the document and the server accept it)
BODIES = [
    ("/api/v1/checks", "post", {"model": "acme/x"}, True),
    ("/api/v1/checks", "post", {"upload": UPLOAD, "model": None}, True),
    ("/api/v1/checks", "post", {"model": "acme/x", "upload": UPLOAD}, False),
    ("/api/v1/checks", "post", {}, False),
    ("/api/v1/checks", "post", {"upload": UPLOAD, "revision": "main"}, False),
    ("/api/v1/checks", "post", {"upload": {"name": "local-model"}}, False),
    ("/api/v1/scans", "post", {"author": "acme"}, True),
    ("/api/v1/scans", "post", {"models": ["acme/a"], "author": None}, True),
    ("/api/v1/scans", "post", {"author": "acme", "search": "llama"}, False),
    ("/api/v1/scans", "post", {"name": "nothing to scan"}, False),
    ("/api/v1/schedules", "post", {**SCHEDULE, "every_seconds": 3600.0}, True),
    ("/api/v1/schedules", "post", {**SCHEDULE, "crontab": "@daily", "every_seconds": None}, True),
    ("/api/v1/schedules", "post", {**SCHEDULE, "crontab": "@daily", "every_seconds": 3600}, False),
    ("/api/v1/schedules", "post", SCHEDULE, False),
    ("/api/v1/schedules", "post", {"task": "compliance.scans.scan_target", "every_seconds": 3600}, False),
    ("/api/v1/schedules/{schedule_id}", "patch", {"enabled": False}, True),
    ("/api/v1/schedules/{schedule_id}", "patch", {"crontab": "@daily", "every_seconds": 3600}, False),
]


@pytest.mark.parametrize(("path", "method", "body", "accepted"), BODIES)
def test_the_document_and_the_server_agree_on_which_bodies_to_accept(
    api: Any, document: dict[str, Any], path: str, method: str, body: dict[str, Any], accepted: bool
) -> None:
    valid = jsonschema.Draft202012Validator(_schema_of(document, path, method)).is_valid(body)
    if "{schedule_id}" in path:
        schedule = api.post("/api/v1/schedules", json={**SCHEDULE, "every_seconds": 3600}).get_json()
        path = path.format(schedule_id=schedule["id"])
    answer = api.request(method.upper(), path, json=body)
    assert (valid, answer.status_code < 300) == (accepted, accepted), answer.get_json()
    if not accepted:
        assert answer.status_code == 422
