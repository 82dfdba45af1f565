"""Migrations: they build the schema the tables declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from compliance.storage.migrate import (
    alembic_config,
    check_migrations,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from compliance.storage.tables import METADATA
from tests.compliance.storage.databases import BACKENDS, create_database, drop_database, postgres_admin_engine


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables at all)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = postgres_admin_engine()
    url = create_database(admin, prefix="compliance_migrate")
    try:
        yield url
    finally:
        drop_database(admin, url)
        admin.dispose()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_to_head_then_models_and_migrations_agree(empty_url: str) -> None:
    upgrade(empty_url)
    assert current_revision(empty_url) == head_revision()
    assert check_migrations(empty_url) == []
    assert {t.name for t in METADATA.sorted_tables} <= _tables(empty_url)


def test_check_migrations_reports_an_unmigrated_database(empty_url: str) -> None:
    problems = check_migrations(empty_url)
    assert problems[0].startswith("database is at revision None")
    assert "add_table: checks" in problems


def test_check_migrations_reports_schema_drift(empty_url: str) -> None:
    upgrade(empty_url)
    engine = sa.create_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP INDEX ix_findings_rule_id_verdict"))
            connection.execute(sa.text("ALTER TABLE checks ADD COLUMN stray INTEGER"))
    finally:
        engine.dispose()
    problems = check_migrations(empty_url)
    assert any("add_index" in p and "ix_findings_rule_id_verdict" in p for p in problems), problems
    assert any("remove_column" in p and "stray" in p for p in problems), problems


def test_downgrade_to_base_removes_our_tables_and_upgrade_restores_them(empty_url: str) -> None:
    upgrade(empty_url)
    downgrade(empty_url, "base")
    assert _tables(empty_url) <= {"alembic_version"}
    upgrade(empty_url)
    assert check_migrations(empty_url) == []


def test_foreign_tables_are_not_reported(empty_url: str) -> None:
    upgrade(empty_url)
    engine = sa.create_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE celery_taskmeta (id INTEGER PRIMARY KEY)"))
    finally:
        engine.dispose()
    assert check_migrations(empty_url) == []


def test_alembic_config_keeps_percent_signs_in_the_url() -> None:
    url = "postgresql+psycopg://user:p%40ss@db.example/compliance"
    config = alembic_config(url)
    assert config.get_main_option("sqlalchemy.url") == url
    assert Path(str(config.get_main_option("script_location"))).joinpath("env.py").is_file()


def test_revision_0002_gives_existing_accounts_a_session_generation_and_goes_back(empty_url: str) -> None:
    upgrade(empty_url, "0001")
    engine = sa.create_engine(empty_url)
    insert = sa.text(
        "INSERT INTO users (email, password_hash, role, disabled, created_at) "
        "VALUES ('a@example.com', 'x', 'viewer', false, CURRENT_TIMESTAMP)"
    )
    generation = sa.text("SELECT session_generation FROM users WHERE email = 'a@example.com'")
    try:
        with engine.begin() as connection:
            connection.execute(insert)
        upgrade(empty_url, "0002")
        with engine.connect() as connection:
            assert connection.execute(generation).scalar_one() == 0
        downgrade(empty_url, "0001")
        columns = {c["name"] for c in sa.inspect(engine).get_columns("users")}
        assert "session_generation" not in columns and "email" in columns
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 1
    finally:
        engine.dispose()


def test_revision_0004_adds_the_fingerprints_table_and_goes_back(empty_url: str) -> None:
    upgrade(empty_url, "0003")
    assert "fingerprints" not in _tables(empty_url)
    upgrade(empty_url, "0004")
    engine = sa.create_engine(empty_url)
    try:
        unique = {tuple(u["column_names"]) for u in sa.inspect(engine).get_unique_constraints("fingerprints")}
        assert ("model_ref", "revision") in unique
    finally:
        engine.dispose()
    downgrade(empty_url, "0003")
    assert "fingerprints" not in _tables(empty_url) and "checks" in _tables(empty_url)


def test_revision_0005_adds_runners_and_settles_what_finished_scans_left_running(empty_url: str) -> None:
    upgrade(empty_url, "0004")
    engine = sa.create_engine(empty_url)
    rows = [
        "INSERT INTO scans (id, kind, status, trigger, total, done, skipped, errors, changes, attempts, created_at) "
        "VALUES (1, 'registry', 'failed', 'api', 2, 0, 0, 0, 0, 5, CURRENT_TIMESTAMP), "
        "(2, 'registry', 'running', 'api', 1, 0, 0, 0, 0, 1, CURRENT_TIMESTAMP)",
        "INSERT INTO checks (id, model_ref, source, status, attempts, created_at, estimator_version) "
        "VALUES ('c1', 'acme/a', 'scan', 'running', 1, CURRENT_TIMESTAMP, 'x'), "
        "('c2', 'acme/b', 'scan', 'running', 1, CURRENT_TIMESTAMP, 'x')",
        "INSERT INTO scan_items (scan_id, model_id, status, check_id) "
        "VALUES (1, 'acme/a', 'running', 'c1'), (1, 'acme/z', 'pending', NULL), (2, 'acme/b', 'running', 'c2')",
    ]
    try:
        with engine.begin() as connection:
            for statement in rows:
                connection.execute(sa.text(statement))
        upgrade(empty_url, "0005")
        with engine.connect() as connection:
            items = dict(connection.execute(sa.text("SELECT model_id, status FROM scan_items")).all())
            checks = dict(connection.execute(sa.text("SELECT id, status || '/' || failure FROM checks")).all())
            checks.update(connection.execute(sa.text("SELECT id, status FROM checks WHERE failure IS NULL")).all())
        # The failed scan's leftovers are failed; the running scan is left to its runners.
        assert items == {"acme/a": "failed", "acme/z": "failed", "acme/b": "running"}
        assert checks == {"c1": "failed/lost", "c2": "running"}
        assert "scan_runners" in _tables(empty_url)
        downgrade(empty_url, "0004")
        assert "scan_runners" not in _tables(empty_url)
    finally:
        engine.dispose()
