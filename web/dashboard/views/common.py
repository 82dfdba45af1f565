"""Hooks every dashboard request goes through: the signed-in user, headers, error pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from compliance.errors import UsageError
from web.dashboard.auth import current_user, load_user
from web.dashboard.blueprint import bp
from web.dashboard.forms import ActionForm
from web.dashboard.security import add_headers
from web.dashboard.state import db, state


@bp.before_request
def _before() -> None:
    if request.endpoint != "dashboard.static":
        load_user()


@bp.after_request
def _after(response: Response) -> Response:
    return add_headers(response, secure=state().settings.environment != "development")


def _error_page(exc: HTTPException) -> Any:
    code = exc.code or 500
    # The exception's own headers stay: Allow on a 405, Retry-After on a 429.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    if request.path.endswith("/status") or request.accept_mimetypes.best == "application/json":
        return {"error": exc.description or exc.name}, code, headers
    page = render_template("dashboard/error.html", code=code, title=exc.name, detail=exc.description)
    return page, code, headers


for _code in (400, 403, 404, 405, 429):
    bp.register_error_handler(_code, _error_page)


def revoke_and_redirect(revoke: Callable[..., Any], object_id: int, endpoint: str) -> Any:
    """Run a person's revoke action from a POST form (CSRF-checked), audited as them, then redirect."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; please try again.")
    user = current_user()
    assert user is not None
    session = db()
    try:
        revoke(session, object_id, actor=user.email)
    except UsageError as exc:
        session.rollback()
        abort(400, exc.one_line())
    session.commit()
    return redirect(url_for(endpoint))
