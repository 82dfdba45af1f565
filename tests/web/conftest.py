"""Fixtures for the service tests (tests/web, except the hub server's and the dashboard's own).

``settings`` points at a SQLite database in the test's temporary directory, migrated; ``app``
is ``create_app`` with a recording task sender; ``tokens`` holds one token per role; ``api``
is a client that validates every answer against the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compliance.settings import Settings
from tests.web.support import ApiClient, RecordingCelery

ROLES = ("viewer", "submitter", "reviewer", "admin")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per session, copied for each test."""
    from compliance.storage.migrate import upgrade

    path = tmp_path_factory.mktemp("web-db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    """Settings for a migrated SQLite database and an embedded broker under ``tmp_path``."""
    import shutil

    data = tmp_path / "var"
    data.mkdir()
    shutil.copyfile(migrated_template, data / "compliance.db")
    return Settings(data_dir=data, hf_endpoint="http://127.0.0.1:9")


@pytest.fixture
def celery() -> RecordingCelery:
    """The web process's task sender, recording."""
    return RecordingCelery()


@pytest.fixture
def app(settings: Settings, celery: RecordingCelery) -> Iterator[Any]:
    """The web app on the test database."""
    from web.app import create_app

    app = create_app(settings, celery=celery, config={"TESTING": True})
    yield app
    app.extensions["compliance"].database.dispose()


@pytest.fixture
def database(app: Any) -> Any:
    """The app's :class:`web.db.Database`."""
    return app.extensions["compliance"].database


@pytest.fixture
def tokens(database: Any) -> dict[str, str]:
    """One token per role, by role name."""
    from compliance.services.tokens import create_token
    from compliance.storage.db import session_scope

    out = {}
    with session_scope(database.session_factory) as session:
        for role in ROLES:
            _, out[role] = create_token(session, name=f"test-{role}", role=role, created_by="tests")
    return out


@pytest.fixture
def document(app: Any) -> dict[str, Any]:
    """The served OpenAPI document."""
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


@pytest.fixture
def api(app: Any, document: dict[str, Any], tokens: dict[str, str]) -> ApiClient:
    """A validating client with the admin token (``api.as_(tokens["viewer"])`` for another)."""
    return ApiClient(app, document, tokens["admin"])
