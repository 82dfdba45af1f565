"""The web dashboard: server-rendered pages over ``compliance.services``.

``init_dashboard(app, settings)`` mounts it at ``/`` (login at ``/login``, a check at
``/checks/ID``). It needs a database (the app's :class:`web.db.Database` if one is in
``app.extensions``, else one built from the settings) and a way to queue work (by default
``web.worker.enqueue`` over the Celery app; tests pass ``enqueue=``).

Pages: overview of exposure (``/``), check form and results (``/checks``), models
(``/models``), scans (``/scans``), rules and hardware (``/rules``, ``/hardware``), waivers
and the audit log (``/waivers``, ``/audit``), API tokens (``/tokens``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from compliance.settings import Settings
from web.dashboard.state import EXTENSION_KEY, DashboardState, Enqueue

__all__ = ["init_dashboard"]


def init_dashboard(
    app: Flask,
    settings: Settings | None = None,
    *,
    engine: Any = None,
    enqueue: Enqueue | None = None,
) -> DashboardState:
    """Mount the dashboard on ``app``; returns its state (also in ``app.extensions["dashboard"]``)."""
    from flask_wtf.csrf import generate_csrf

    from web.dashboard import present, security, views
    from web.dashboard.auth import can, current_user
    from web.dashboard.blueprint import bp, url_with
    from web.dashboard.state import close_db

    if settings is None:
        from compliance.settings import load_settings

        settings = app.config.get("COMPLIANCE_SETTINGS") or load_settings()
    assert settings is not None
    security.configure_session(app, settings)
    rate = security.RateLimits(
        app.config.get("DASHBOARD_RATELIMIT_STORAGE_URI", "memory://"),
        enabled=bool(app.config.get("DASHBOARD_RATELIMIT_ENABLED", True)),
    )
    found = DashboardState(
        settings=settings,
        engine=engine if engine is not None else _find_engine(app, settings),
        enqueue=enqueue if enqueue is not None else celery_enqueue(app, settings),
        rate=rate,
    )
    app.extensions[EXTENSION_KEY] = found
    views.load()
    app.register_blueprint(bp)
    app.teardown_appcontext(close_db)
    present.register(app)
    app.jinja_env.globals.update(csrf_token=generate_csrf, can=can, current_user=current_user, url_with=url_with)
    return found


def _find_engine(app: Flask, settings: Settings) -> Any:
    """The engine of the app's Database if it registered one, else a new one for the settings."""
    from web.db import Database

    for ext in app.extensions.values():
        if isinstance(ext, Database):
            return ext.engine
        engine = getattr(ext, "database", None)
        if isinstance(engine, Database):
            return engine.engine
    return Database.from_settings(settings).engine


def celery_enqueue(app: Flask, settings: Settings) -> Enqueue:
    """Queue work on the worker through ``web.worker.enqueue`` (the Celery app is built on first use)."""
    holder: list[Any] = []

    def enqueue(kind: str, ident: Any, queue: str) -> None:
        from web.worker import enqueue as send

        if not holder:
            # create_app keeps its task sender (a Celery app, or a recorder in tests) here.
            existing = app.extensions.get("celery")
            if existing is None:
                from web.worker.celery_app import create_celery

                existing = create_celery(settings, register_tasks=False)
            holder.append(existing)
        if kind == "check":
            send.send_check(holder[0], str(ident), queue)
        elif kind == "scan":
            send.send_scan(holder[0], int(ident))
        else:
            raise ValueError(f"unknown kind of work {kind!r}")

    return enqueue
