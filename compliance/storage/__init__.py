"""Storage: the service's database, as SQLModel tables and Alembic migrations.

Layer rule: this package may import ``compliance`` core modules, SQLAlchemy, SQLModel and
Alembic, never ``web``, ``flask`` or ``celery``. Unlike the rest of ``compliance`` it imports
SQLAlchemy at module level (table classes cannot be declared otherwise), so only the service
processes (web, worker, beat) and ``compliance.services`` import it; the CLI check path never
does.

* :mod:`compliance.storage.tables`: every table, in one module.
* :mod:`compliance.storage.db`: ``make_engine``, ``session_scope``, ``after_commit``.
* :mod:`compliance.storage.migrate`: ``alembic_config``, ``upgrade``, ``check_migrations``.
"""
