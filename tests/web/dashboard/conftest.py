"""Fixtures for the dashboard: an app on a migrated SQLite file, accounts of each role, a client per role.

``app`` is the project's ``create_app`` (API and dashboard) with a task sender that records
(``celery.sent``), so these tests need no worker; the end-to-end tests (test_e2e.py) run the
real thing: a server, a worker process, the hub server and headless Chromium.
``database_url`` (from the storage tests) is an empty migrated database on each backend in
turn, for the tests that must pass on PostgreSQL too.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from compliance.settings import Settings
from tests.compliance.storage.databases import (  # noqa: F401 - fixtures, found by name
    database_url,
    postgres_session_url,
    sqlite_template,
)
from tests.web.support import RecordingCelery

PASSWORD = "correct horse battery staple"
ROLES = ("viewer", "submitter", "reviewer", "admin")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database at the newest schema with one account per role, copied per test."""
    from compliance.services.users import create_user
    from compliance.storage.db import make_engine, session_scope
    from compliance.storage.migrate import upgrade

    path = tmp_path_factory.mktemp("dashboard-db") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        for role in ROLES:
            create_user(session, email=f"{role}@example.com", password=PASSWORD, role=role, created_by="test")
    engine.dispose()
    return path


def make_app(settings: Settings, *, celery: Any) -> Flask:
    """The project's app (API and dashboard) with a task sender that records instead of sending."""
    from web.app import create_app

    return create_app(settings, celery=celery, config={"TESTING": True})


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    """Settings on a fresh copy of the migrated database."""
    data = tmp_path / "var"
    data.mkdir()
    shutil.copyfile(migrated_template, data / "compliance.db")
    return Settings(data_dir=data, hf_endpoint="http://127.0.0.1:9", hub_offline=True, secret_key="test-secret")


@pytest.fixture
def celery() -> RecordingCelery:
    """The task sender, recording (``celery.sent``)."""
    return RecordingCelery()


@pytest.fixture
def app(settings: Settings, celery: RecordingCelery) -> Iterator[Flask]:
    """The web app with the dashboard, on the test database."""
    flask_app = make_app(settings, celery=celery)
    yield flask_app
    flask_app.extensions["dashboard"].engine.dispose()
    flask_app.extensions["compliance"].database.dispose()


@pytest.fixture
def hub_app(settings: Settings, celery: RecordingCelery, hub: Any) -> Iterator[Flask]:
    """The web app reaching the test hub (demo registry), for checks run here of hub models."""
    flask_app = make_app(settings.with_overrides(hf_endpoint=hub.url, hub_offline=False, hub_retries=0), celery=celery)
    yield flask_app
    flask_app.extensions["dashboard"].engine.dispose()
    flask_app.extensions["compliance"].database.dispose()


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    """Log in through the form (fetching its CSRF token first)."""
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def csrf_from(html: str) -> str:
    """The first CSRF token in a page."""
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def client_as(app: Flask) -> Callable[[str], FlaskClient]:
    """``client_as("reviewer")``: a test client logged in with that role."""

    def make(role: str) -> FlaskClient:
        client = app.test_client()
        response = login(client, f"{role}@example.com")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return make
