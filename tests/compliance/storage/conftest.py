"""Storage tests run on SQLite and PostgreSQL (see :mod:`tests.compliance.storage.databases`)."""

from tests.compliance.storage.databases import (  # noqa: F401 - fixtures, found by name
    database_url,
    engine,
    postgres_session_url,
    session,
    session_factory,
    sqlite_template,
)
