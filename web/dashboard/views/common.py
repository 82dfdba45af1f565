"""Hooks every dashboard request goes through: the signed-in user, headers, error pages."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from werkzeug.exceptions import HTTPException

from web.dashboard.auth import load_user
from web.dashboard.blueprint import bp
from web.dashboard.security import add_headers
from web.dashboard.state import state


@bp.before_request
def _before() -> None:
    if request.endpoint != "dashboard.static":
        load_user()


@bp.after_request
def _after(response: Response) -> Response:
    return add_headers(response, secure=state().settings.environment != "development")


def _error_page(exc: HTTPException) -> Any:
    code = exc.code or 500
    if request.path.endswith("/status") or request.accept_mimetypes.best == "application/json":
        return {"error": exc.description or exc.name}, code
    return render_template("dashboard/error.html", code=code, title=exc.name, detail=exc.description), code


for _code in (400, 403, 404, 405, 429):
    bp.register_error_handler(_code, _error_page)
