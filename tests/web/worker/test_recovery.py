"""Recovery passes as the worker runs them: scans sent runners after commit, lost checks failed as ``lost``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from compliance.storage.db import session_scope
from compliance.storage.tables import CheckRow, ScanRow, ScanRunnerRow, utcnow
from web.worker.recovery import MAX_ATTEMPTS, recover_stale


def _scan(factory: Any, *, status: str, age: float, attempts: int = 0) -> int:
    from compliance.services.targets import create_target

    with session_scope(factory) as session:
        target = create_target(session, kind="author", value=f"org{attempts}{status}{age}", actor="t", schedule=False)
        then = utcnow() - timedelta(seconds=age)
        scan = ScanRow(target_id=target.id, trigger="api", status=status, heartbeat_at=then, created_at=then,
                       attempts=attempts)  # fmt: skip
        session.add(scan)
        session.flush()
        assert scan.id is not None
        return scan.id


def _runner(factory: Any, scan_id: int, *, lease_left: float) -> None:
    with session_scope(factory) as session:
        session.add(ScanRunnerRow(scan_id=scan_id, task_id=f"t{scan_id}", started_at=utcnow() - timedelta(minutes=1),
                                  lease_until=utcnow() + timedelta(seconds=lease_left)))  # fmt: skip


def test_a_scan_whose_runner_died_is_sent_new_runners_once(factory: Any) -> None:
    dead = _scan(factory, status="running", age=600)
    _runner(factory, dead, lease_left=-1)
    alive = _scan(factory, status="running", age=600)
    _runner(factory, alive, lease_left=10)
    done = _scan(factory, status="done", age=600)
    sent: list[tuple[int, int]] = []
    result = recover_stale(factory, send_scan=lambda s, n: sent.append((s, n)), send_check=lambda *a: None)
    assert sent == [(dead, 2)] and result.scans == [dead] and len(result.lost_runners) == 1
    again = recover_stale(factory, send_scan=lambda s, n: sent.append((s, n)), send_check=lambda *a: None)
    assert again.scans == [] and len(sent) == 1
    assert alive not in result.scans and done not in result.scans


def test_a_scan_requested_again_is_recovered_alone(factory: Any) -> None:
    one = _scan(factory, status="running", age=600)
    other = _scan(factory, status="running", age=600)
    sent: list[int] = []
    result = recover_stale(factory, send_scan=lambda s, n: sent.append(s), send_check=lambda *a: None,
                           scan_ids=[other])  # fmt: skip
    assert sent == [other] and result.scans == [other] and one not in sent


def test_a_scan_lost_too_often_fails(factory: Any) -> None:
    doomed = _scan(factory, status="running", age=600, attempts=MAX_ATTEMPTS)
    sent: list[int] = []
    result = recover_stale(factory, send_scan=lambda s, n: sent.append(s), send_check=lambda *a: None)
    assert sent == [] and result.failed_scans == [doomed]
    with session_scope(factory) as session:
        scan = session.get(ScanRow, doomed)
        assert scan is not None and scan.status == "failed" and "lost" in (scan.error or "")


def test_a_check_whose_worker_died_is_sent_again_then_failed_as_lost(factory: Any) -> None:
    from compliance.services.checks import submit_check

    with session_scope(factory) as session:
        row = submit_check(session, model_ref="acme/x", source="ci", queue="ci")
        check_id = row.id
    with session_scope(factory) as session:
        session.execute(sa.update(CheckRow).values(status="running", attempts=1,
                                                   started_at=utcnow() - timedelta(hours=1)))  # fmt: skip
    sent: list[tuple[str, str | None]] = []
    result = recover_stale(factory, send_scan=lambda s, n: None, send_check=lambda c, q: sent.append((c, q)))
    assert sent == [(check_id, "ci")] and result.checks == [check_id]
    with session_scope(factory) as session:
        session.execute(sa.update(CheckRow).values(attempts=MAX_ATTEMPTS, started_at=utcnow() - timedelta(hours=1)))
    result = recover_stale(factory, send_scan=lambda s, n: None, send_check=lambda c, q: sent.append((c, q)))
    assert result.failed_checks == [check_id] and len(sent) == 1
    with session_scope(factory) as session:
        check = session.get(CheckRow, check_id)
        assert check is not None and (check.status, check.failure) == ("failed", "lost")
        assert f"lost {MAX_ATTEMPTS} times" in (check.error or "")


def test_a_check_failed_by_the_service_is_logged_at_warning(factory: Any, caplog: Any) -> None:
    import logging

    from compliance.services.checks import fail_check, submit_check

    with session_scope(factory) as session:
        check_id = submit_check(session, model_ref="acme/x", source="ci", queue="ci").id
    with caplog.at_level(logging.WARNING, logger="compliance.services.checks"):
        fail_check(factory, check_id, "its worker was lost 5 times", failure="lost")
    assert f"check {check_id} failed (lost): its worker was lost 5 times" in caplog.text
