"""The tasks: thin wrappers that take ids, call one service, and decide about retries.

Every task is idempotent because the services are: a finished check is returned untouched, a
scan resumes from its stored items, the waiver expiry and the schedule claims are conditional
updates. Re-delivery therefore repeats no row.

Retries: a transient hub failure (:class:`~compliance.errors.HubError`) is retried with
exponential backoff, or after the hub's ``Retry-After`` for a
:class:`~compliance.errors.RateLimited`; when the retries run out the check fails with the
hub's message (exit code 3, as the CLI would give), and a scan runner ends ``failed``: the
recovery sends new runners, and fails the scan once runners were lost or gave up
:data:`web.worker.recovery.MAX_ATTEMPTS` times. A runner waiting for its retry keeps its
place (``waiting``), so the recovery does not send another meanwhile.

This module imports ``compliance`` and the Celery app module only: never Flask.
"""

from __future__ import annotations

import contextlib
import logging
import random
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_process_init

from compliance.errors import HubError
from compliance.services.schedules import EXPIRE_WAIVERS_TASK, REEVALUATE_TASK, SCAN_TARGET_TASK
from compliance.storage.db import session_scope
from web.worker.celery_app import CHECK_TIME_LIMIT, LEASE_KEY, SCAN_TIME_LIMIT, reset_runtime, runtime
from web.worker.enqueue import RUN_CHECK_TASK, RUN_SCAN_TASK, TICK_TASK, send_scan, send_scheduled
from web.worker.watchdog import STOP_SIGNAL, recover_now  # also connects the watchdog to the worker's signals

log = logging.getLogger(__name__)

CHECK_RETRIES = 5
SCAN_RETRIES = 8
BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0
RECOVER_AFTER_KEY = "compliance_recover_after"


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): the hub's advice, else jittered 2^n."""
    if retry_after is not None:
        return min(max(retry_after, 1.0), 3600.0)
    step = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
    return step / 2 + random.uniform(0, step / 2)


@shared_task(bind=True, name=RUN_CHECK_TASK, time_limit=CHECK_TIME_LIMIT, soft_time_limit=CHECK_TIME_LIMIT - 30)
def run_check_task(self: Task, check_id: str) -> str | None:
    """Run one stored check to completion."""
    from compliance.services.checks import fail_check, run_check

    rt = runtime(self.app)
    try:
        row = run_check(rt.database.session_factory, check_id, settings=rt.settings, rulebook=rt.book())
    except HubError as exc:
        if self.request.retries >= CHECK_RETRIES:
            # The service stores the exit code (3, as the CLI) and the kind ("unreachable") with the failure.
            fail_check(rt.database.session_factory, check_id, exc.one_line(), exit_code=int(exc.exit_code),
                       failure=exc.kind)  # fmt: skip
            return "failed"
        raise self.retry(
            exc=exc, countdown=backoff(self.request.retries, getattr(exc, "retry_after", None)), max_retries=None
        ) from None
    return str(row.status)


@shared_task(bind=True, name=RUN_SCAN_TASK, time_limit=SCAN_TIME_LIMIT, soft_time_limit=None)
def run_scan_task(self: Task, scan_id: int, follow: bool = False) -> str | None:
    """Run one runner of a scan; several runners share a scan. A follower lists nothing itself.

    The runner is known by this task's id: a second delivery of the same message stops at once.
    """
    from compliance.services.runners import RunnerStopped, end_runner, runner_of_task, wait_runner
    from compliance.services.scans import run_scan
    from compliance.storage.tables import RunnerState
    from web.worker.listing import FollowLister, HubLister, LeadGone

    rt = runtime(self.app)
    factory = rt.database.session_factory
    settings = rt.settings.with_overrides(scan_lease_seconds=self.app.conf.get(LEASE_KEY))
    lister: Any = FollowLister(factory, scan_id) if follow else HubLister.from_settings(settings)
    task_id = str(self.request.id or "")
    previous = _catch_stop_signal()
    try:
        scan = run_scan(factory, scan_id, settings=settings, lister=lister, rulebook=rt.book(), follower=follow,
                        task_id=task_id or None, worker=self.request.hostname)  # fmt: skip
    except RunnerStopped as stop:
        log.info("scan %s: runner %s stopped: %s", scan_id, task_id, stop)
        return "stopped"
    except LeadGone:
        _end(factory, task_id, "ended", "the lead runner stopped before the listing finished")
        return "lead gone"  # the recovery sends a new lead
    except HubError as exc:
        runner = runner_of_task(factory, task_id) if task_id else None
        if self.request.retries >= SCAN_RETRIES:
            log.warning("scan %s: giving up this runner after %d retries: %s", scan_id, SCAN_RETRIES, exc)
            if runner is not None:
                end_runner(
                    factory, runner, RunnerState.FAILED, f"gave up after {SCAN_RETRIES} retries: {exc.one_line()}"
                )
            return "retries exhausted"  # the recovery sends new runners, or fails the scan
        countdown = backoff(self.request.retries, getattr(exc, "retry_after", None))
        if runner is not None:
            wait_runner(factory, runner, countdown + settings.scan_lease_seconds)
        raise self.retry(exc=exc, countdown=countdown, max_retries=None) from None
    finally:
        _restore_stop_signal(previous)
    return str(scan.status)


def _catch_stop_signal() -> Any:
    """While a runner works, the watchdog's stop signal stops it after the model in hand.

    Installed here, in the pool process, and not at its start: billiard turns the handlers found
    at a pool process's start into exits. Outside the main thread (a threads pool) there is no
    signal handling; the runner then notices the stop flag through its lease thread.
    """
    import signal

    from compliance.services.runners import stop_runners_here

    try:
        return signal.signal(STOP_SIGNAL, lambda _signum, _frame: stop_runners_here())
    except ValueError:
        return None


def _restore_stop_signal(previous: Any) -> None:
    import signal

    if previous is not None:
        with contextlib.suppress(ValueError):
            signal.signal(STOP_SIGNAL, previous)


def _end(factory: Any, task_id: str, state: str, note: str) -> None:
    from compliance.services.runners import end_runner, runner_of_task
    from compliance.storage.tables import RunnerState

    runner = runner_of_task(factory, task_id) if task_id else None
    if runner is not None:
        end_runner(factory, runner, RunnerState(state), note)


@shared_task(bind=True, name=SCAN_TARGET_TASK, time_limit=120)
def scan_target_task(self: Task, target_id: int) -> int | None:
    """Start a scan of a target (a schedule fired) and queue its runners."""
    from compliance.services.scans import start_scan
    from compliance.storage.tables import ScanStatus, ScanTrigger
    from web.worker.enqueue import after_commit

    rt = runtime(self.app)
    with session_scope(rt.database.session_factory) as session:
        scan = start_scan(session, target_id=target_id, trigger=ScanTrigger.BEAT)
        if scan.status == ScanStatus.QUEUED and scan.id is not None:
            after_commit(session, send_scan, self.app, scan.id)
        return scan.id


@shared_task(bind=True, name=REEVALUATE_TASK, time_limit=120)
def reevaluate_task(self: Task) -> int | None:
    """Start a re-evaluation of stored facts under the current rule sets (no hub requests)."""
    from compliance.services.scans import start_reevaluation
    from compliance.storage.tables import ScanStatus, ScanTrigger
    from web.worker.enqueue import after_commit

    rt = runtime(self.app)
    with session_scope(rt.database.session_factory) as session:
        scan = start_reevaluation(session, trigger=ScanTrigger.BEAT)
        if scan.status == ScanStatus.QUEUED and scan.id is not None:
            after_commit(session, send_scan, self.app, scan.id)
        return scan.id


@shared_task(bind=True, name=EXPIRE_WAIVERS_TASK, time_limit=120)
def expire_waivers_task(self: Task) -> int:
    """Mark the waivers past their last day as expired (audited)."""
    from compliance.services.checks import today_utc
    from compliance.services.waivers import expire_waivers

    rt = runtime(self.app)
    with session_scope(rt.database.session_factory) as session:
        return expire_waivers(session, today=today_utc())


@shared_task(bind=True, name=TICK_TASK, time_limit=60, expires=120)
def tick_task(self: Task) -> dict[str, Any]:
    """Beat's tick: start the due schedules, then re-queue work whose worker was lost."""
    from compliance.services.schedules import claim_due_schedules
    from compliance.storage.tables import utcnow
    from web.worker.enqueue import after_commit

    rt = runtime(self.app)
    fired = []
    with session_scope(rt.database.session_factory) as session:
        for row in claim_due_schedules(session, now=utcnow()):
            try:
                after_commit(session, send_scheduled, self.app, row.task, row.target_id)
                fired.append(row.id)
            except ValueError:
                log.warning("schedule %s names unknown task %r; skipped", row.id, row.task)
    recovered = recover_now(self.app)
    return {"fired": fired, "recovered_scans": recovered.scans, "recovered_checks": recovered.checks}


@worker_process_init.connect
def _fresh_runtime_in_child(**_kw: Any) -> None:
    # A pool process must not use connections its parent opened before the fork (nor close them).
    reset_runtime(close=False)
