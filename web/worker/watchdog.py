"""Every worker's watchdog: recovery every few seconds, and a warm shutdown that hands work back.

A thread in the worker's main process (not a pool slot, so long scans cannot starve it):

* every ``lease / 3`` seconds (at most 5) it runs the recovery (:mod:`web.worker.recovery`):
  a runner whose lease ran out is declared lost and its scan gets new runners. So a surviving
  worker takes over a killed one's scan a lease after the kill, and a worker that starts does
  the same, with no beat;
* on a warm shutdown (SIGTERM) it asks this worker's runners to stop: each finishes the model
  in hand, stores what it finished and hands the rest of its batch back, and Celery's warm
  shutdown then waits only for that. A runner still busy when the grace is nearly over (a model
  stuck on a slow hub) has its models released and its pool process killed, so the worker exits
  within the grace (``--shutdown-grace``, default 10 s) and nothing it held stays claimed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from typing import Any

from celery.signals import worker_ready, worker_shutting_down

from web.worker.celery_app import LEASE_KEY, SHUTDOWN_GRACE_KEY, celery_settings, runtime

STOP_SIGNAL = signal.SIGUSR2  # handled in every pool process (web.worker.tasks)

log = logging.getLogger(__name__)

MAX_INTERVAL = 5.0
# What a stopped pool process and Celery's own shutdown take after the last runner is gone.
EXIT_MARGIN = 2.0


def recover_now(app: Any, *, scan_ids: list[int] | None = None) -> Any:
    """Run one recovery pass for this Celery app (sending what it finds after the commit)."""
    from web.worker.enqueue import send_check, send_scan
    from web.worker.recovery import DEFAULT_STALE_SECONDS, recover_stale
    from web.worker.tasks import RECOVER_AFTER_KEY

    stale_after = app.conf.get(RECOVER_AFTER_KEY)
    return recover_stale(
        runtime(app).database.session_factory,
        send_scan=lambda scan_id, runners: send_scan(app, scan_id, runners=runners),
        send_check=lambda check_id, queue: send_check(app, check_id, queue),
        stale_after=DEFAULT_STALE_SECONDS if stale_after is None else float(stale_after),
        scan_ids=scan_ids,
    )


class Watchdog:
    """The recovery loop and shutdown handling of one worker (see the module docstring)."""

    def __init__(self, app: Any, hostname: str) -> None:
        settings = celery_settings(app)
        self.app = app
        self.hostname = hostname
        lease = float(app.conf.get(LEASE_KEY) or settings.scan_lease_seconds)
        self.interval = min(MAX_INTERVAL, lease / 3)
        self.grace = float(app.conf.get(SHUTDOWN_GRACE_KEY) or settings.worker_shutdown_grace)
        self._shutdown = threading.Event()
        self._thread = threading.Thread(target=self._run, name="compliance-watchdog", daemon=True)

    def start(self) -> None:
        """Start the loop (one recovery pass at once: a worker starting after a crash takes over)."""
        self._thread.start()

    def shutdown(self) -> None:
        """A warm shutdown began: stop this worker's runners within the grace."""
        self._shutdown.set()

    def _run(self) -> None:
        self._recover()
        while not self._shutdown.wait(self.interval):
            self._recover()
        self._stop_runners(time.monotonic() + max(0.5, self.grace - EXIT_MARGIN))

    def _recover(self) -> None:
        try:
            recovered = recover_now(self.app)
        except Exception:  # a database hiccup must not stop the worker; the next pass retries
            log.warning("recovery pass failed", exc_info=True)
            return
        if recovered.scans or recovered.checks or recovered.failed_scans:
            log.info("recovery: runners sent to scans %s, checks sent again %s, scans failed %s",
                     recovered.scans, recovered.checks, recovered.failed_scans)  # fmt: skip

    def _stop_runners(self, deadline: float) -> None:
        from compliance.services.runners import end_runner, request_stop, running_of
        from compliance.storage.db import session_scope
        from compliance.storage.tables import RunnerState

        factory = runtime(self.app).database.session_factory
        try:
            with session_scope(factory) as session:
                busy = running_of(session, self.hostname)
            # The signal first (a read, then no wait): the pool processes stop their runners at
            # once; the flag, written next (on SQLite it may wait for the write lock), is for
            # runners out of reach of a signal (a threads pool, another host's view).
            for _runner_id, pid in busy:
                if pid and _our_child(pid):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, STOP_SIGNAL)
            with session_scope(factory) as session:
                asked = request_stop(session, self.hostname)
            if asked:
                log.info("warm shutdown: asked runners %s to stop", asked)
            while True:
                with session_scope(factory) as session:
                    left = running_of(session, self.hostname)
                if not left:
                    return
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.2)
            for runner_id, pid in left:
                end_runner(factory, runner_id, RunnerState.RELEASED, "stopped at the end of the shutdown grace")
                log.warning("warm shutdown: runner %s still busy after the grace; its models were released", runner_id)
                if pid and _our_child(pid):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
        except Exception:
            log.warning("warm shutdown: could not hand the runners' work back; leases will expire", exc_info=True)


def _our_child(pid: int) -> bool:
    """Whether ``pid`` is one of this worker's pool processes (a row's pid may be a dead worker's,
    since reused by another process: never signal that)."""
    if pid == os.getpid():
        return False  # a solo or threads pool: the runner is in this process
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            parent = int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return False  # gone, or no /proc: the stop flag and the lease do the work
    return parent == os.getpid()


_watchdog: Watchdog | None = None


@worker_ready.connect
def _start(sender: Any = None, **_kw: Any) -> None:
    global _watchdog
    app = getattr(sender, "app", None)
    hostname = getattr(sender, "hostname", None)
    if app is None or hostname is None or _watchdog is not None:
        return
    _watchdog = Watchdog(app, str(hostname))
    _watchdog.start()


@worker_shutting_down.connect
def _on_shutdown(sender: Any = None, how: str | None = None, **_kw: Any) -> None:
    # Called from the signal handler: only set an event; the watchdog thread does the work.
    if _watchdog is not None:
        _watchdog.shutdown()
