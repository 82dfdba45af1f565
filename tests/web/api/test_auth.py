"""Every endpoint enforces its role: no token 401, a weaker role 403, the role itself gets in."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import ROLES
from tests.web.support import ApiClient


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", template)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = []
    for template, methods in document["paths"].items():
        for method, operation in methods.items():
            if "x-role" in operation:
                out.append((method.upper(), _path(template), operation["x-role"]))
    return out


def test_every_endpoint_refuses_requests_without_a_token(api: ApiClient, document: dict[str, Any]) -> None:
    anonymous = api.as_(None)
    operations = _operations(document)
    assert len(operations) >= 25
    for method, path, _role in operations:
        response = anonymous.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert "token" in response.get_json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_endpoint_refuses_a_role_below_its_own(
    api: ApiClient, document: dict[str, Any], tokens: dict[str, str]
) -> None:
    checked = 0
    for method, path, role in _operations(document):
        for weaker in ROLES[: ROLES.index(role)]:
            response = api.as_(tokens[weaker]).request(method, path, json={})
            assert response.status_code == 403, (method, path, weaker)
            assert role in response.get_json()["error"]
            checked += 1
    assert checked >= 35


def test_the_role_itself_gets_past_the_check(api: ApiClient, document: dict[str, Any], tokens: dict[str, str]) -> None:
    for method, path, role in _operations(document):
        response = api.as_(tokens[role]).request(method, path, json={})
        assert response.status_code not in (401, 403), (method, path, role)


def test_unknown_and_revoked_tokens_are_refused(api: ApiClient, database: Any, tokens: dict[str, str]) -> None:
    from compliance.services.tokens import authenticate_token, revoke_token
    from compliance.storage.db import session_scope

    assert api.as_("cmp_not-a-real-token").get("/api/v1/me").status_code == 401
    assert api.as_("garbage").get("/api/v1/me").status_code == 401
    response = api.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    with session_scope(database.session_factory) as session:
        row = authenticate_token(session, tokens["viewer"])
        assert row is not None and row.id is not None
        revoke_token(session, row.id, actor="tests")
    assert api.as_(tokens["viewer"]).get("/api/v1/me").status_code == 401


def test_me_names_the_token(api: ApiClient, tokens: dict[str, str]) -> None:
    body = api.as_(tokens["reviewer"]).get("/api/v1/me").get_json()
    assert body["name"] == "test-reviewer" and body["role"] == "reviewer"
