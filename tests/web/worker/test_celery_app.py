"""The Celery app's queues and routes: short housekeeping tasks never share the scan queue."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.services.schedules import EXPIRE_WAIVERS_TASK, REEVALUATE_TASK, SCAN_TARGET_TASK
from compliance.settings import Settings
from web.worker.celery_app import (
    CHECK_TIME_LIMIT,
    HOUSEKEEPING_QUEUE,
    QUEUES,
    REDIS_VISIBILITY_TIMEOUT,
    SCAN_QUEUE,
    TICK_ENTRY,
    TICK_TASK,
    create_celery,
)


def _routed(settings: Settings, name: str) -> str:
    app = create_celery(settings, register_tasks=False)
    queue: str = app.amqp.router.route({}, name)["queue"].name
    return queue


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        (TICK_TASK, HOUSEKEEPING_QUEUE),
        (EXPIRE_WAIVERS_TASK, HOUSEKEEPING_QUEUE),
        (SCAN_TARGET_TASK, HOUSEKEEPING_QUEUE),
        (REEVALUATE_TASK, HOUSEKEEPING_QUEUE),
        ("compliance.scans.run", SCAN_QUEUE),
        ("compliance.checks.run", "interactive"),  # send_check names ci or interactive itself
    ],
)
def test_tasks_are_routed_by_name(tmp_path: Path, task: str, queue: str) -> None:
    assert _routed(Settings(data_dir=tmp_path), task) == queue


def test_every_queue_is_declared_and_beat_ticks_on_housekeeping(tmp_path: Path) -> None:
    app = create_celery(Settings(data_dir=tmp_path), register_tasks=False)
    assert [q.name for q in app.conf.task_queues] == list(QUEUES) == ["ci", "interactive", "scan", "housekeeping"]
    entry = app.conf.beat_schedule[TICK_ENTRY]
    assert entry["task"] == TICK_TASK
    assert app.amqp.router.route(entry.get("options", {}), entry["task"])["queue"].name == HOUSEKEEPING_QUEUE


def test_redis_redelivers_an_unacknowledged_message_after_twice_a_check_limit(tmp_path: Path) -> None:
    redis = Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:9/0", result_backend="redis://127.0.0.1:9/0")
    app = create_celery(redis, register_tasks=False)
    assert app.conf.broker_transport_options == {"visibility_timeout": REDIS_VISIBILITY_TIMEOUT}
    assert REDIS_VISIBILITY_TIMEOUT == 2 * CHECK_TIME_LIMIT + 60
