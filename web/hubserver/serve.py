"""Run the hub app on a threaded Werkzeug server in a background thread.

The sharded-safetensors path of the client reads shards from a thread pool, so the server
must be threaded. Port 0 picks a free port; the bound URL is returned.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not print one line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Stay silent: tests and benchmarks make thousands of requests."""


def start_hub_server(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True
) -> tuple[str, Callable[[], None]]:
    """Serve ``app`` in a daemon thread; return ``(url, stop)``.

    ``stop()`` shuts the server down and waits for the thread (idempotent).
    """
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler if quiet else None)
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
        thread.join(timeout=5)

    return url, stop
