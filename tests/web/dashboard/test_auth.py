"""Log-in, log-out, sessions, roles and the log-in rate limit."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from compliance.storage.db import session_scope
from compliance.storage.tables import UserRow
from tests.web.dashboard.conftest import csrf_from, login


def test_anonymous_visitors_are_sent_to_the_login_page(app: Flask) -> None:
    client = app.test_client()
    for path in ("/", "/checks", "/models", "/scans", "/rules", "/waivers", "/audit"):
        response = client.get(path)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"], path
    status = client.get("/checks/abc/status")
    assert status.status_code == 401 and status.get_json() == {"error": "sign in first"}


def test_login_sets_a_hardened_session_cookie_and_returns_to_next(app: Flask) -> None:
    client = app.test_client()
    token = csrf_from(client.get("/login?next=/rules").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": "Viewer@Example.com", "password": "correct horse battery staple",
                        "csrf_token": token, "next": "/rules"},
    )  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == "/rules"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over plain http; production sets it (below)
    assert client.get("/rules").status_code == 200


def test_production_cookies_are_secure(settings, celery) -> None:  # type: ignore[no-untyped-def]
    from tests.web.dashboard.conftest import make_app

    app = make_app(settings.with_overrides(environment="production", secret_key="x" * 32), celery=celery)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    client = app.test_client()
    response = client.get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_wrong_password_and_unknown_account_say_the_same(app: Flask) -> None:
    client = app.test_client()
    bad = login(client, "viewer@example.com", "wrong password entirely")
    unknown = login(client, "nobody@example.com", "wrong password entirely")
    assert bad.status_code == unknown.status_code == 400
    message = "E-mail or password is wrong, or the account is disabled."
    assert message in bad.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/login", data={"email": "viewer@example.com", "password": "correct horse battery staple"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_next_never_leaves_the_site(app: Flask) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login", data={"email": "viewer@example.com", "password": "correct horse battery staple",
                            "csrf_token": token, "next": target},
        )  # fmt: skip
        assert response.headers["Location"] == "/", target


def test_logout_is_a_post_with_a_csrf_token(client_as: Callable[[str], FlaskClient]) -> None:
    client = client_as("viewer")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_a_disabled_account_loses_its_session_at_once(app: Flask, client_as: Callable[[str], FlaskClient]) -> None:
    client = client_as("submitter")
    assert client.get("/checks/new").status_code == 200
    with session_scope(app.extensions["dashboard"].engine) as session:
        user = session.exec(select(UserRow).where(UserRow.email == "submitter@example.com")).one()
        user.disabled = True
    assert client.get("/checks/new").status_code == 302


def test_roles_gate_pages_and_actions(client_as: Callable[[str], FlaskClient]) -> None:
    viewer, submitter, reviewer, admin = (client_as(r) for r in ("viewer", "submitter", "reviewer", "admin"))
    assert viewer.get("/checks/new").status_code == 403
    assert submitter.get("/checks/new").status_code == 200
    assert submitter.post("/waivers", data={}).status_code == 403
    assert reviewer.get("/tokens").status_code == 403
    assert reviewer.post("/targets", data={}).status_code == 403
    assert admin.get("/tokens").status_code == 200
    nav = viewer.get("/").get_data(as_text=True)
    assert 'href="/tokens"' not in nav and 'href="/checks/new"' not in nav
    assert 'href="/tokens"' in admin.get("/").get_data(as_text=True)


def test_login_is_rate_limited_per_address(app: Flask) -> None:
    client = app.test_client()
    codes = [login(client, "viewer@example.com", "wrong password entirely").status_code for _ in range(11)]
    assert codes[:10] == [400] * 10 and codes[10] == 429
    # Even the right password waits out the window.
    assert login(client, "viewer@example.com").status_code == 429
