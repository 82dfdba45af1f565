"""The end-to-end stack for the browser tests: server, worker, hub and headless Chromium.

Everything runs as it does in production on the embedded defaults: ``python -m web serve``
(waitress) and ``python -m web worker`` (Celery on kombu's SQLAlchemy transport over SQLite)
as subprocesses sharing one data directory, the project's hub server for the models, and
Debian's ``chromium`` driven through ``chromedriver`` by Selenium. The browser is started with
no network features (no sync, component updates or background requests) and only ever loads
pages from 127.0.0.1.

Chromium comes from the operating system (``make e2e-deps`` installs it). When it is missing
the browser tests are skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
BROWSER_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--lang=en-GB",
    "--window-size=1280,900",
)
START_SECONDS = 60.0
REPO = Path(__file__).resolve().parents[3]
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "a long test password for e2e"


def in_ci() -> bool:
    """Whether a missing browser must fail the run rather than skip it."""
    return os.environ.get("CI", "").lower() == "true"


def require_browser() -> tuple[str, str]:
    """Paths of chromium and chromedriver, or skip (fail under CI=true)."""
    chromium = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    driver = CHROMEDRIVER if os.path.exists(CHROMEDRIVER) else shutil.which("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        chromium = None
    if not chromium or not driver:
        reason = "headless Chromium, chromedriver or selenium is missing (run `make e2e-deps`)"
        if in_ci():
            pytest.fail(reason + " (CI=true: the browser tests must run)")
        pytest.skip(reason)
    return chromium, driver


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Process:
    """A subprocess in its own process group, with its output in a log file."""

    proc: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        """What it printed so far."""
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL of the whole group if it lingers."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)


@dataclass
class Stack:
    """A running server and worker over one data directory."""

    url: str
    env: dict[str, str]
    workdir: Path
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, *args: str, ready: Any) -> Process:
        """Start ``python -m web ARGS`` and wait until ``ready(process)`` is true."""
        log = self.workdir / f"{name}.log"
        handle = log.open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "web", *args],
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=REPO,
        )
        handle.close()
        process = Process(proc, log)
        self.processes.append(process)
        deadline = time.monotonic() + START_SECONDS
        while not ready(process):
            if proc.poll() is not None or time.monotonic() > deadline:
                process.stop()
                pytest.fail(f"{name} did not start:\n{process.text()[-3000:]}")
            time.sleep(0.2)
        return process

    def stop(self) -> None:
        """Stop every process started."""
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def logs(self) -> str:
        """The tail of every process's log (for failure messages)."""
        return "\n".join(f"--- {p.log.name}\n{p.text()[-2000:]}" for p in self.processes)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def start_stack(workdir: Path, hub_url: str) -> Stack:
    """Migrate a database, create the admin account with the CLI, start the server and a worker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env.update(
        COMPLIANCE_DATA_DIR=str(workdir / "var"),
        COMPLIANCE_HF_ENDPOINT=hub_url,
        COMPLIANCE_HUB_RETRIES="0",
        COMPLIANCE_SECRET_KEY="e2e-test-secret-key",
        PYTHONPATH=str(REPO),
    )
    for args, stdin in (
        (["db", "upgrade"], None),
        (["users", "create", ADMIN_EMAIL, "--role", "admin", "--password-stdin"], ADMIN_PASSWORD + "\n"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "web", *args], env=env, input=stdin, capture_output=True, text=True, cwd=REPO
        )
        assert done.returncode == 0, f"web {' '.join(args)}: {done.stderr}"
    port = free_port()
    stack = Stack(f"http://127.0.0.1:{port}", env, workdir)
    try:
        stack.start("server", "serve", "--port", str(port), ready=lambda p: _answers(stack.url + "/login"))
        stack.start(
            "worker",
            "worker",
            "--queues",
            "ci,interactive,scan",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            ready=lambda p: " ready." in p.text(),
        )
    except BaseException:
        stack.stop()
        raise
    return stack


def start_browser() -> Any:
    """Headless Chromium under chromedriver, console messages recorded."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in BROWSER_ARGS:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(driver), options=options)
    browser.set_page_load_timeout(30)
    return browser
