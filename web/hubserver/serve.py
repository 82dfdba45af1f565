"""Run the hub app on a threaded Werkzeug server in a background thread.

The sharded-safetensors path of the client reads shards from a thread pool, so the server
must be threaded. Port 0 picks a free port; the bound URL is returned.

Connections are kept alive between requests without a body, as the real hub keeps them:
Werkzeug closes every connection after one response (its server cannot drain an unread
request body), which would make every hub request of a scan open a TCP connection and start a
server thread. Requests with a body still close their connection.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

IDLE_SECONDS = 30.0  # an idle kept-alive connection is closed after this long


class _KeepAliveHandler(WSGIRequestHandler):
    """Werkzeug's handler, keeping the connection open after a body-less HTTP/1.1 request.

    Werkzeug writes ``Connection: close`` on every response and, after the body, reads and
    discards whatever the client sent next (meant for an unread request body). For a request
    without a body, the header is left out and, once the body is sent, that drain is pointed
    at an empty stream, so the next request on the connection is read as a request.
    """

    timeout = IDLE_SECONDS
    # Headers and body go out in separate writes; on a kept-alive connection Nagle's algorithm
    # would hold the body back until the client's delayed ACK (tens of milliseconds).
    disable_nagle_algorithm = True
    _keep = False
    _saved: tuple[Any, Any] | None = None

    def setup(self) -> None:
        super().setup()
        _connections(self.server).add(self.connection)

    def finish(self) -> None:
        _connections(self.server).discard(self.connection)
        super().finish()

    def make_environ(self) -> Any:
        environ = super().make_environ()
        environ[_FINISHED] = self._response_sent
        return environ

    def run_wsgi(self) -> None:
        self._keep = self._reusable()
        self._saved = None
        try:
            super().run_wsgi()
        finally:
            if self._saved is not None:
                self.connection, self.rfile = self._saved
                self._saved = None
            elif self._keep:
                self.close_connection = True  # the response did not end normally

    def send_header(self, keyword: str, value: str) -> None:
        if self._keep and keyword.lower() == "connection" and value.lower() == "close":
            return  # no "Connection: close": http.server then reads the next request line
        super().send_header(keyword, value)

    def _response_sent(self) -> None:
        if self._keep and self._saved is None:
            self._saved = (self.connection, self.rfile)
            self.connection, self.rfile = self.server.ended_socket, io.BytesIO()  # type: ignore[attr-defined]

    def _reusable(self) -> bool:
        headers = self.headers
        return (
            self.request_version == "HTTP/1.1"
            and not self.close_connection
            and "Transfer-Encoding" not in headers
            and headers.get("Content-Length", "0").strip() in ("", "0")
        )


_FINISHED = "hubserver.response_sent"


class _Finishing:
    """The app's body, telling the handler when the last piece has been handed over."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None] | None) -> None:
        self._body = body
        self._done = done

    def __iter__(self) -> Iterator[bytes]:
        yield from self._body
        if self._done is not None:
            self._done()

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


def _finishing(app: Any) -> Any:
    def wrapped(environ: dict[str, Any], start_response: Any) -> _Finishing:
        return _Finishing(app(environ, start_response), environ.get(_FINISHED))

    return wrapped


def _ended_socket() -> socket.socket:
    """A socket whose peer has closed: always readable, at end of stream (see the handler)."""
    ours, theirs = socket.socketpair()
    theirs.close()
    return ours


def _connections(server: Any) -> set[socket.socket]:
    found: set[socket.socket] = server.__dict__.setdefault("open_connections", set())
    return found


class _QuietHandler(_KeepAliveHandler):
    """Request handler that does not print one line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Stay silent: tests and benchmarks make thousands of requests."""


def start_hub_server(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True
) -> tuple[str, Callable[[], None]]:
    """Serve ``app`` in a daemon thread; return ``(url, stop)``.

    ``stop()`` shuts the server down and waits for the thread (idempotent).
    """
    server = make_server(
        host, port, _finishing(app), threaded=True, request_handler=_QuietHandler if quiet else _KeepAliveHandler
    )
    server.ended_socket = _ended_socket()  # type: ignore[attr-defined]
    server.daemon_threads = True  # type: ignore[attr-defined]  # ThreadingMixIn's flag: do not wait for handlers
    thread = threading.Thread(
        # A short poll interval makes stop() return quickly (the default waits up to 0.5 s).
        target=lambda: server.serve_forever(poll_interval=0.05),
        name=f"hubserver:{server.server_port}",
        daemon=True,
    )
    thread.start()
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{server.server_port}"
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        server.shutdown()
        server.server_close()
        # Kept-alive connections have handler threads of their own: end them, so that a
        # stopped hub answers nothing, as a stopped server should.
        for connection in list(_connections(server)):
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        thread.join(timeout=5)
        server.ended_socket.close()  # type: ignore[attr-defined]

    return url, stop
