"""The Flask application factory: the JSON API, ``/healthz``, and the dashboard when it is installed.

``create_app(settings)`` builds everything from the settings it is given (or reads them once,
here, when called without): the database engine, a Celery app used only to send tasks by
name (the web process never imports the task module), the API blueprint and its OpenAPI
document. ``web.dashboard`` is another engineer's blueprint; it is looked up by name and
registered when present, so each can land without the other.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from compliance.settings import Settings, load_settings
from web.api.endpoints import EXT, Services, json_response

# A check of uploaded metadata may carry a long card and many safetensors headers (the
# services cap the JSON at 32 MiB); anything larger is refused with 413 before it is read.
MAX_BODY_BYTES = 40 * 1024 * 1024
DASHBOARD_MODULE = "web.dashboard"


def create_app(settings: Settings | None = None, *, celery: Any = None, config: dict[str, Any] | None = None) -> Flask:
    """Build the web app. ``celery`` replaces the task sender (tests); ``config`` updates Flask's config."""
    from web.api import build_api
    from web.api.admission import Admission
    from web.api.endpoints import close_request_session
    from web.api.openapi import build_openapi
    from web.db import Database
    from web.headers import install_headers
    from web.routing import install_converters

    settings = settings or load_settings()
    app = Flask("web")
    install_converters(app)  # before any route: an <int:...> id out of range is a 404
    install_headers(app)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.environment == "production",
    )
    if config:
        app.config.update(config)
    if celery is None:
        from web.worker.celery_app import create_celery

        celery = create_celery(settings, register_tasks=False)
    database = Database.from_settings(settings)
    admission = Admission.from_settings(settings)
    app.extensions[EXT] = Services(settings=settings, database=database, celery=celery, admission=admission)
    app.extensions["celery"] = celery  # where the Flask pattern (and the dashboard) look for it
    app.teardown_appcontext(close_request_session)

    api = build_api()
    app.register_blueprint(api.blueprint())
    document = build_openapi(api)
    app.add_url_rule(api.prefix + "/openapi.json", "openapi", lambda: json_response(document), methods=["GET"])
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)

    if importlib.util.find_spec(DASHBOARD_MODULE) is not None:
        importlib.import_module(DASHBOARD_MODULE).init_dashboard(app, settings)
    return app


def healthz() -> Response:
    """200 when the database and the broker answer, 503 otherwise."""
    from flask import current_app

    services: Services = current_app.extensions[EXT]
    database = broker = "ok"
    try:
        services.database.ping()
    except Exception as exc:
        database = f"error: {type(exc).__name__}"
    try:
        with services.celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        broker = f"error: {type(exc).__name__}"
    ok = database == "ok" and broker == "ok"
    body = {"status": "ok" if ok else "unavailable", "database": database, "broker": broker}
    return json_response(body, 200 if ok else 503)


def _wants_json() -> bool:
    return (
        request.path.startswith("/api/")
        or request.path == "/healthz"
        or request.accept_mimetypes.best == ("application/json")
    )


def _http_error(exc: HTTPException) -> Any:
    # API clients get JSON for every error, including the ones Flask raises itself (404 for
    # an unknown path, 405, 413 for a body over MAX_CONTENT_LENGTH); pages keep HTML.
    if not _wants_json():
        return exc
    status = exc.code or 500
    message = {413: f"the body is larger than {MAX_BODY_BYTES} bytes"}.get(status, exc.description or exc.name)
    # The exception's own headers stay: Allow on a 405, Retry-After on a 429 or 503.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return json_response({"error": message}, status, headers)


def _unexpected(exc: Exception) -> Any:
    from flask import current_app

    if isinstance(exc, HTTPException):
        return _http_error(exc)
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    if not _wants_json():
        return Response("internal error", status=500, mimetype="text/plain")
    return json_response({"error": f"internal error ({type(exc).__name__})"}, 500)
