"""Sending tasks, by name, only once the rows they name are committed.

The web process, beat's tick and the tasks themselves all go through these functions, so the
queue a task lands on is decided in one place. Tasks are sent by name (``send_task``): the web
process never imports the task module, and a rename breaks the tests, not production.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from celery import Celery

from compliance.services.schedules import EXPIRE_WAIVERS_TASK, REEVALUATE_TASK, SCAN_TARGET_TASK
from web.worker.celery_app import CHECK_QUEUES, HOUSEKEEPING_QUEUE, SCAN_QUEUE
from web.worker.celery_app import TICK_TASK as TICK_TASK  # named with the routes; imported from here by tasks

RUN_CHECK_TASK = "compliance.checks.run"
RUN_SCAN_TASK = "compliance.scans.run"
# Two runners share one scan: each claims items with a conditional update, so they split the
# work between two worker slots without doing any model twice; only the lead reads the listing.
SCAN_RUNNERS = 2
SCHEDULED_TASKS = frozenset({SCAN_TARGET_TASK, REEVALUATE_TASK, EXPIRE_WAIVERS_TASK})


def send_check(app: Celery, check_id: str, queue: str | None) -> None:
    """Queue a run of a stored check on its queue (``ci`` or ``interactive``)."""
    with _sending(app):
        app.send_task(RUN_CHECK_TASK, args=[check_id], queue=queue if queue in CHECK_QUEUES else "interactive")


# The embedded broker is a SQLite file: the threads of one process take turns on a Python lock
# rather than in SQLite's busy handler, which sleeps in steps of up to 100 ms (as for the
# service database, see web.db.Database.writing).
_SEND_TURN = threading.Lock()


def _sending(app: Celery) -> AbstractContextManager[Any]:
    return _SEND_TURN if app.conf.broker_transport is not None else nullcontext()


def send_scan(app: Celery, scan_id: int, *, runners: int = SCAN_RUNNERS) -> None:
    """Queue ``runners`` runners of a stored scan on the scan queue: one lead, which lists the
    target on the hub, and followers, which replay its listing from the database."""
    with _sending(app):
        app.send_task(RUN_SCAN_TASK, args=[scan_id], queue=SCAN_QUEUE)
        for _ in range(max(1, runners) - 1):
            app.send_task(RUN_SCAN_TASK, args=[scan_id], kwargs={"follow": True}, queue=SCAN_QUEUE)


def send_scheduled(app: Celery, task: str, target_id: int | None) -> None:
    """Queue the task a schedule row names on the housekeeping queue (an unknown name is a data
    error: refused). The scan such a task starts goes to the scan queue, through :func:`send_scan`."""
    if task not in SCHEDULED_TASKS:
        raise ValueError(f"schedule names unknown task {task!r}")
    args: list[Any] = [target_id] if task == SCAN_TARGET_TASK else []
    app.send_task(task, args=args, queue=HOUSEKEEPING_QUEUE)


def after_commit(session: Any, send: Any, *args: Any, **kwargs: Any) -> None:
    """Call ``send(*args, **kwargs)`` when ``session``'s transaction commits (never on rollback)."""
    from compliance.storage.db import after_commit as hook

    hook(session, lambda: send(*args, **kwargs))
