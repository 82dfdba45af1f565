"""Engines, sessions, after-commit hooks and the UTC column type."""

from __future__ import annotations

import importlib.util
import re
import threading
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from compliance.errors import UsageError
from compliance.storage.db import (
    SessionFactory,
    after_commit,
    database_url,
    insert_ignore,
    make_engine,
    session_scope,
)
from compliance.storage.tables import AuditEventRow, ModelRow


def _event(actor: str = "alice") -> AuditEventRow:
    return AuditEventRow(actor=actor, action="test.write", object_type="test", object_id="1")


def test_sqlite_engine_turns_on_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar() == 30_000
    engine.dispose()


def test_make_engine_rejects_a_malformed_url() -> None:
    with pytest.raises(UsageError, match="not a database URL"):
        make_engine("no scheme here")


def test_session_scope_commits_on_success_and_rolls_back_on_error(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(_event("kept"))
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(_event("dropped"))
        session.flush()
        raise RuntimeError("boom")
    with Session(engine) as session:
        assert [e.actor for e in session.exec(select(AuditEventRow)).all()] == ["kept"]


def test_after_commit_runs_once_committed_and_sees_the_data(engine: Engine) -> None:
    seen: list[int] = []

    def count_from_another_connection() -> None:
        with Session(engine) as other:
            seen.append(len(other.exec(select(AuditEventRow)).all()))

    with session_scope(engine) as session:
        session.add(_event())
        session.flush()
        after_commit(session, count_from_another_connection)
        assert seen == []
    assert seen == [1]


def test_after_commit_callbacks_are_dropped_on_rollback(engine: Engine) -> None:
    called: list[str] = []
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(_event())
        after_commit(session, lambda: called.append("rolled back"))
        raise RuntimeError("boom")
    with session_scope(engine) as session:  # a later transaction on a new session runs only its own
        session.add(_event())
        after_commit(session, lambda: called.append("second"))
    assert called == ["second"]


def test_after_commit_hooks_do_not_leak_into_the_next_transaction(engine: Engine) -> None:
    called: list[str] = []
    with Session(engine) as session:
        session.add(_event())
        after_commit(session, lambda: called.append("first"))
        session.commit()
        session.add(_event())
        session.commit()
    assert called == ["first"]


def test_insert_ignore_skips_existing_rows(session: Session) -> None:
    now = datetime.now(UTC)
    row = {"id": "acme/a", "first_seen": now, "last_seen": now}
    assert insert_ignore(session, ModelRow, [row, {**row, "id": "acme/b"}], conflict=["id"]) == 2
    assert insert_ignore(session, ModelRow, [row, {**row, "id": "acme/c"}], conflict=["id"]) == 1
    session.commit()
    assert sorted(m.id for m in session.exec(select(ModelRow)).all()) == ["acme/a", "acme/b", "acme/c"]


def test_timestamps_come_back_aware_and_in_utc(session: Session) -> None:
    paris = timezone(timedelta(hours=2))
    session.add(AuditEventRow(at=datetime(2026, 6, 1, 14, 0, tzinfo=paris), actor="a", action="x", object_type="t",
                              object_id="1"))  # fmt: skip
    session.commit()
    session.expire_all()
    event = session.exec(select(AuditEventRow)).one()
    assert event.at == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert event.at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(session: Session) -> None:
    session.add(AuditEventRow(at=datetime(2026, 6, 1, 12, 0), actor="a", action="x", object_type="t", object_id="1"))
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        session.flush()


def test_concurrent_writers_all_succeed(session_factory: SessionFactory) -> None:
    # The web process and several workers write at once: on SQLite, WAL plus busy_timeout must
    # queue them rather than fail with "database is locked".
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for _ in range(25):
                with session_scope(session_factory) as session:
                    session.add(_event(f"worker-{worker}"))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(session_factory) as session:
        assert len(session.exec(select(AuditEventRow)).all()) == 100


def test_the_sqlite_file_s_directory_is_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'nested' / 'compliance.db'}"
    engine = make_engine(url)
    with engine.connect() as connection:
        connection.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    assert (tmp_path / "var" / "nested" / "compliance.db").is_file()


def test_a_database_other_than_sqlite_or_postgresql_is_refused_at_once() -> None:
    with pytest.raises(UsageError, match="unsupported database 'mysql'") as info:
        make_engine("mysql://user:secret@db.example/app")
    assert "secret" not in str(info.value)  # the password is never echoed


class _AbsentDriverDialect(PGDialect_psycopg):
    """A PostgreSQL dialect whose DBAPI module is not installed."""

    driver = "absentdriver"

    @classmethod
    def import_dbapi(cls) -> Any:
        raise ModuleNotFoundError("No module named 'absent_driver'", name="absent_driver")


def test_a_driver_that_is_not_installed_is_one_line_naming_the_package() -> None:
    registry.register("postgresql.absentdriver", __name__, "_AbsentDriverDialect")
    with pytest.raises(UsageError) as info:
        make_engine("postgresql+absentdriver://ci:secret@db.example/app")
    message = str(info.value)
    assert "pip install 'absent_driver'" in message and "postgresql+psycopg://" in message
    assert "secret" not in message and "\n" not in message


@pytest.mark.parametrize(
    ("url", "module", "package"),
    [
        ("postgresql+psycopg2://ci:secret@db.example/app", "psycopg2", "psycopg2-binary"),
        ("postgresql+pg8000://ci:secret@db.example/app", "pg8000", "pg8000"),
    ],
)
def test_the_usual_missing_drivers_name_their_pip_package(url: str, module: str, package: str) -> None:
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here")
    with pytest.raises(UsageError, match=re.escape(f"pip install '{package}'")) as info:
        make_engine(url)
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql+asyncpg://u@db.example/app", "asynchronous driver"),
        ("sqlite+aiosqlite:///x.db", "asynchronous driver"),
        ("postgresql+nosuchdriver://u@db.example/app", "unknown database driver"),
        ("mysql+pymysql://u@db.example/app", "unsupported database 'mysql'"),
    ],
)
def test_drivers_the_service_cannot_use_are_refused(url: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        make_engine(url)


def test_a_bare_postgresql_url_uses_the_installed_psycopg() -> None:
    engine = make_engine("postgresql://u@db.example/app")  # nothing connects until used
    assert engine.url.drivername == "postgresql+psycopg" and engine.dialect.driver == "psycopg"
    engine.dispose()
    # Another library opening the URL itself gets SQLAlchemy's own choice, checked as such.
    assert database_url("postgresql://u@db.example/app", as_given=True).drivername == "postgresql"


def test_the_default_install_carries_the_postgresql_driver() -> None:
    project = tomllib.loads((Path(__file__).resolve().parents[3] / "pyproject.toml").read_text())["project"]
    assert any(dep.replace(" ", "").startswith("psycopg[binary]") for dep in project["dependencies"])
    assert "postgres" in project["optional-dependencies"]  # the old extra still installs
