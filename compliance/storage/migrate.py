"""Alembic, configured from code: no ``alembic.ini``.

``upgrade(url)`` brings a database to the newest schema; ``check_migrations(url)`` lists the
differences between the tables declared in :mod:`compliance.storage.tables` and the schema the
migrations produced (empty when they agree), which is what the test suite asserts so that a
model change without its migration fails CI.

Writing a migration after changing a table::

    from alembic import command
    from compliance.storage.migrate import alembic_config
    command.revision(alembic_config("sqlite:///var/dev.db"), autogenerate=True, message="...")

then review the generated file (autogenerate misses triggers, server defaults and renames).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Tables other components may keep in the same database (Celery's result backend, kombu's
# SQLAlchemy transport): not ours, so not a difference.
FOREIGN_TABLE_PREFIXES = ("celery_", "kombu_")
VERSION_TABLE = "alembic_version"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the database at ``url``, pointing at our migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser interpolation
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` back to ``revision`` (``base`` empties it)."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    """The newest migration's revision id."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "the migrations directory has no revisions"
    return head


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    from compliance.storage.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Autogenerate filter: leave other components' tables alone."""
    if type_ == "table" and name is not None:
        return name != VERSION_TABLE and not name.startswith(FOREIGN_TABLE_PREFIXES)
    return True


def check_migrations(url: str) -> list[str]:
    """Differences between the declared tables and the database at ``url``; empty when they agree.

    The database should have been upgraded to head first; a database at another revision is
    reported as a difference too.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from compliance.storage.db import make_engine
    from compliance.storage.tables import METADATA

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
            problems = []
            current, head = context.get_current_revision(), head_revision()
            if current != head:
                problems.append(f"database is at revision {current}, the migrations' head is {head}")
            problems.extend(_describe(diff) for diff in compare_metadata(context, METADATA))
            return problems
    finally:
        engine.dispose()


def _describe(diff: Any) -> str:
    # compare_metadata gives tuples like ("add_table", Table) or, for column changes, a list of
    # ("modify_type", schema, table, column, info, old, new) tuples.
    if isinstance(diff, list):
        return "; ".join(_describe(d) for d in diff)
    op, *rest = diff
    names = []
    for item in rest:
        name = getattr(item, "name", None)
        if name is not None:
            table = getattr(item, "table", None)
            names.append(f"{table.name}.{name}" if table is not None and hasattr(table, "name") else str(name))
        elif isinstance(item, str):
            names.append(item)
        elif item is not None and not isinstance(item, dict):
            names.append(repr(item))
    return f"{op}: {' '.join(names)}"
