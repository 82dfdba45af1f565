"""``compliance serve --workers N``: the web app in N processes, by gunicorn's pre-fork master.

One Python process serves requests on one core at a time (the GIL), so on a machine with more
cores one process leaves them idle while requests queue. Gunicorn's master binds the socket,
forks the workers and restarts any that die; each worker builds its own app (engine, broker
connection) after the fork, from the settings read once by the command, and serves requests
from a pool of threads (the ``gthread`` worker), as waitress does in a single process.
"""

from __future__ import annotations

import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from compliance.settings import Settings

# Time a stopping worker gets to finish its requests (SIGTERM), before it is killed.
GRACEFUL_SECONDS = 10


class PreforkServer(BaseApplication):
    """The web app under gunicorn, configured here rather than by gunicorn's own command line."""

    def __init__(self, settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
        self._settings = settings
        self._options: dict[str, Any] = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "proc_name": "compliance-web",
            "graceful_timeout": GRACEFUL_SECONDS,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            # gunicorn otherwise opens a control socket under $HOME, which two servers on one
            # machine would fight over; nothing here uses it.
            "control_socket_disable": True,
            "when_ready": _announce,
        }
        super().__init__()

    def load_config(self) -> None:
        """Apply the options (gunicorn calls this once, in the master)."""
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Build the app (called in each worker, after the fork: no connection crosses it)."""
        from web.app import create_app

        return create_app(self._settings)


def _announce(server: Any) -> None:
    # when_ready: the master has bound the socket; the workers are forked right after.
    addresses = ", ".join(str(listener) for listener in server.LISTENERS)  # gunicorn's: http://HOST:PORT
    print(f"serving on {addresses} ({server.num_workers} processes)", file=sys.stderr, flush=True)
