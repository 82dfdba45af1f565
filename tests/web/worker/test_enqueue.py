"""Where sent tasks land: scheduled tasks on housekeeping, the scans they start on the scan queue."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.services.schedules import EXPIRE_WAIVERS_TASK, REEVALUATE_TASK, SCAN_TARGET_TASK
from web.worker.enqueue import send_check, send_scan, send_scheduled


@pytest.mark.parametrize(
    ("task", "target_id", "args"),
    [(SCAN_TARGET_TASK, 7, [7]), (REEVALUATE_TASK, None, []), (EXPIRE_WAIVERS_TASK, None, [])],
)
def test_scheduled_tasks_go_to_housekeeping(worker_app: Any, task: str, target_id: int | None, args: list[int]) -> None:
    send_scheduled(worker_app, task, target_id)
    assert worker_app.sent == [(task, args, "housekeeping")]


def test_an_unknown_scheduled_task_is_refused(worker_app: Any) -> None:
    with pytest.raises(ValueError, match="unknown task"):
        send_scheduled(worker_app, "compliance.scans.run", 1)
    assert worker_app.sent == []


def test_runners_and_checks_keep_their_queues(worker_app: Any) -> None:
    send_scan(worker_app, 3, runners=2)
    send_check(worker_app, "c1", "ci")
    send_check(worker_app, "c2", "housekeeping")  # not a check queue: interactive
    assert [queue for _, _, queue in worker_app.sent] == ["scan", "scan", "ci", "interactive"]
