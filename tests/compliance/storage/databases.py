"""Database fixtures for storage and service tests: SQLite and PostgreSQL, both migrated.

Every test that asks for ``database_url`` (or ``engine``, ``session_factory``, ``session``)
runs twice, once per backend. SQLite: each test gets a copy of a database file migrated once
per session. PostgreSQL (``TEST_POSTGRES_URL``, default the local trust-auth server): a
throwaway database is created and migrated once per session, every table is emptied before
each test, and the database is dropped at the end. Without a reachable server the PostgreSQL
runs are skipped with the reason, except under ``CI=true`` where they fail: CI must not pass
by silently testing one backend.

Imported by the ``conftest.py`` files that need it (pytest only loads ``pytest_plugins`` from
the root conftest).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from compliance.storage.db import SessionFactory, make_engine
from compliance.storage.db import session_factory as make_session_factory
from compliance.storage.migrate import upgrade
from compliance.storage.tables import METADATA

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# The "services" marker lets a developer without PostgreSQL deselect those runs: -m "not services".
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def postgres_admin_engine() -> Engine:
    """An autocommit engine on the server's maintenance database, or skip (fail under CI)."""
    engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        reason = (
            f"PostgreSQL not reachable at {sa.make_url(POSTGRES_URL).render_as_string()}: {str(exc).splitlines()[0]}"
        )
        if _in_ci():
            pytest.fail(reason + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    return engine


def create_database(admin: Engine, prefix: str = "compliance_test") -> str:
    """Create an empty throwaway database; returns its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(admin: Engine, url: str) -> None:
    """Drop a database created by :func:`create_database`, closing any connection left on it."""
    name = sa.make_url(url).database
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """A PostgreSQL database migrated to head for this test session, dropped afterwards."""
    admin = postgres_admin_engine()
    url = create_database(admin)
    try:
        upgrade(url)
        yield url
    finally:
        drop_database(admin, url)
        admin.dispose()


def _empty_postgres(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in METADATA.sorted_tables)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            # Replica mode switches off ordinary triggers, including the audit log's
            # append-only guard: emptying the tables between tests is the DBA's prerogative.
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for one test, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "compliance.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_session_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> SessionFactory:
    """New sessions on the test database (what run_check and run_scan take)."""
    return make_session_factory(engine)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """One session; the test commits when it wants the data visible to others."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
