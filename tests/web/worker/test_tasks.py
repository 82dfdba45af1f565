"""The tasks, called in this process against the local hub: idempotent, retried, failures with exit codes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from compliance.errors import HubError
from compliance.storage.db import session_scope
from compliance.storage.tables import ChangeRow, CheckRow, FindingRow, ScanItemRow, ScanRow


def _submit(factory: Any, model: str, **kw: Any) -> str:
    from compliance.services.checks import submit_check

    with session_scope(factory) as session:
        return submit_check(session, model_ref=model, source="api", **kw).id


def _count(factory: Any, table: Any, *where: Any) -> int:
    with session_scope(factory) as session:
        return int(session.exec(select(sa.func.count()).select_from(table).where(*where)).one())


def test_a_check_runs_once_however_often_it_is_delivered(worker_app: Any, factory: Any) -> None:
    from web.worker.tasks import run_check_task

    check_id = _submit(factory, "meta-llama/Llama-3.1-8B-Instruct", options={"markets": ["EU"]})
    assert run_check_task(check_id) == "done"
    findings = _count(factory, FindingRow, col(FindingRow.check_id) == check_id)
    assert findings > 0
    assert run_check_task(check_id) == "done"  # re-delivered
    assert _count(factory, FindingRow, col(FindingRow.check_id) == check_id) == findings
    with session_scope(factory) as session:
        row = session.get(CheckRow, check_id)
        assert row is not None and row.attempts == 1 and row.exit_code in (0, 1, 2)


def test_a_missing_model_fails_with_the_clis_exit_code(worker_app: Any, factory: Any) -> None:
    from web.worker.tasks import run_check_task

    check_id = _submit(factory, "nobody/missing-model")
    assert run_check_task(check_id) == "failed"
    with session_scope(factory) as session:
        row = session.get(CheckRow, check_id)
        assert row is not None and row.exit_code == 3 and "missing-model" in (row.error or "")
        assert row.failure == "not_found"


def test_a_hub_outage_puts_the_check_back_for_a_retry(worker_app: Any, factory: Any, hub: Any) -> None:
    from web.worker.tasks import run_check_task

    check_id = _submit(factory, "meta-llama/Llama-3.1-8B-Instruct")
    hub.fault("/api/models/", status=503, times=None)
    with pytest.raises(HubError):  # called directly, Task.retry re-raises the cause
        run_check_task(check_id)
    with session_scope(factory) as session:
        row = session.get(CheckRow, check_id)
        assert row is not None and row.status == "queued"
    hub.reset()
    assert run_check_task(check_id) == "done"


def test_a_hub_outage_that_outlasts_the_retries_fails_as_unreachable(
    worker_app: Any, factory: Any, hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web.worker import tasks

    check_id = _submit(factory, "meta-llama/Llama-3.1-8B-Instruct")
    hub.fault("/api/models/", status=503, times=None)
    monkeypatch.setattr(tasks, "CHECK_RETRIES", 0)  # this delivery is the last one
    assert tasks.run_check_task(check_id) == "failed"
    with session_scope(factory) as session:
        row = session.get(CheckRow, check_id)
        assert row is not None and (row.status, row.exit_code, row.failure) == ("failed", 3, "unreachable")


def test_backoff_honours_retry_after_and_grows() -> None:
    from web.worker.tasks import backoff

    assert backoff(0, 7.0) == 7.0
    assert backoff(5, 0.0) == 1.0
    assert 1.0 <= backoff(0) <= 2.0 and 32.0 <= backoff(5) <= 64.0 and backoff(20) <= 300.0


def test_scan_runners_share_a_scan_without_duplicates(worker_app: Any, factory: Any) -> None:
    from compliance.services.scans import start_scan
    from compliance.services.targets import create_target
    from web.worker.tasks import run_scan_task

    with session_scope(factory) as session:
        target = create_target(session, kind="author", value="meta-llama", actor="t", schedule=False)
        assert target.id is not None
        scan_id = start_scan(session, target_id=target.id, trigger="api").id
    assert run_scan_task(scan_id) == "done"
    assert run_scan_task(scan_id) == "done"  # a second runner, or a re-delivery, finds nothing to do
    with session_scope(factory) as session:
        scan = session.get(ScanRow, scan_id)
        assert scan is not None and scan.total == scan.done >= 3
        assert scan.changes == _count(factory, ChangeRow, col(ChangeRow.scan_id) == scan_id)
    items = _count(factory, ScanItemRow, col(ScanItemRow.scan_id) == scan_id)
    checks = _count(factory, CheckRow, col(CheckRow.source) == "scan")
    assert items == checks == scan.total


def test_the_tick_starts_due_schedules_and_a_scheduled_scan_queues_runners(worker_app: Any, factory: Any) -> None:
    from compliance.services.schedules import ensure_default_schedules
    from compliance.services.targets import create_target
    from web.worker.tasks import scan_target_task, tick_task

    with session_scope(factory) as session:
        target = create_target(session, kind="author", value="meta-llama", actor="t")  # daily, due now
        ensure_default_schedules(session)
    result = tick_task()
    assert len(result["fired"]) == 3
    names = sorted(name for name, _, _ in worker_app.sent)
    assert names == ["compliance.scans.reevaluate", "compliance.scans.scan_target", "compliance.waivers.expire"]
    assert all(queue == "housekeeping" for _, _, queue in worker_app.sent)
    assert ("compliance.scans.scan_target", [target.id], "housekeeping") in worker_app.sent
    worker_app.sent.clear()
    assert tick_task()["fired"] == []  # claimed: not due again for a day
    scan_id = scan_target_task(target.id)
    assert worker_app.sent == [("compliance.scans.run", [scan_id], "scan")] * 2
    assert scan_target_task(target.id) == scan_id  # already queued: no second scan


def test_reevaluation_uses_stored_facts_and_no_hub_request(worker_app: Any, factory: Any, hub: Any) -> None:
    from web.worker.tasks import reevaluate_task, run_scan_task

    test_scan_runners_share_a_scan_without_duplicates(worker_app, factory)
    hub.clear_log()
    scan_id = reevaluate_task()
    assert run_scan_task(scan_id) == "done"
    assert hub.log() == []
    with session_scope(factory) as session:
        scan = session.get(ScanRow, scan_id)
        assert scan is not None and scan.kind == "reevaluate" and scan.total >= 3


def test_waivers_expire(worker_app: Any, factory: Any) -> None:
    from compliance.services.waivers import create_waiver
    from compliance.storage.tables import WaiverRow
    from web.worker.tasks import expire_waivers_task

    today = date.today()
    with session_scope(factory) as session:
        row = create_waiver(session, rule_id="eu.gpai.documentation", model_pattern="*", reason="r", owner="o",
                            expires=today, approved_by="a", actor="t", today=today)  # fmt: skip
        row_id = row.id
        session.execute(sa.update(WaiverRow).values(expires=today - timedelta(days=1)))
    assert expire_waivers_task() == 1
    assert expire_waivers_task() == 0
    with session_scope(factory) as session:
        waiver = session.get(WaiverRow, row_id)
        assert waiver is not None and waiver.expired_at is not None


def test_a_follower_replays_the_leads_listing_without_hub_requests(worker_app: Any, factory: Any, hub: Any) -> None:
    import threading

    from compliance.services.scans import start_scan
    from compliance.services.targets import create_target
    from web.worker.tasks import run_scan_task

    with session_scope(factory) as session:
        target = create_target(session, kind="search", value="llama", actor="t", schedule=False)
        assert target.id is not None
        scan_id = start_scan(session, target_id=target.id, trigger="api").id
    hub.configure(page_size=2)
    hub.clear_log()
    results: list[Any] = []
    follower = threading.Thread(target=lambda: results.append(run_scan_task(scan_id, follow=True)))
    follower.start()
    assert run_scan_task(scan_id) == "done"
    follower.join(timeout=60)
    assert results == ["done"]
    with session_scope(factory) as session:
        scan = session.get(ScanRow, scan_id)
        assert scan is not None and scan.status == "done" and scan.total == scan.done > 2
    pages = hub.log(path="/api/models", method="GET")
    listing = [e for e in pages if e["path"] == "/api/models"]
    assert len(listing) == -(-scan.total // 2)  # the lead's pages only, once
    assert _count(factory, CheckRow, col(CheckRow.source) == "scan") == scan.total


def test_a_follower_whose_lead_died_gives_up(worker_app: Any, factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from compliance.services.scans import start_scan
    from compliance.services.targets import create_target
    from web.worker import listing
    from web.worker.tasks import run_scan_task

    monkeypatch.setattr(listing, "FOLLOW_STALE_SECONDS", 0.5)
    with session_scope(factory) as session:
        target = create_target(session, kind="author", value="acme", actor="t", schedule=False)
        assert target.id is not None
        scan_id = start_scan(session, target_id=target.id, trigger="api").id
    assert run_scan_task(scan_id, follow=True) == "lead gone"
    with session_scope(factory) as session:
        scan = session.get(ScanRow, scan_id)
        assert scan is not None and scan.status == "running" and scan.listed_at is None


def test_a_second_delivery_of_a_live_runners_message_stops_at_once(worker_app: Any, factory: Any) -> None:
    from compliance.services.runners import start_runner
    from compliance.services.scans import start_scan
    from compliance.services.targets import create_target
    from web.worker.tasks import run_scan_task

    with session_scope(factory) as session:
        target = create_target(session, kind="author", value="meta-llama", actor="t", schedule=False)
        assert target.id is not None
        scan_id = start_scan(session, target_id=target.id, trigger="api").id
    assert scan_id is not None
    # The first delivery is running (its runner holds a lease); Redis delivers the message again.
    assert start_runner(factory, scan_id, task_id="delivered-twice") is not None
    assert run_scan_task.apply(args=[scan_id], task_id="delivered-twice").get() == "stopped"
    assert _count(factory, ScanItemRow, col(ScanItemRow.scan_id) == scan_id) == 0  # it listed nothing
    # Another message of the same scan is a runner of its own.
    assert run_scan_task.apply(args=[scan_id], task_id="another").get() == "done"
