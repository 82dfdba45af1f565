"""Engines, sessions, after-commit hooks and the UTC column type."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from compliance.errors import UsageError
from compliance.storage.db import SessionFactory, after_commit, insert_ignore, make_engine, session_scope
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
