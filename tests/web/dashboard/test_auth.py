"""Log-in, log-out, sessions, roles and the log-in rate limit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from compliance.services import users
from compliance.settings import Settings
from compliance.storage.db import session_scope
from compliance.storage.tables import UserRow
from tests.web.dashboard.conftest import PASSWORD, csrf_from, login
from tests.web.support import RecordingCelery


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


# --- issue 12, defect 1: the log-in redirect stays on this site ---------------------------

HOSTILE_NEXT = ["/\t/evil.example/phish", "/\n/evil", "/\r\n/evil", "/\\evil.example", "\\/evil.example",
                " //evil.example", "//evil.example", "https://evil.example/"]  # fmt: skip


def test_a_signed_in_visit_to_login_never_redirects_off_site(client_as: Callable[[str], FlaskClient]) -> None:
    client = client_as("viewer")
    for target in HOSTILE_NEXT:
        response = client.get("/login", query_string={"next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/", repr(target)
    assert client.get("/login?next=/%09/evil.example/phish").headers["Location"] == "/"
    assert client.get("/login?next=/%0a/evil").headers["Location"] == "/"  # was a 500
    assert client.get("/login?next=/rules%3Fpage%3D2").headers["Location"] == "/rules?page=2"


def test_a_login_post_never_redirects_off_site(app: Flask) -> None:
    for target in HOSTILE_NEXT:
        client = app.test_client()
        page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
        assert "evil" not in page, repr(target)  # not even carried into the form
        response = client.post(
            "/login", data={"email": "viewer@example.com", "password": PASSWORD,
                            "csrf_token": csrf_from(page), "next": target},
        )  # fmt: skip
        assert response.status_code == 302 and response.headers["Location"] == "/", repr(target)


# --- issue 12, defect 2: sessions end on the server, and after 12 hours ------------------


def saved_cookie(client: FlaskClient) -> str:
    """The session cookie as a browser (or an attacker) would have saved it."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str) -> FlaskClient:
    """A new browser that sends a saved session cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def assert_refused(app: Flask, cookie: str, csrf_token: str, celery: RecordingCelery) -> None:
    """A replayed cookie reads no page, submits no check, and is anonymous to JSON routes."""
    client = replay(app, cookie)
    page = client.get("/checks")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=")
    submitted = client.post("/checks/new", data={"csrf_token": csrf_token, "model_id": "acme/model", "fail_on": "high"})
    assert submitted.status_code == 302 and submitted.headers["Location"].startswith("/login")
    assert client.get("/checks/abc/status").status_code == 401
    assert celery.sent == []


def _signed_in(client_as: Callable[[str], FlaskClient], role: str) -> tuple[FlaskClient, str, str]:
    client = client_as(role)
    token = csrf_from(client.get("/checks/new" if role != "viewer" else "/").get_data(as_text=True))
    return client, saved_cookie(client), token


def test_a_cookie_saved_before_logout_is_refused_and_every_session_ends(
    app: Flask, client_as: Callable[[str], FlaskClient], celery: RecordingCelery
) -> None:
    client, cookie, token = _signed_in(client_as, "submitter")
    other_browser = client_as("submitter")
    assert replay(app, cookie).get("/checks/new").status_code == 200  # the replay itself works while signed in
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert_refused(app, cookie, token, celery)
    assert other_browser.get("/checks").status_code == 302
    assert client_as("submitter").get("/checks/new").status_code == 200  # a new log-in works


@pytest.mark.parametrize(
    "change",
    [
        lambda s, uid: users.set_password(s, uid, password="a brand new passphrase", actor="admin@example.com"),
        lambda s, uid: users.set_role(s, uid, role="viewer", actor="admin@example.com"),
        lambda s, uid: users.set_disabled(s, uid, disabled=True, actor="admin@example.com"),
    ],
    ids=["password", "role", "disable"],
)
def test_a_cookie_saved_before_an_account_change_is_refused(
    app: Flask,
    client_as: Callable[[str], FlaskClient],
    celery: RecordingCelery,
    change: Callable[[Session, int], object],
) -> None:
    _client, cookie, token = _signed_in(client_as, "submitter")
    with session_scope(app.extensions["dashboard"].engine) as session:
        user = session.exec(select(UserRow).where(UserRow.email == "submitter@example.com")).one()
        assert user.id is not None
        change(session, user.id)
        users.set_disabled(session, user.id, disabled=False, actor="admin@example.com")  # re-enabling revives nothing
    assert_refused(app, cookie, token, celery)


def test_sessions_last_twelve_hours_counted_on_the_server(
    app: Flask, client_as: Callable[[str], FlaskClient], celery: RecordingCelery
) -> None:
    assert app.permanent_session_lifetime == timedelta(hours=12)  # was Flask's 31 days
    login_time = datetime.now(UTC)
    client, cookie, token = _signed_in(client_as, "submitter")
    expires = client.get_cookie("session").expires  # type: ignore[union-attr]
    assert expires is not None and abs(expires - (login_time + timedelta(hours=12))) < timedelta(minutes=1)
    dashboard = app.extensions["dashboard"]
    dashboard.clock = lambda: login_time + timedelta(hours=11, minutes=58)
    assert replay(app, cookie).get("/checks").status_code == 200
    assert client.get("/checks").status_code == 200
    refreshed = saved_cookie(client)
    dashboard.clock = lambda: login_time + timedelta(hours=12, seconds=1)
    assert_refused(app, cookie, token, celery)
    assert_refused(app, refreshed, token, celery)  # a cookie re-issued later still carries its log-in time
    assert client.get("/checks").status_code == 302


def test_the_session_lifetime_comes_from_the_settings(settings: Settings, celery: RecordingCelery) -> None:
    from tests.web.dashboard.conftest import make_app

    app = make_app(settings.with_overrides(session_hours=0.5), celery=celery)
    assert app.permanent_session_lifetime == timedelta(minutes=30)
    client = app.test_client()
    assert login(client, "viewer@example.com").status_code == 302
    cookie = saved_cookie(client)
    app.extensions["dashboard"].clock = lambda: datetime.now(UTC) + timedelta(minutes=31)
    assert replay(app, cookie).get("/").status_code == 302


def test_a_session_from_before_revocable_sessions_is_refused(app: Flask) -> None:
    client = app.test_client()
    with client.session_transaction() as old:  # what the cookie held before: no generation, an ISO time
        old["user_id"], old["login_at"] = 1, datetime.now(UTC).isoformat(timespec="seconds")
        old.permanent = True
    assert client.get("/").status_code == 302


def test_revocation_works_on_both_database_backends(database_url: str, tmp_path: Path, celery: RecordingCelery) -> None:
    from compliance.storage.db import make_engine
    from tests.web.dashboard.conftest import make_app

    engine = make_engine(database_url)
    with session_scope(engine) as session:
        users.create_user(session, email="submitter@example.com", password=PASSWORD, role="submitter", created_by="t")
    engine.dispose()
    settings = Settings(data_dir=tmp_path, database_url=database_url, hub_offline=True, secret_key="test-secret")
    app = make_app(settings, celery=celery)
    try:
        client = app.test_client()
        assert login(client, "submitter@example.com").status_code == 302
        token = csrf_from(client.get("/checks/new").get_data(as_text=True))
        cookie = saved_cookie(client)
        assert client.post("/logout", data={"csrf_token": token}).status_code == 302
        assert_refused(app, cookie, token, celery)
        assert login(client, "submitter@example.com").status_code == 302
        cookie = saved_cookie(client)
        with session_scope(app.extensions["dashboard"].engine) as session:
            user = users.get_user_by_email(session, "submitter@example.com")
            assert user is not None and user.id is not None and user.session_generation == 1
            users.set_password(session, user.id, password="a brand new passphrase", actor="t")
        assert_refused(app, cookie, token, celery)
    finally:
        app.extensions["dashboard"].engine.dispose()
        app.extensions["compliance"].database.dispose()
