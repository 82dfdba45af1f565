"""A worker killed with SIGKILL in the middle of a scan: nothing finished is lost, nothing is done twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from compliance.storage.db import session_scope
from compliance.storage.tables import ChangeRow, CheckRow, FindingRow, ScanItemRow, ScanRow
from tests.web.integration.conftest import Stack, make_stack, require_port, wait_for

pytestmark = pytest.mark.slow
MODELS = 120


@pytest.fixture(scope="module")
def slow_hub() -> Iterator[str]:
    """A hub with ``MODELS`` synthetic models whose descriptions take 50 ms each, so a scan lasts seconds."""
    from web.hubserver import DemoRegistry, HubControls, create_hub_app, hub_state, start_hub_server
    from web.hubserver.controls import Fault

    app = create_hub_app(DemoRegistry(synthetic=MODELS), controls=True)
    controls: HubControls = hub_state(app).controls
    controls.add_fault(Fault(match="^/api/models/synthetic/", delay=0.05, times=None))
    url, stop = start_hub_server(app)
    yield url
    stop()


@pytest.fixture(params=["embedded", "postgres_redis"])
def isolated(request: pytest.FixtureRequest, tmp_path: Path, slow_hub: str) -> Iterator[Stack]:
    """A backend of this test's own (its own database and broker), so no other worker sees its tasks."""
    if request.param == "embedded":
        stack = make_stack("embedded", tmp_path, slow_hub)
        yield stack
        stack.stop()
        return
    request.applymarker(pytest.mark.services)
    from tests.compliance.storage.databases import create_database, drop_database, postgres_admin_engine

    require_port("Redis", "127.0.0.1", 6379)
    import redis

    admin = postgres_admin_engine()
    url = create_database(admin, prefix="test")
    broker = "redis://127.0.0.1:6379/2"
    redis.Redis.from_url(broker).flushdb()
    stack = make_stack("postgres-redis", tmp_path, slow_hub, database_url=url, broker_url=broker)
    try:
        yield stack
    finally:
        stack.stop()
        redis.Redis.from_url(broker).flushdb()
        drop_database(admin, url)
        admin.dispose()


def _state(factory: Any, scan_id: int) -> dict[str, Any]:
    with session_scope(factory) as session:
        scan = session.get(ScanRow, scan_id)
        assert scan is not None
        done = dict(
            session.exec(
                select(ScanItemRow.model_id, ScanItemRow.check_id).where(
                    col(ScanItemRow.scan_id) == scan_id, col(ScanItemRow.status) == "done"
                )
            ).all()
        )
        return {"status": scan.status, "done": done, "total": scan.total, "changes": scan.changes}


def test_a_killed_worker_loses_nothing_and_duplicates_nothing(isolated: Stack) -> None:
    app = isolated.app()
    factory = app.extensions["compliance"].database.session_factory
    first = isolated.start_worker("--queues", "scan", "--concurrency", "2")
    headers = {"Authorization": f"Bearer {isolated.token('submitter')}"}
    scan_id = app.test_client().post("/api/v1/scans", json={"author": "synthetic"}, headers=headers).get_json()["id"]
    before = wait_for(lambda: (s := _state(factory, scan_id))["done"] and len(s["done"]) >= 15 and s,
                      timeout=60, what="15 models scanned")  # fmt: skip
    first.kill()
    killed_at = _state(factory, scan_id)
    assert killed_at["status"] == "running" and len(killed_at["done"]) < MODELS
    time.sleep(1.5)  # the dead runners' heartbeat goes stale
    isolated.start_worker("--queues", "scan", "--concurrency", "2", "--recover-after", "1")
    after = wait_for(lambda: (s := _state(factory, scan_id))["status"] == "done" and s, timeout=90,
                     what="the resumed scan")  # fmt: skip

    # Nothing finished before the kill was lost or redone: same checks for the same models.
    assert {m: after["done"][m] for m in killed_at["done"]} == killed_at["done"]
    assert set(before["done"]) <= set(after["done"])
    # Every model exactly once: one item, one check, one new_model change, one set of findings.
    assert after["total"] == len(after["done"]) == MODELS
    with session_scope(factory) as session:
        checks = session.exec(select(CheckRow.model_ref).where(col(CheckRow.source) == "scan")).all()
        assert sorted(checks) == sorted(after["done"])
        per_check = session.exec(select(FindingRow.check_id, sa.func.count()).group_by(col(FindingRow.check_id))).all()
        counts = {n for _, n in per_check}
        assert len(per_check) == MODELS and len(counts) == 1  # the same rules for every model, none twice
        new_models = session.exec(
            select(ChangeRow.model_id).where(col(ChangeRow.scan_id) == scan_id, col(ChangeRow.kind) == "new_model")
        ).all()
        assert sorted(new_models) == sorted(after["done"])
        stored = session.exec(select(sa.func.count()).select_from(ChangeRow).where(col(ChangeRow.scan_id) ==
                               scan_id)).one()  # fmt: skip
        assert stored == after["changes"]
