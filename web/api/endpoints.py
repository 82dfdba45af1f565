"""How an API endpoint is declared: method, path, role, request and response models, in one place.

:class:`Api` collects :class:`Operation` objects; :meth:`Api.blueprint` turns them into Flask
views wrapped with the same steps (authenticate, check the role, parse and validate the body
and query string, call the view, serialise its model), and :mod:`web.api.openapi` turns the
same list into the OpenAPI document. A view receives a :class:`Call` and returns a pydantic
model (or ``None`` for 204); it only parses, calls one service and shapes the answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel, ValidationError

from compliance.settings import Settings

EXT = "compliance"
_G_SESSION = "compliance_session"
MAX_ERRORS_SHOWN = 20
# Retry-After on a 503: a dependency or a full queue recovers at its own pace, which the
# request does not know; half a minute lets it without leaving a CI gate idle for long.
UNAVAILABLE_RETRY_SECONDS = 30


@dataclass
class Services:
    """What the views share, built once by ``create_app``."""

    settings: Settings
    database: Any  # web.db.Database
    celery: Any  # celery.Celery, for sending tasks
    admission: Any  # web.api.admission.Admission: submission limits and queue depth


def services() -> Services:
    """The current app's :class:`Services`."""
    found: Services = current_app.extensions[EXT]
    return found


class ApiError(Exception):
    """An error answer: status, one-line message, optional details and headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers or {}

    @classmethod
    def unavailable(cls, message: str) -> ApiError:
        """A 503 with ``Retry-After``."""
        return cls(503, message, headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)})

    def response(self) -> Response:
        """The JSON answer."""
        body: dict[str, Any] = {"error": self.message}
        if self.details:
            body["details"] = self.details
        return json_response(body, self.status, self.headers)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON answer."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return Response(text, status=status, headers=headers or {}, mimetype="application/json")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's name, role and id."""

    name: str
    role: str
    token_id: int

    @property
    def actor(self) -> str:
        """How audit events and ``requested_by`` name this caller."""
        return f"token:{self.name}"


@dataclass(slots=True)
class Call:
    """One request, parsed.

    ``after_write`` holds what a write must do once the database's write turn is given back
    (sending a task: the broker is another database, with a turn of its own).
    """

    session: Any  # sqlmodel.Session, the request's
    principal: Principal
    services: Services
    body: Any = None
    query: Any = None
    after_write: list[Callable[[], None]] = field(default_factory=list)


@dataclass
class Operation:
    """One endpoint."""

    method: str
    path: str  # Flask rule under /api/v1, e.g. "/checks/<check_id>"
    role: str
    summary: str
    view: Callable[..., Any]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    response: type[BaseModel] | None = None
    errors: tuple[int, ...] = field(default_factory=tuple)
    # For an operation that queues work: the queue it goes to, from the parsed call. Such an
    # operation is counted against the token's submission limits and the queue's depth.
    queue: Callable[[Call], str] | None = None

    @property
    def name(self) -> str:
        """The Flask endpoint name (the view's name)."""
        return self.view.__name__


class Api:
    """A list of operations, and the blueprint serving them."""

    def __init__(self, prefix: str = "/api/v1") -> None:
        self.prefix = prefix
        self.operations: list[Operation] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        role: str,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        status: int = 200,
        response: type[BaseModel] | None = None,
        errors: tuple[int, ...] = (),
        queue: Callable[[Call], str] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare a view (see the module docstring); ``queue`` marks one that queues work."""

        def register(view: Callable[..., Any]) -> Callable[..., Any]:
            self.operations.append(
                Operation(method, path, role, summary, view, body, query, status, response, errors, queue)
            )
            return view

        return register

    def blueprint(self) -> Blueprint:
        """A new blueprint with every operation (one per app: nothing is shared between apps)."""
        bp = Blueprint("api", __name__, url_prefix=self.prefix)
        for op in self.operations:
            bp.add_url_rule(op.path, op.name, _wrap(op), methods=[op.method])
        bp.register_error_handler(ApiError, lambda exc: exc.response())
        return bp


def _wrap(op: Operation) -> Callable[..., Response]:
    def view(**params: Any) -> Response:
        found = services()
        session = request_session(found.database)
        principal = authenticate(session, op.role)
        call = Call(session, principal, found)
        if op.body is not None:
            call.body = parse_body(op.body)
        if op.query is not None:
            call.query = parse_query(op.query)
        if op.queue is not None:
            found.admission.admit(session, principal.token_id, op.queue(call))
        try:
            if op.method == "GET":
                result = op.view(call, **params)
            else:
                with found.database.writing():
                    result = op.view(call, **params)
                for action in call.after_write:
                    action()
        except Exception as exc:
            raise translate(exc) from exc
        if result is None:
            return Response(status=204)
        if isinstance(result, Response):
            return result
        headers = {}
        if op.status in (201, 202) and isinstance(getattr(result, "url", None), str):
            headers["Location"] = result.url
        return json_response(result.model_dump(mode="json"), op.status, headers)

    view.__name__ = op.name
    view.__doc__ = op.summary
    return view


def request_session(database: Any) -> Any:
    """The current request's session, opened on first use (the flaskr ``get_db`` shape)."""
    from flask import g

    session = g.get(_G_SESSION)
    if session is None:
        session = database.session()
        setattr(g, _G_SESSION, session)
    return session


def close_request_session(_exc: Any = None) -> None:
    """Teardown: close the request's session, rolling back whatever the view did not commit."""
    from flask import g

    session = g.pop(_G_SESSION, None)
    if session is not None:
        session.close()


def authenticate(session: Any, needed: str) -> Principal:
    """The caller's token, checked for ``needed`` (401 without a valid token, 403 without the role)."""
    from compliance.services.roles import role_allows
    from compliance.services.tokens import authenticate_token

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="compliance"'}
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "this needs an API token: Authorization: Bearer <token>", headers=challenge)
    found = authenticate_token(session, token.strip())
    if found is None:
        raise ApiError(401, "the token is unknown or revoked", headers=challenge)
    if found.touched:
        session.commit()  # last_used_at, written at most once a minute
    if not role_allows(found.role, needed):
        raise ApiError(403, f"this needs the {needed} role; the token's role is {found.role}")
    return Principal(found.name, found.role, found.id)


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The request body validated against ``model`` (400 if it is not JSON, 422 if it does not fit)."""
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise ApiError(400, "the request needs a JSON body")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if any(e["type"] in ("json_invalid", "recursion_loop") for e in errors):
            raise ApiError(400, f"the body is not valid JSON: {errors[0]['msg']}") from None
        if any(e["type"] == "model_type" and not e["loc"] for e in errors):
            raise ApiError(400, "the body must be a JSON object") from None
        raise validation_error(errors) from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string validated against ``model`` (422 naming the parameter)."""
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        info = model.model_fields.get(key)
        is_list = info is not None and getattr(info.annotation, "__origin__", None) is list
        data[key] = [v for value in values for v in value.split(",") if v] if is_list else values[-1]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc.errors(include_url=False, include_input=False)) from None


def validation_error(errors: list[Any]) -> ApiError:
    """A 422 whose message names the first bad field."""
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    details = [
        {"loc": [str(p) for p in e["loc"]], "msg": str(e["msg"]), "type": str(e["type"])}
        for e in errors[:MAX_ERRORS_SHOWN]
    ]
    return ApiError(422, f"{where}: {first['msg']}", details=details)


def translate(exc: Exception) -> Exception:
    """The project's errors as API errors: bad input 422, not found 404, a refusing state 409; others unchanged."""
    from compliance.errors import ComplianceError, Conflict, InputError, ModelNotFound, ServiceError

    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ModelNotFound):
        return ApiError(404, exc.one_line())
    if isinstance(exc, Conflict):
        return ApiError(409, exc.one_line())
    if isinstance(exc, InputError):
        message = exc.one_line()
        status = 404 if message.startswith("no ") else 422  # the services say "no scan target 7"
        return ApiError(status, message)
    if isinstance(exc, ServiceError):
        return ApiError.unavailable(exc.one_line())
    if isinstance(exc, ComplianceError):
        return ApiError(422, exc.one_line())
    return exc
