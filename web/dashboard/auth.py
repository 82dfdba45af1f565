"""Who is signed in, and what their role lets them do.

The session cookie (signed with the app's secret, HttpOnly, SameSite=Lax) holds only the
account id, the account's session generation and the time of log-in (Unix seconds). The
account is read again on every request, and the session stands only while

* the account exists and is enabled,
* its ``session_generation`` is still the one the cookie carries (log-out, a new password, a
  new role and disabling move it on: see :func:`compliance.services.users.end_sessions`), and
* the log-in is younger than the session lifetime (``COMPLIANCE_SESSION_HOURS``, 12 by
  default), counted here on the server from the log-in time: the cookie's own expiry only
  tells the browser when to drop it, and a saved copy can be replayed after that.

A session that fails any of these is cleared and the request is anonymous (redirect to the
log-in page, or 401 for JSON). Roles are the API's (viewer < submitter < reviewer < admin,
each including the ones before).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from flask import abort, current_app, g, jsonify, redirect, request, session, url_for

from compliance.services.roles import role_allows
from compliance.services.users import end_sessions
from compliance.storage.tables import UserRow
from web.dashboard.redirects import same_site_path
from web.dashboard.state import db, state

F = TypeVar("F", bound=Callable[..., Any])


def load_user() -> None:
    """Before each dashboard request: put the signed-in account (or None) in ``g.user``."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    row = db().get(UserRow, user_id) if type(user_id) is int else None
    lifetime = current_app.permanent_session_lifetime
    if row is None or not session_stands(row, session, now=state().clock(), lifetime=lifetime):
        session.clear()
        return
    g.user = row


def session_stands(row: UserRow, data: Any, *, now: datetime, lifetime: timedelta) -> bool:
    """Whether the session ``data`` (the cookie's contents) still stands for the account ``row``."""
    generation, login_at = data.get("generation"), data.get("login_at")
    if row.disabled or type(generation) is not int or generation != row.session_generation:
        return False
    if type(login_at) is not int:  # sessions from before revocation kept an ISO string: refused
        return False
    return now.timestamp() - login_at < lifetime.total_seconds()


def current_user() -> UserRow | None:
    """The signed-in account, if any."""
    return cast(UserRow | None, g.get("user"))


def can(role: str) -> bool:
    """Whether the signed-in account has at least ``role`` (templates use it to hide buttons)."""
    user = current_user()
    return user is not None and role_allows(user.role, role)


def sign_in(user: UserRow) -> None:
    """Start a fresh session for ``user`` (whatever the old session held is dropped)."""
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    session["generation"] = user.session_generation
    session["login_at"] = int(state().clock().timestamp())


def sign_out() -> None:
    """End this session and every other session of the signed-in account (committed here)."""
    user = current_user()
    session.clear()
    if user is not None and user.id is not None:
        end_sessions(db(), user.id)
        db().commit()


def requires(role: str = "viewer") -> Callable[[F], F]:
    """View decorator: sign-in required (redirect to the login page) and at least ``role`` (403)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if request.accept_mimetypes.best == "application/json" or request.path.endswith("/status"):
                    return jsonify({"error": "sign in first"}), 401
                return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
            if not role_allows(user.role, role):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def safe_next(target: str | None) -> str:
    """Where to go after logging in: ``target`` if it is a path on this site, else the overview."""
    return same_site_path(target) or url_for("dashboard.overview")
