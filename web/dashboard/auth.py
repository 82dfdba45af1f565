"""Who is signed in, and what their role lets them do.

The session cookie (signed with the app's secret, HttpOnly, SameSite=Lax) holds only the
account id and the time of log-in. The account is read again on every request, so disabling
it or changing its role takes effect at once. Roles are the API's (viewer < submitter <
reviewer < admin, each including the ones before).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from flask import abort, g, jsonify, redirect, request, session, url_for

from compliance.services.roles import role_allows
from compliance.storage.tables import UserRow
from web.dashboard.state import db

F = TypeVar("F", bound=Callable[..., Any])


def load_user() -> None:
    """Before each dashboard request: put the signed-in account (or None) in ``g.user``."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    row = db().get(UserRow, user_id)
    if row is None or row.disabled:
        session.clear()
        return
    g.user = row


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
    session["login_at"] = datetime.now(UTC).isoformat(timespec="seconds")


def sign_out() -> None:
    """End the session."""
    session.clear()


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
    """Where to go after logging in: only a path on this site, never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.overview")
