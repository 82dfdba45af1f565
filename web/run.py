"""``make run``: the whole service on embedded defaults, as real processes, with no network needed.

Starts, each as its own process: the project's hub server with the demo registry on 127.0.0.1
(unless ``COMPLIANCE_HF_ENDPOINT`` names another hub), the web app (waitress), a worker for the
``ci`` and ``interactive`` queues, a worker for the ``scan`` queue, and beat. The database is
SQLite and the broker kombu's SQLAlchemy transport, both files under ``COMPLIANCE_DATA_DIR``
(default ``var/``): no server to install. It migrates the database, creates an admin token
for this run, adds a demo scan target the first time, prints the URLs, and on Ctrl-C stops
every child (SIGTERM, then SIGKILL once the workers' shutdown grace and a margin have passed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from compliance.settings import DEFAULT_ENDPOINT, Settings, load_settings

KILL_MARGIN_SECONDS = 5.0
DEMO_AUTHOR = "demo-labs"


@dataclass
class Children:
    """The started processes, stopped together."""

    grace: float  # seconds from SIGTERM to SIGKILL, see kill_grace
    procs: dict[str, subprocess.Popen[Any]] = field(default_factory=dict)

    def start(self, name: str, args: list[str], env: dict[str, str], **kw: Any) -> subprocess.Popen[Any]:
        """Start ``python -m ...`` in its own session (so Ctrl-C reaches only us, and we stop it in order)."""
        proc = subprocess.Popen([sys.executable, *args], env=env, start_new_session=True, **kw)
        self.procs[name] = proc
        return proc

    def exited(self) -> tuple[str, int] | None:
        """The first child that stopped on its own, with its exit code."""
        for name, proc in self.procs.items():
            code = proc.poll()
            if code is not None:
                return name, code
        return None

    def stop(self) -> None:
        """SIGTERM every child, wait up to ``grace`` seconds, then SIGKILL the ones still running."""
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                # The main process only: a Celery worker then stops its pool children itself.
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)


def kill_grace(settings: Settings) -> float:
    """How long ``make run`` waits after SIGTERM before it SIGKILLs a child.

    A worker's warm shutdown may take ``COMPLIANCE_WORKER_SHUTDOWN_GRACE`` (10 s by default);
    the SIGKILL comes a margin later, so it only stops a worker that overran its own grace.
    """
    return settings.worker_shutdown_grace + KILL_MARGIN_SECONDS


def _signal_group(proc: subprocess.Popen[Any], sig: int) -> None:
    # A Celery worker has pool children; killing the group takes them too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


DEMO_ADMIN = "admin@example.com"


def prepare(settings: Settings) -> tuple[str, str | None]:
    """Migrate, add the default schedules and (once) a demo target and dashboard admin.

    Returns a new admin API token, and the admin's password when the account was just created.
    """
    import secrets

    from compliance.services import targets, tokens, users
    from compliance.storage.db import session_scope
    from web.cli import ensure_defaults
    from web.db import Database

    database = Database.from_settings(settings)
    database.migrate()
    ensure_defaults(database)
    with session_scope(database.session_factory) as session:
        if not targets.list_targets(session):
            targets.create_target(session, kind="author", value=DEMO_AUTHOR, actor="make run", name="Demo labs")
        _, plaintext = tokens.create_token(session, name=f"make-run-{int(time.time())}", role="admin",
                                           created_by="make run")  # fmt: skip
        password = None
        if not users.list_users(session):
            password = secrets.token_urlsafe(12)
            users.create_user(session, email=DEMO_ADMIN, password=password, role="admin", created_by="make run")
    database.dispose()
    return plaintext, password


def main(argv: list[str] | None = None) -> int:
    """Start everything and wait for Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m web.run", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--synthetic", type=int, default=0, help="add N synthetic models to the demo hub")
    ns = parser.parse_args(argv)
    settings = load_settings()
    env = dict(os.environ)
    env.setdefault("COMPLIANCE_DATA_DIR", str(settings.data_dir))
    children = Children(grace=kill_grace(settings))
    stopping = False

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        hub = settings.hf_endpoint
        if hub == DEFAULT_ENDPOINT:
            proc = children.start(
                "hub",
                ["-m", "web.hubserver", "--demo", "--synthetic", str(ns.synthetic)],
                env,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert proc.stdout is not None
            hub = proc.stdout.readline().strip()
            if not hub.startswith("http"):
                print("the demo hub did not start", file=sys.stderr)
                return 1
            env["COMPLIANCE_HF_ENDPOINT"] = hub
            settings = settings.with_overrides(hf_endpoint=hub)
        token, password = prepare(settings)
        web = f"http://{ns.host}:{ns.port}"
        children.start("web", ["-m", "web", "serve", "--host", ns.host, "--port", str(ns.port)], env)
        children.start("worker-checks", ["-m", "web", "worker", "--queues", "ci,interactive", "--concurrency", "2",
                                         "--loglevel", "WARNING"], env)  # fmt: skip
        children.start("worker-scans", ["-m", "web", "worker", "--queues", "scan", "--concurrency", "2",
                                        "--loglevel", "WARNING"], env)  # fmt: skip
        children.start("beat", ["-m", "web", "beat", "--loglevel", "WARNING"], env)
        print(banner(web, hub, token, settings), flush=True)
        if password:
            print(f"  dashboard     log in at {web}/login as {DEMO_ADMIN} with password {password}\n", flush=True)
        else:
            print("  dashboard     log in with an existing account (compliance users create …)\n", flush=True)
        while not stopping:
            ended = children.exited()
            if ended is not None:
                print(f"{ended[0]} exited with code {ended[1]}; stopping everything", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        print("stopping…", file=sys.stderr, flush=True)
        children.stop()


def banner(web: str, hub: str, token: str, settings: Settings) -> str:
    """What to open and what to type."""
    return f"""
compliance is running (Ctrl-C stops everything)
  web and API   {web}            (dashboard at / when installed)
  API document  {web}/api/v1/openapi.json
  health        {web}/healthz
  hub           {hub}   (demo registry; the service reads models from here)
  data          {settings.data_dir.resolve()}   (SQLite database and broker)
  admin token   {token}

try:
  curl -s -H 'Authorization: Bearer {token}' {web}/api/v1/scans
  compliance check meta-llama/Llama-3.1-8B --server {web} --token {token}
"""


if __name__ == "__main__":
    sys.exit(main())
