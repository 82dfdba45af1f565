"""Engines, sessions and after-commit hooks.

SQLite is the default database and must be safe with the web process and several workers
writing at once: every connection turns on WAL (readers never block the writer), waits up to
``busy_timeout`` for the write lock instead of failing at once, and enforces foreign keys
(SQLite leaves them off by default). PostgreSQL gets ``pool_pre_ping`` so a connection the
server dropped is replaced instead of failing the next request.

Sessions are made with ``expire_on_commit=False``: services return rows that callers read
after the transaction ended (a Flask view serialising a check), which would otherwise need a
fresh query per attribute.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from compliance.errors import UsageError

SQLITE_BUSY_TIMEOUT_MS = 30_000
_AFTER_COMMIT_KEY = "compliance.after_commit"

SessionFactory = Callable[[], Session]
DEFAULT_PG = "postgresql+psycopg"
# The module a driver imports -> what to install for it.
_DRIVER_PACKAGES = {
    "psycopg": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "pg8000": "pg8000",
    "pysqlite2": "pysqlite3",
}


def database_url(url: str, *, as_given: bool = False) -> sa.URL:
    """``url`` parsed and checked: SQLite or PostgreSQL, with its driver importable.

    A bare ``postgresql://`` means psycopg (3), the driver installed with compliance, where
    SQLAlchemy before 2.1 picks psycopg2 (``as_given``: keep SQLAlchemy's choice, for a URL
    another library opens). A driver that is not installed is a UsageError naming the package to
    install, raised before anything connects (entry points call this at start-up).
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise UsageError(f"not a database URL: {_redact(url)!r}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise UsageError(
            f"unsupported database {parsed.get_backend_name()!r} in {_redact(url)!r}: "
            "use sqlite:///PATH or postgresql+psycopg://..."
        )
    if parsed.drivername == "postgresql" and not as_given:
        parsed = parsed.set(drivername=DEFAULT_PG)
    usual = "sqlite:///PATH" if parsed.get_backend_name() == "sqlite" else f"{DEFAULT_PG}://..."
    try:
        dialect = parsed.get_dialect()
    except sa.exc.NoSuchModuleError:
        raise UsageError(f"unknown database driver {parsed.drivername!r} in {_redact(url)!r}: use {usual}") from None
    if dialect.is_async:
        raise UsageError(f"the asynchronous driver in {_redact(url)!r} is not supported: use {usual}")
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        package = _DRIVER_PACKAGES.get(exc.name or "", exc.name or parsed.get_driver_name())
        why = "" if isinstance(exc, ModuleNotFoundError) else f" ({' '.join(str(exc).split())})"
        raise UsageError(
            f"the database driver {parsed.get_driver_name()!r} in {_redact(url)!r} is not installed{why}: "
            f"pip install '{package}', or use {usual}, whose driver comes with compliance"
        ) from None
    return parsed


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``), configured as above."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            # The default database lives in data_dir, which a fresh checkout does not have yet.
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            parsed, echo=echo, json_serializer=_to_json, connect_args={"check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(parsed, echo=echo, json_serializer=_to_json, pool_pre_ping=True)


def _to_json(value: Any) -> str:
    # Strict JSON on every backend: PostgreSQL rejects NaN and Infinity, so SQLite must too,
    # or a report would store in development and fail in production. Compact, to save space.
    return json.dumps(value, allow_nan=False, separators=(",", ":"), ensure_ascii=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # an in-memory database answers "memory": fine
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint; safe with WAL
    finally:
        cursor.close()


def _redact(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url.split("@")[-1]


def session_factory(engine: Engine) -> SessionFactory:
    """A callable making new sessions on ``engine`` (what the services that commit take)."""

    def make() -> Session:
        return Session(engine, expire_on_commit=False)

    return make


@contextmanager
def session_scope(bind: Engine | SessionFactory) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back if it raises, always close.

    ``bind`` is an engine or a session factory (tests pass one bound to a throwaway database).
    """
    session = Session(bind, expire_on_commit=False) if isinstance(bind, Engine) else bind()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the session's current transaction commits; drop it on rollback.

    Use it to enqueue a task about rows written in this transaction: a worker must never pick
    up an id whose row was rolled back, or is not yet visible. Callbacks run in the order they
    were registered; an exception from one propagates to the caller of ``commit`` (the data is
    committed by then).
    """
    if not event.contains(session, "after_commit", _run_callbacks):
        event.listen(session, "after_commit", _run_callbacks)
        event.listen(session, "after_soft_rollback", _drop_callbacks)
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


def _run_callbacks(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT_KEY, None) or []:
        callback()


def _drop_callbacks(session: Session, previous_transaction: Any) -> None:
    # A rolled-back savepoint leaves the enclosing transaction, and its hooks, alive.
    if not previous_transaction.nested:
        session.info.pop(_AFTER_COMMIT_KEY, None)


def insert_ignore(session: Session, table: Any, rows: list[dict[str, Any]], *, conflict: list[str]) -> int:
    """Insert ``rows`` into ``table`` (a table class), skipping those that clash on ``conflict``.

    ``INSERT ... ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL: two workers inserting the
    same model or scan item at once both succeed, and neither duplicates it. Returns how many
    rows were inserted.
    """
    return len(inserted_keys(session, table, rows, conflict=conflict))


def inserted_keys(session: Session, table: Any, rows: list[dict[str, Any]], *, conflict: list[str]) -> list[Any]:
    """:func:`insert_ignore`, returning the primary keys of the rows actually inserted."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    table = table.__table__
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement: Any = sqlite_insert(table).values(rows).on_conflict_do_nothing(index_elements=conflict)
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(table).values(rows).on_conflict_do_nothing(index_elements=conflict)
    else:
        # make_engine refuses other backends, so only a hand-made engine gets here.
        raise UsageError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")
    # RETURNING lists exactly the inserted rows; the driver's rowcount for this statement is
    # not reliable on every backend (psycopg reports -1).
    keys = list(table.primary_key.columns)
    result = session.exec(statement.returning(*keys)).all()
    return [r[0] for r in result] if len(keys) == 1 else [tuple(r) for r in result]
