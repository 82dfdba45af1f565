"""Headers, CSRF on every form, escaping of hostile model text, no inline script or style."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.dashboard.data import HOSTILE_CARD, registry_model, stored_check
from web.dashboard.present import safe_link
from web.dashboard.security import CSP

PAGES = ("/", "/checks", "/checks/new", "/models", "/scans", "/rules", "/hardware", "/waivers", "/audit", "/tokens")
# Every state-changing endpoint: each must refuse a POST without the CSRF token.
POSTS = ("/checks/new", "/waivers", "/waivers/1/revoke", "/targets", "/targets/1/scan", "/targets/1/toggle",
         "/tokens", "/tokens/1/revoke", "/logout", "/checks/{check}/rerun", "/checks/{check}/settle")  # fmt: skip


def test_csp_is_strict() -> None:
    assert "default-src 'self'" in CSP and "script-src 'self'" in CSP and "style-src 'self'" in CSP
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert "frame-ancestors 'none'" in CSP and "object-src 'none'" in CSP and "form-action 'self'" in CSP


def test_every_page_sends_the_security_headers(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    client = client_as("admin")
    anonymous = app.test_client()
    for path in (*PAGES, "/login", "/dashboard-static/dashboard.css", "/dashboard-static/dashboard.js"):
        response = (anonymous if path == "/login" else client).get(path)
        response.close()  # static files are streamed from disk
        assert response.status_code == 200, path
        assert response.headers["Content-Security-Policy"] == CSP, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
        if response.mimetype == "text/html":
            assert response.headers["Cache-Control"] == "no-store", path


def test_no_inline_script_style_or_handlers(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    check_id = stored_check(app, "acme/hostile", card=HOSTILE_CARD)
    client = client_as("admin")
    for path in (*PAGES, "/login", f"/checks/{check_id}", f"/checks/{check_id}/print", "/models/acme/hostile"):
        html = client.get(path).get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert all(re.search(r'\bsrc="/dashboard-static/', s) for s in scripts), (path, scripts)
        assert not re.search(r"<style\b", html), path
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"<[a-z][^>]*\son[a-z]+=", html), path


def test_hostile_card_text_is_escaped_everywhere(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    check_id = stored_check(app, "acme/hostile", card=HOSTILE_CARD)
    registry_model(app, "acme/hostile", check_id)
    client = client_as("viewer")
    for path in (f"/checks/{check_id}", f"/checks/{check_id}/print", "/models", "/models/acme/hostile", "/"):
        html = client.get(path).get_data(as_text=True)
        assert "window.__xss" not in html.replace("&lt;script&gt;window.__xss", ""), path
        assert "<script>window" not in html and "<img src=x" not in html and "<b onmouseover" not in html, path
    page = client.get(f"/checks/{check_id}").get_data(as_text=True)
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in page  # shown as text, not run


@pytest.mark.parametrize("path", POSTS)
def test_every_form_needs_its_csrf_token(app: Flask, client_as: Callable[[str], FlaskClient], path: str) -> None:
    check_id = stored_check(app, "acme/model-a", run=False)
    client = client_as("admin")
    response = client.post(path.format(check=check_id), data={"model_id": "acme/x", "name": "x", "kind": "author",
                                                                "value": "acme", "role": "viewer"})  # fmt: skip
    assert response.status_code == 400, path
    assert client.get("/tokens").status_code == 200  # still logged in, nothing changed


def test_links_from_rule_sets_must_be_http() -> None:
    assert (
        safe_link("https://eur-lex.europa.eu/eli/reg/2024/1689/oj") == "https://eur-lex.europa.eu/eli/reg/2024/1689/oj"
    )
    assert safe_link("javascript:alert(1)") is None
    assert safe_link("data:text/html,x") is None
    assert safe_link("//evil.example/") is None
    assert safe_link(None) is None


# --- issue 12, defect 5: a 429 says when to come back ------------------------------------


def test_a_refused_event_is_a_429_with_the_seconds_until_a_slot_frees() -> None:
    from werkzeug.exceptions import TooManyRequests

    from web.dashboard.security import RateLimits

    rate = RateLimits()
    for _ in range(3):
        rate.enforce("3 per minute", "test", "key", message="slow down")
    with pytest.raises(TooManyRequests) as refused:
        rate.enforce("3 per minute", "test", "key", message="slow down")
    headers = dict(refused.value.get_headers())
    assert refused.value.description == "slow down" and 1 <= int(headers["Retry-After"]) <= 60
    rate.enforce("3 per minute", "test", "other key", message="slow down")  # counted per key


def test_too_many_log_ins_answer_429_with_retry_after(app: Flask) -> None:
    from tests.web.dashboard.conftest import login

    client = app.test_client()
    answers = [login(client, "viewer@example.com", "wrong password entirely") for _ in range(11)]
    refused = answers[-1]
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-Frame-Options"] == "DENY"
