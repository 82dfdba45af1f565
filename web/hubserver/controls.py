"""Test controls of the local hub: a request log, injected faults, and run-time settings.

They live in a WSGI middleware around the Flask app, so a fault can act before the app runs
(status, body, delay, dropped connection) or while the body streams (drop after N bytes), and
the log records what was really sent: status, body bytes and duration, measured when the
server closes the response.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]
CONTROL_PREFIX = "/_hub/"


@dataclass(slots=True)
class HubConfig:
    """Settings a test may change while the server runs."""

    page_size: int = 1000
    max_body: int = 2 * 1024**3  # longest body served in one response; larger ones get 416


@dataclass(slots=True)
class Fault:
    """A misbehaviour applied to matching requests, ``times`` times (None: until removed).

    ``match`` is a regular expression searched in the path (query string included when the
    pattern contains ``?``); ``method`` restricts it to one HTTP method. The effects combine:
    ``delay`` seconds first, then ``drop`` (close without answering), or an answer with
    ``status``/``headers``/``body``, or, with neither, the normal answer cut after
    ``drop_after`` body bytes.
    """

    match: str = ""
    method: str | None = None
    status: int | None = None
    times: int | None = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: str | bytes | None = None
    delay: float = 0.0
    drop: bool = False
    drop_after: int | None = None
    id: int = 0
    hits: int = 0

    def __post_init__(self) -> None:
        re.compile(self.match)
        if self.status is not None and not 100 <= int(self.status) <= 599:
            raise ValueError(f"status {self.status} is not an HTTP status")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0 or null")

    def matches(self, method: str, path: str, query: str) -> bool:
        """Whether this fault applies to a request."""
        if self.method and self.method.upper() != method:
            return False
        target = f"{path}?{query}" if "?" in self.match else path
        return re.search(self.match, target) is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        if isinstance(data["body"], bytes):
            data["body"] = data["body"].decode("utf-8", "replace")
        data["remaining"] = None if self.times is None else max(0, self.times - self.hits)
        return data


FAULT_KEYS = frozenset(Fault.__dataclass_fields__) - {"id", "hits"}


class HubControls:
    """The request log, the fault table and the config, shared by all server threads."""

    def __init__(self, config: HubConfig | None = None) -> None:
        self.config = config or HubConfig()
        self._defaults = HubConfig(self.config.page_size, self.config.max_body)
        self._lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        self._faults: list[Fault] = []
        self._seq = itertools.count(1)

    # Log ---------------------------------------------------------------------------------
    def next_seq(self) -> int:
        """A request number, in arrival order."""
        with self._lock:
            return next(self._seq)

    def record(self, entry: dict[str, Any]) -> None:
        """Append one finished request."""
        with self._lock:
            self._log.append(entry)

    def log(self) -> list[dict[str, Any]]:
        """Answered requests in arrival order (bytes and duration are final once the body is sent)."""
        with self._lock:
            entries = [{k: v for k, v in e.items() if not k.startswith("_")} for e in self._log]
        return sorted(entries, key=lambda e: e["seq"])

    def clear_log(self) -> None:
        """Forget logged requests."""
        with self._lock:
            self._log.clear()

    # Faults ------------------------------------------------------------------------------
    def add_fault(self, fault: Fault) -> Fault:
        """Install a fault; earlier faults are tried first."""
        with self._lock:
            fault.id = next(self._seq)
            self._faults.append(fault)
        return fault

    def faults(self) -> list[Fault]:
        """Installed faults."""
        with self._lock:
            return list(self._faults)

    def clear_faults(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def take_fault(self, method: str, path: str, query: str) -> Fault | None:
        """The first matching fault with uses left, counting this use."""
        with self._lock:
            for fault in self._faults:
                if (fault.times is None or fault.hits < fault.times) and fault.matches(method, path, query):
                    fault.hits += 1
                    return fault
        return None

    def reset(self) -> None:
        """Clear the log and faults and restore the initial config."""
        with self._lock:
            self._log.clear()
            self._faults.clear()
            self.config.page_size = self._defaults.page_size
            self.config.max_body = self._defaults.max_body


class DroppedConnection(ConnectionResetError):
    """Raised inside the server to abandon a connection on purpose (a connection-dropped error)."""


def drop_connection(environ: WSGIEnviron) -> None:
    """Shut the client socket and abort the request without an answer.

    Werkzeug's dev server treats ``ConnectionError`` from the app as a client disconnect and
    stays quiet; shutting the socket first makes the client see the connection closed.
    """
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise DroppedConnection("connection dropped by an injected fault")


class _Recorded:
    """The response body iterable: counts bytes, may cut the connection, logs on close."""

    def __init__(
        self,
        body: Iterable[bytes],
        entry: dict[str, Any],
        controls: HubControls,
        environ: WSGIEnviron,
        drop_after: int | None,
    ) -> None:
        self._body = body
        self._entry = entry
        self._controls = controls
        self._environ = environ
        self._drop_after = drop_after
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        # Counts are updated before each piece is handed to the server, so a client never
        # sees bytes the log does not show yet.
        sent = 0
        for chunk in self._body:
            if self._drop_after is not None and sent + len(chunk) >= self._drop_after:
                piece = chunk[: self._drop_after - sent]
                self._entry["bytes"] = sent + len(piece)
                self._entry["dropped"] = True
                if piece:
                    yield piece
                drop_connection(self._environ)
            sent += len(chunk)
            self._entry["bytes"] = sent
            yield chunk

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._entry["duration"] = time.perf_counter() - self._entry["_start"]


class ControlMiddleware:
    """Applies faults and records every non-control request."""

    def __init__(self, app: WSGIApp, controls: HubControls) -> None:
        self.app = app
        self.controls = controls

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        query = environ.get("QUERY_STRING", "")
        entry: dict[str, Any] = {
            "seq": self.controls.next_seq(),
            "method": method,
            "path": path,
            "query": query,
            "range": environ.get("HTTP_RANGE"),
            "auth": bool(environ.get("HTTP_AUTHORIZATION")),
            "status": None,
            "bytes": 0,
            "fault": None,
            "dropped": False,
            "_start": time.perf_counter(),
        }
        fault = self.controls.take_fault(method, path, query)
        if fault is not None:
            entry["fault"] = fault.id
            if fault.delay > 0:
                time.sleep(fault.delay)
            if fault.drop:
                entry["dropped"] = True
                entry["duration"] = time.perf_counter() - entry["_start"]
                self.controls.record(entry)
                drop_connection(environ)
            if fault.status is not None:
                return self._answer(fault, entry, environ, start_response)

        def recording_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # Logged as soon as the answer starts, before the client can see it; the byte
            # count and the duration keep being updated while the body streams.
            entry["status"] = int(status.split(None, 1)[0])
            entry["duration"] = time.perf_counter() - entry["_start"]
            if not exc_info:
                self.controls.record(entry)
            return start_response(status, headers, exc_info)

        body = self.app(environ, recording_start)
        return _Recorded(body, entry, self.controls, environ, fault.drop_after if fault else None)

    def _answer(
        self, fault: Fault, entry: dict[str, Any], environ: WSGIEnviron, start_response: StartResponse
    ) -> Iterable[bytes]:
        from werkzeug.http import HTTP_STATUS_CODES

        body = fault.body.encode() if isinstance(fault.body, str) else (fault.body or b"")
        headers = {"Content-Type": "application/json" if body.lstrip()[:1] in (b"{", b"[") else "text/html"}
        headers.update({str(k): str(v) for k, v in fault.headers.items()})
        headers["Content-Length"] = str(len(body))
        status = int(fault.status or 500)
        entry["status"] = status
        entry["duration"] = time.perf_counter() - entry["_start"]
        self.controls.record(entry)
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown')}", list(headers.items()))
        chunks = [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
        return _Recorded(chunks, entry, self.controls, environ, fault.drop_after)
