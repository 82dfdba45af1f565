"""Housekeeping never waits behind scans: every worker consumes its queue, after its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from compliance.storage.db import session_scope
from compliance.storage.tables import ScanRow
from tests.web.integration.conftest import Stack, Worker, make_stack, wait_for

pytestmark = pytest.mark.slow
MODELS = 40
DELAY = 0.2  # seconds per model description: two runners hold both scan slots for 4 s at least


@pytest.fixture
def embedded_stack(tmp_path: Path) -> Iterator[Stack]:
    """The embedded backend on a hub whose model descriptions are slow, so a scan lasts seconds."""
    from web.hubserver import DemoRegistry, HubControls, create_hub_app, hub_state, start_hub_server
    from web.hubserver.controls import Fault

    hub = create_hub_app(DemoRegistry(synthetic=MODELS), controls=True)
    controls: HubControls = hub_state(hub).controls
    controls.add_fault(Fault(match="^/api/models/synthetic/", delay=DELAY, times=None))
    url, stop = start_hub_server(hub)
    stack = make_stack("embedded", tmp_path, url)
    try:
        yield stack
    finally:
        stack.stop()
        stop()


def _ran(worker: Worker, task_id: str) -> bool:
    return f"[{task_id}] succeeded" in worker.text()


def _scan_status(factory: Any, scan_id: int) -> str:
    with session_scope(factory) as session:
        scan = session.get(ScanRow, scan_id)
        assert scan is not None
        return str(scan.status)


def _broker_messages(stack: Stack) -> int:
    engine = sa.create_engine(stack.settings.effective_broker_url.removeprefix("sqla+"))
    try:
        with engine.connect() as db:
            return int(db.execute(sa.text("SELECT count(*) FROM kombu_message")).scalar_one())
    finally:
        engine.dispose()


def test_the_tick_runs_while_scan_runners_hold_every_scan_slot(embedded_stack: Stack) -> None:
    from web.worker.celery_app import TICK_TASK, create_celery

    stack = embedded_stack
    app = stack.app()
    factory = app.extensions["compliance"].database.session_factory
    scans = stack.start_worker("--queues", "scan", "--concurrency", "2")
    checks = stack.start_worker("--queues", "ci,interactive", "--concurrency", "1")
    assert ".> housekeeping" in scans.text() and ".> housekeeping" in checks.text()  # Celery's banner
    headers = {"Authorization": f"Bearer {stack.token('submitter')}"}
    scan_id = app.test_client().post("/api/v1/scans", json={"author": "synthetic"}, headers=headers).get_json()["id"]
    wait_for(lambda: scans.text().count("compliance.scans.run[") >= 2, timeout=30, what="both runners started")
    sender = create_celery(stack.settings, register_tasks=False)

    busy_tick = sender.send_task(TICK_TASK).id  # routed to housekeeping
    wait_for(lambda: _ran(checks, busy_tick), timeout=15, what="the tick on the check worker")
    # Both scan slots were still held by the runners, and the scan worker never saw the tick.
    assert "succeeded" not in scans.text() and _scan_status(factory, scan_id) != "done"
    assert busy_tick not in scans.text()

    checks.stop()  # now only the scan worker consumes housekeeping: it takes the tick once a slot frees
    idle_tick = sender.send_task(TICK_TASK).id
    wait_for(lambda: _ran(scans, idle_tick), timeout=60, what="the tick on the scan worker")
    wait_for(lambda: _scan_status(factory, scan_id) == "done", timeout=60, what="the scan")
    # Every message sent was consumed, and the embedded broker kept none of them.
    wait_for(lambda: _broker_messages(stack) == 0, timeout=10, what="an empty message table")
