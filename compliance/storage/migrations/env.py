"""Alembic environment: our tables' metadata, our engine settings, batch mode on SQLite.

Run through :mod:`compliance.storage.migrate` (there is no alembic.ini). A caller may pass an
open connection in ``config.attributes["connection"]`` to migrate inside its transaction.
"""

from __future__ import annotations

from typing import Any

from alembic import context

from compliance.storage.db import make_engine
from compliance.storage.migrate import include_name
from compliance.storage.tables import METADATA

config = context.config


def _configure(**kw: Any) -> None:
    context.configure(target_metadata=METADATA, compare_type=True, include_name=include_name, **kw)


def run_offline() -> None:
    """Emit SQL instead of running it (``alembic upgrade --sql``)."""
    url = config.get_main_option("sqlalchemy.url")
    _configure(url=url, literal_binds=True, render_as_batch=bool(url and url.startswith("sqlite")))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on a live database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url, "alembic_config(url) sets sqlalchemy.url"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection: Any) -> None:
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
