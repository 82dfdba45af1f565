"""Helpers for the service tests: a task sender that records, and a client that checks the API's contract.

:class:`RecordingCelery` stands in for the Celery app in the web process: it records
``send_task`` calls (and can be told to fail, as a broker that is down). :class:`ApiClient`
wraps Flask's test client: every answer under ``/api/v1`` is validated against the schema the
OpenAPI document gives for its operation and status, so no test can pass on an answer the
document does not describe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import jsonschema
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse


@dataclass
class RecordingCelery:
    """Records the tasks the web process sends; ``fail`` makes sending raise like a dead broker."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False
    # The one setting the senders read: the embedded (SQLite) broker's transport, None elsewhere.
    conf: Any = field(default_factory=lambda: SimpleNamespace(broker_transport=None))

    def send_task(self, name: str, args: list[Any] | None = None, queue: str | None = None, **kw: Any) -> None:
        """Record (or refuse) one task."""
        if self.fail:
            raise ConnectionError("broker unavailable")
        self.sent.append({"name": name, "args": list(args or []), "queue": queue})

    def connection_for_write(self) -> Any:
        """A connection whose ``ensure_connection`` fails when ``fail`` is set."""
        recorder = self

        class _Connection:
            def __enter__(self) -> _Connection:
                return self

            def __exit__(self, *exc: Any) -> None:
                return None

            def ensure_connection(self, **kw: Any) -> None:
                if recorder.fail:
                    raise ConnectionError("broker unavailable")

        return _Connection()


class ApiClient:
    """Flask's test client with a bearer token and schema validation of every API answer."""

    def __init__(self, app: Flask, document: dict[str, Any], token: str | None = None) -> None:
        self.client: FlaskClient = app.test_client()
        self.document = document
        self.token = token
        self._operations = _operations(document)
        self.validated = 0

    def as_(self, token: str | None) -> ApiClient:
        """The same client presenting another token (None: none)."""
        other = ApiClient.__new__(ApiClient)
        other.__dict__.update(self.__dict__)
        other.token = token
        return other

    def request(self, method: str, path: str, **kw: Any) -> TestResponse:
        """Send a request; validate the answer if it is an API path."""
        headers = dict(kw.pop("headers", {}) or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        response = self.client.open(path, method=method, headers=headers, **kw)
        self.check(method, path, response)
        return response

    def get(self, path: str, **kw: Any) -> TestResponse:
        """GET."""
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> TestResponse:
        """POST."""
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> TestResponse:
        """PATCH."""
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        """DELETE."""
        return self.request("DELETE", path, **kw)

    def check(self, method: str, path: str, response: TestResponse) -> None:
        """Validate ``response`` against the document (every API answer is JSON, errors included)."""
        bare = path.split("?", 1)[0]
        if not (bare.startswith("/api/v1/") or bare == "/healthz"):
            return
        if response.status_code != 204:
            assert response.mimetype == "application/json", f"{method} {path}: {response.mimetype}"
            assert isinstance(response.get_json(), dict)
        operation = self._find(method, bare)
        if operation is None:
            # An unknown path or method: Flask's 404/405 in the API's error shape.
            assert response.status_code in (404, 405), f"{method} {path} is not documented"
            assert "error" in response.get_json()
            return
        responses = operation["responses"]
        status = str(response.status_code)
        assert status in responses, f"{method} {path} answered {status}, documented: {sorted(responses)}"
        for name, header in responses[status].get("headers", {}).items():
            value = response.headers.get(name)
            assert value is not None or not header.get("required"), f"{method} {path} {status} lacks {name}"
            if value is not None and header["schema"].get("type") == "integer":
                assert value.isdigit() and int(value) >= header["schema"].get("minimum", 0), f"{name}: {value!r}"
        content = responses[status].get("content")
        if content is None:
            assert response.status_code == 204 and not response.data
            return
        schema = {**content["application/json"]["schema"], "components": self.document["components"]}
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(response.get_json())
        self.validated += 1

    def _find(self, method: str, path: str) -> dict[str, Any] | None:
        for pattern, methods in self._operations:
            if pattern.fullmatch(path):
                return methods.get(method.lower())
        return None


def _operations(document: dict[str, Any]) -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    out = []
    for template, methods in document["paths"].items():
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(template)))
        out.append((pattern, methods))
    # Literal paths before templated ones (/scans/1/items vs /scans/{id}).
    return sorted(out, key=lambda item: item[0].pattern.count("[^/]+"))
