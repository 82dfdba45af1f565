"""Security headers on every answer the app gives, walked over the URL map (so new routes are covered).

Every API answer says ``nosniff`` and ``no-store`` (the one carrying a new token's secret
included); error pages outside the dashboard forbid framing and loading; every 405 says which
methods the path takes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest

ARG = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?\w+>")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "TRACE")


def concrete(rule: str) -> str:
    """A path the rule matches: 1 for every argument (an id in range, or a short name)."""
    return ARG.sub("1", rule)


def methods_by_path(app: Any) -> dict[str, set[str]]:
    """Each concrete path and the methods some rule takes on it."""
    out: dict[str, set[str]] = defaultdict(set)
    for rule in app.url_map.iter_rules():
        out[concrete(rule.rule)] |= set(rule.methods)
    return out


def api_routes(app: Any) -> list[tuple[str, str]]:
    """(path, method) for every API route, ``/healthz`` included."""
    return sorted(
        (concrete(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/api/", "/healthz"))
        for method in rule.methods - {"OPTIONS", "HEAD"}
    )


def assert_not_framed_or_sniffed(response: Any) -> None:
    """The headers every page outside the dashboard carries."""
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_every_api_answer_is_not_sniffed_nor_stored(app: Any, tokens: dict[str, str]) -> None:
    client = app.test_client()
    routes = api_routes(app)
    assert len(routes) > 30
    for token in (tokens["admin"], "not-a-token"):
        for path, method in routes:
            response = client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, json={})
            assert response.headers.get("X-Content-Type-Options") == "nosniff", (method, path)
            assert response.headers.get("Cache-Control") == "no-store", (method, path)


def test_the_answer_carrying_a_new_token_is_not_stored(app: Any, tokens: dict[str, str]) -> None:
    response = app.test_client().post(
        "/api/v1/tokens", json={"name": "ci", "role": "viewer"}, headers={"Authorization": f"Bearer {tokens['admin']}"}
    )
    assert response.status_code == 201 and response.get_json()["token"].startswith("cmp_")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
@pytest.mark.parametrize("path", ["/no/such/page", "/api/v1/no-such-thing", "/healthz/x"])
def test_a_404_outside_the_dashboard_is_not_framed_or_sniffed(app: Any, path: str, accept: str) -> None:
    response = app.test_client().get(path, headers={"Accept": accept})
    assert response.status_code == 404
    assert_not_framed_or_sniffed(response)


def test_every_405_says_which_methods_the_path_takes(app: Any) -> None:
    client = app.test_client()
    seen = 0
    for path, allowed in sorted(methods_by_path(app).items()):
        for method in (m for m in METHODS if m not in allowed):
            response = client.open(path, method=method, headers={"Accept": "text/html"})
            assert response.status_code == 405, (method, path)
            assert set(response.headers.get("Allow", "").replace(" ", "").split(",")) == allowed, (method, path)
            if not path.startswith("/dashboard-static/"):
                assert_not_framed_or_sniffed(response)
            seen += 1
    assert seen > 100


def test_an_api_405_is_json_with_its_allow(app: Any) -> None:
    response = app.test_client().open("/api/v1/checks", method="DELETE")
    assert response.status_code == 405 and "error" in response.get_json()
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert response.headers["Cache-Control"] == "no-store"
