"""Stale-work recovery: scans whose runners died are sent again, once per staleness period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from compliance.storage.db import session_scope
from compliance.storage.tables import CheckRow, ScanRow, utcnow
from web.worker.recovery import MAX_ATTEMPTS, recover_stale


def _scan(factory: Any, *, status: str, age: float, attempts: int = 1) -> int:
    from compliance.services.targets import create_target

    with session_scope(factory) as session:
        target = create_target(session, kind="author", value=f"org{attempts}{status}", actor="t", schedule=False)
        then = utcnow() - timedelta(seconds=age)
        scan = ScanRow(target_id=target.id, trigger="api", status=status, heartbeat_at=then, created_at=then,
                       attempts=attempts)  # fmt: skip
        session.add(scan)
        session.flush()
        assert scan.id is not None
        return scan.id


def test_stale_scans_are_sent_again_once(factory: Any) -> None:
    stale = _scan(factory, status="running", age=600)
    fresh = _scan(factory, status="running", age=5)
    done = _scan(factory, status="done", age=600)
    sent: list[int] = []
    result = recover_stale(factory, send_scan=sent.append, send_check=lambda *a: None, stale_after=300)
    assert sent == [stale] and result.scans == [stale]
    assert recover_stale(factory, send_scan=sent.append, send_check=lambda *a: None, stale_after=300).scans == []
    assert fresh not in sent and done not in sent


def test_a_scan_lost_too_often_fails(factory: Any) -> None:
    doomed = _scan(factory, status="running", age=600, attempts=MAX_ATTEMPTS)
    sent: list[int] = []
    result = recover_stale(factory, send_scan=sent.append, send_check=lambda *a: None, stale_after=300)
    assert sent == [] and result.failed_scans == [doomed]
    with session_scope(factory) as session:
        scan = session.get(ScanRow, doomed)
        assert scan is not None and scan.status == "failed" and "lost" in (scan.error or "")


def test_a_check_whose_worker_died_is_sent_again(factory: Any) -> None:
    from compliance.services.checks import submit_check

    with session_scope(factory) as session:
        row = submit_check(session, model_ref="acme/x", source="ci", queue="ci")
        check_id = row.id
    with session_scope(factory) as session:
        session.execute(sa.update(CheckRow).values(status="running", attempts=1,
                                                   started_at=utcnow() - timedelta(hours=1)))  # fmt: skip
    sent: list[tuple[str, str | None]] = []
    result = recover_stale(factory, send_scan=lambda s: None, send_check=lambda c, q: sent.append((c, q)))
    assert sent == [(check_id, "ci")] and result.checks == [check_id]
