"""Database glue shared by the web process, the worker and the service commands (no Flask here).

One :class:`Database` per process, built from the settings at start-up (never at import): the
engine, a session factory for the services that commit in steps (checks, scans), and
:meth:`Database.migrate`. Flask requests get one session each through
:func:`web.api.endpoints.request_session`, closed when the request ends.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from compliance.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from compliance.storage.db import SessionFactory


def require_drivers(settings: Settings) -> None:
    """Refuse, at start-up and before anything connects or forks, a SQLAlchemy URL in the settings
    whose driver is not installed (a UsageError naming the package): the service database, and the
    broker and result backend when they are SQLAlchemy URLs (``sqla+...``, ``db+...``) too."""
    from compliance.storage.db import database_url

    database_url(settings.effective_database_url)
    for prefix, url in (("sqla+", settings.effective_broker_url), ("db+", settings.effective_result_backend)):
        if url.startswith(prefix):
            # Celery and kombu open these themselves, with SQLAlchemy's default driver.
            database_url(url.removeprefix(prefix), as_given=True)


@dataclass
class Database:
    """An engine and its session factory, for one database URL."""

    url: str
    engine: Engine = field(init=False)
    session_factory: SessionFactory = field(init=False)
    _write_lock: threading.Lock | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        from compliance.storage.db import make_engine, session_factory

        self.engine = make_engine(self.url)
        self.session_factory = session_factory(self.engine)
        if self.engine.dialect.name == "sqlite":
            self._write_lock = threading.Lock()

    def writing(self) -> AbstractContextManager[Any]:
        """Hold while a request writes: on SQLite, the threads of one process take turns here.

        SQLite lets one writer in at a time, and a connection that finds the lock taken sleeps
        in steps of up to 100 ms before trying again; threads queueing on a Python lock are
        woken the moment it is free instead. PostgreSQL needs no such thing.
        """
        return self._write_lock if self._write_lock is not None else nullcontext()

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The service database the settings name (SQLite under ``data_dir`` by default)."""
        if not settings.database_url:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(settings.effective_database_url)

    def session(self) -> Session:
        """A new session (the caller commits and closes)."""
        return self.session_factory()

    def ping(self) -> None:
        """Run ``SELECT 1``; raises if the database does not answer."""
        import sqlalchemy as sa

        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def migrate(self) -> None:
        """Bring the schema to the newest migration."""
        from compliance.storage.migrate import upgrade

        upgrade(self.url)

    def dispose(self) -> None:
        """Close pooled connections (after a fork, or at exit)."""
        self.engine.dispose()
