"""Real processes against real services: workers started as ``python -m web worker`` subprocesses.

Backends: ``embedded`` (SQLite in WAL mode and kombu's SQLAlchemy transport: the ``make run``
default) and ``postgres-redis`` (a throwaway PostgreSQL database ``compliance_test_<random>``,
dropped at the end, and a Redis database number picked at random and flushed). RabbitMQ has a
smoke test. A service that is down skips its tests with the reason, except under ``CI=true``,
where it fails them: CI must not pass by testing less.

The hub is the project's hub server (``hub_server`` fixture); workers reach it over HTTP.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from compliance.settings import Settings

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
RABBIT_URL = "amqp://guest:guest@127.0.0.1:5672//"
WORKER_START_SECONDS = 40.0


def in_ci() -> bool:
    """Whether missing services must fail the run."""
    return os.environ.get("CI", "").lower() == "true"


def require_port(name: str, host: str, port: int) -> None:
    """Skip (fail under CI) unless something listens on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        reason = f"{name} not reachable at {host}:{port}: {exc}"
        if in_ci():
            pytest.fail(reason + " (CI=true: service tests must run)")
        pytest.skip(reason)


@dataclass
class Worker:
    """A ``python -m web worker`` subprocess and its log."""

    proc: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        """What it logged so far."""
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """Warm shutdown, then SIGKILL of the whole group if it lingers."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reap_group()

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def _reap_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


@dataclass
class Stack:
    """A database, a broker and the settings every process of one backend shares."""

    name: str
    env: dict[str, str]
    settings: Settings
    workdir: Path
    workers: list[Worker] = field(default_factory=list)
    apps: list[Any] = field(default_factory=list)

    def start_worker(self, *args: str) -> Worker:
        """Start a worker and wait until it is consuming."""
        return self.start("worker", "--loglevel", "INFO", *args, ready=" ready.")

    def start(self, *args: str, ready: str) -> Worker:
        """Start ``python -m web ARGS`` and wait until its log shows ``ready``."""
        log = self.workdir / f"process-{len(self.workers)}.log"
        handle = log.open("wb")
        cmd = [sys.executable, "-m", "web", *args]
        proc = subprocess.Popen(cmd, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        worker = Worker(proc, log)
        self.workers.append(worker)
        deadline = time.monotonic() + WORKER_START_SECONDS
        while ready not in worker.text():
            if proc.poll() is not None or time.monotonic() > deadline:
                worker.stop()
                pytest.fail(f"{args[0]} did not start:\n{worker.text()[-3000:]}")
            time.sleep(0.1)
        return worker

    def stop(self) -> None:
        """Stop every worker this stack started and close the apps' connections."""
        for worker in self.workers:
            worker.stop()
        self.workers.clear()
        for app in self.apps:
            app.extensions["compliance"].database.dispose()
        self.apps.clear()

    def app(self) -> Any:
        """A web app on this stack that sends tasks to the real broker."""
        from web.app import create_app

        app = create_app(self.settings, config={"TESTING": True})
        self.apps.append(app)
        return app

    def token(self, role: str = "admin") -> str:
        """A new API token."""
        from compliance.services.tokens import create_token
        from compliance.storage.db import session_scope
        from web.db import Database

        database = Database.from_settings(self.settings)
        try:
            with session_scope(database.session_factory) as session:
                return create_token(session, name=f"it-{role}-{random.random()}", role=role, created_by="tests")[1]
        finally:
            database.dispose()


def make_stack(name: str, workdir: Path, hub_url: str, **overrides: str) -> Stack:
    """Settings and environment for a backend; the database is migrated."""
    from web.db import Database

    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env.update(
        COMPLIANCE_DATA_DIR=str(workdir / "var"),
        COMPLIANCE_HF_ENDPOINT=hub_url,
        COMPLIANCE_HUB_RETRIES="0",
        PYTHONPATH=str(Path(__file__).resolve().parents[3]),
    )
    for key, value in overrides.items():
        env[f"COMPLIANCE_{key.upper()}"] = value
    from compliance.settings import load_settings

    settings = load_settings(env)
    database = Database.from_settings(settings)
    database.migrate()
    database.dispose()
    return Stack(name, env, settings, workdir)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for the session (created empty, dropped at the end)."""
    from tests.compliance.storage.databases import create_database, drop_database, postgres_admin_engine

    admin = postgres_admin_engine()
    url = create_database(admin, prefix="test")
    try:
        yield url
    finally:
        drop_database(admin, url)
        admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database number of its own, flushed before and after."""
    require_port("Redis", REDIS_HOST, REDIS_PORT)
    import redis

    number = random.randint(3, 15)
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory, hub_server: Any) -> Iterator[Stack]:
    """SQLite + kombu's SQLAlchemy transport, one worker on every queue."""
    stack = make_stack("embedded", tmp_path_factory.mktemp("embedded"), hub_server.url)
    stack.start_worker("--queues", "ci,interactive,scan", "--concurrency", "2")
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def postgres_redis(
    tmp_path_factory: pytest.TempPathFactory, hub_server: Any, postgres_url: str, redis_url: str
) -> Iterator[Stack]:
    """PostgreSQL + Redis, one worker for the check queues and one for scans."""
    stack = make_stack(
        "postgres-redis",
        tmp_path_factory.mktemp("pgredis"),
        hub_server.url,
        database_url=postgres_url,
        broker_url=redis_url,
        result_backend=redis_url,
    )
    stack.start_worker("--queues", "ci,interactive", "--concurrency", "2")
    stack.start_worker("--queues", "scan", "--concurrency", "2")
    yield stack
    stack.stop()


@pytest.fixture(params=["embedded", "postgres_redis"])
def stack(request: pytest.FixtureRequest) -> Stack:
    """Each backend in turn."""
    if request.param == "postgres_redis":
        request.applymarker(pytest.mark.services)
    found: Stack = request.getfixturevalue(request.param)
    return found


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str, step: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], str]]:
    """Serve a Flask app with waitress on a free port in a thread; returns its URL."""
    import threading

    from waitress.server import create_server

    servers: list[Any] = []

    def serve(app: Any) -> str:
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        servers.append(server)
        threading.Thread(target=server.run, daemon=True).start()
        return f"http://127.0.0.1:{server.effective_port}"

    yield serve
    for server in servers:
        server.close()
