"""What the dashboard keeps per application: settings, database, task queue, cached rule book.

One :class:`DashboardState` lives in ``app.extensions["dashboard"]``. Views reach it through
:func:`state`, and the request's database session through :func:`db`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, g
from sqlmodel import Session

from compliance.settings import Settings
from compliance.storage.tables import utcnow

EXTENSION_KEY = "dashboard"

# enqueue(kind, ident, queue): kind is "check" (ident: check id) or "scan" (ident: scan id).
Enqueue = Callable[[str, Any, str], None]


@dataclass
class DashboardState:
    """Per-application state of the dashboard."""

    settings: Settings
    engine: Any  # sqlalchemy Engine
    enqueue: Enqueue
    rate: Any  # web.dashboard.security.RateLimits
    clock: Callable[[], datetime] = utcnow  # session ages are measured with it (tests move it on)
    _rulebook: Any = None
    _lock: threading.RLock = field(default_factory=threading.RLock)
    caches: dict[str, Any] = field(default_factory=dict)

    def rulebook(self) -> Any:
        """The rule sets checks run under (loaded once per process)."""
        if self._rulebook is None:
            with self._lock:
                if self._rulebook is None:
                    from compliance.check import load_rulebook

                    self._rulebook = load_rulebook(list(self.settings.rules_paths) or None)
        return self._rulebook

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """A value built once per process (rule rows, hardware rows, thresholds)."""
        if key not in self.caches:
            with self._lock:
                if key not in self.caches:
                    self.caches[key] = build()
        return self.caches[key]


def state() -> DashboardState:
    """The current application's dashboard state."""
    found: DashboardState = current_app.extensions[EXTENSION_KEY]
    return found


def db() -> Session:
    """The request's database session (closed when the request ends)."""
    session = g.get("dashboard_db")
    if session is None:
        session = Session(state().engine, expire_on_commit=False)
        g.dashboard_db = session
    return session


def close_db(_exc: BaseException | None = None) -> None:
    """Teardown: close the request's session, rolling back anything uncommitted."""
    session = g.pop("dashboard_db", None)
    if session is not None:
        session.close()
