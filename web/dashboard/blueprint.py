"""The dashboard's blueprint, shared by the view modules, and small helpers for views."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request, url_for

from compliance.errors import UsageError

bp = Blueprint(
    "dashboard",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/dashboard-static",
)

MAX_PAGE = 100_000


def arg_page(name: str = "page") -> int:
    """A 1-based page number from the query string (bad or missing: 1)."""
    try:
        value = int(request.args.get(name, "1"))
    except ValueError:
        return 1
    return min(max(value, 1), MAX_PAGE)


def arg(name: str, allowed: tuple[str, ...] | list[str] | None = None, limit: int = 200) -> str:
    """A short query-string value; one outside ``allowed`` counts as empty."""
    value = (request.args.get(name) or "").strip()[:limit]
    if allowed is not None and value not in allowed:
        return ""
    return value


def url_with(**changes: Any) -> str:
    """The current page's URL with some query arguments replaced (None removes one)."""
    args = {k: v for k, v in request.args.items()}
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = str(value)
    endpoint = request.endpoint or "dashboard.overview"
    values: dict[str, Any] = {**(request.view_args or {}), **args}
    return url_for(endpoint, **values)


def not_found_unless(found: Any) -> Any:
    """``found``, or a 404."""
    if found is None:
        abort(404)
    return found


def message_of(exc: UsageError) -> str:
    """A service error's one line, for showing next to a form."""
    return exc.one_line()
