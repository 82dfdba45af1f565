"""Re-queue work whose worker died without the broker giving the message back.

A scan records a heartbeat at every item; a scan whose heartbeat is older than ``stale_after``
seconds while it is queued or running has lost its runners (the worker was killed outright, or
the message was lost between commit and send). It is sent again and its heartbeat moved to now,
so the next tick does not send it a second time while the message waits in the queue; the
services resume it where it stopped. A check running for longer than twice its time limit lost
its worker the same way and is sent again, or failed after :data:`MAX_ATTEMPTS`.

Scans and checks that were merely slow are safe to send twice: runners claim items with
conditional updates and a finished check is never redone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from compliance.storage.db import SessionFactory, session_scope
from compliance.storage.tables import CheckRow, CheckSource, CheckStatus, ScanRow, ScanStatus, utcnow

MAX_ATTEMPTS = 5
DEFAULT_STALE_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Recovered:
    """What one recovery pass did."""

    scans: list[int]
    checks: list[str]
    failed_checks: list[str]
    failed_scans: list[int]


def recover_stale(
    session_factory: SessionFactory,
    *,
    send_scan: Callable[[int], None],
    send_check: Callable[[str, str | None], None],
    stale_after: float = DEFAULT_STALE_SECONDS,
    check_stale_after: float = 600.0,
    now: datetime | None = None,
) -> Recovered:
    """Find stale scans and checks, claim them by moving their clock, and send them again after commit."""
    from compliance.services.scans import fail_scan

    now = now or utcnow()
    scan_cutoff = now - timedelta(seconds=stale_after)
    check_cutoff = now - timedelta(seconds=check_stale_after)
    scans: list[int] = []
    failed_scans: list[int] = []
    checks: list[tuple[str, str | None]] = []
    failed: list[str] = []
    with session_scope(session_factory) as session:
        clock = sa.func.coalesce(col(ScanRow.heartbeat_at), col(ScanRow.created_at))
        stale = session.exec(
            select(ScanRow).where(col(ScanRow.status).in_([ScanStatus.QUEUED, ScanStatus.RUNNING]), clock < scan_cutoff)
        ).all()
        for scan in stale:
            # A conditional update claims the scan: two ticks (or a tick and a starting worker)
            # never both send it.
            moved = session.exec(
                sa.update(ScanRow)
                .where(col(ScanRow.id) == scan.id, clock < scan_cutoff)
                .values(heartbeat_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if moved != 1 or scan.id is None:
                continue
            if scan.attempts >= MAX_ATTEMPTS:
                if fail_scan(session, scan.id, f"its runners were lost {scan.attempts} times", now=now):
                    failed_scans.append(scan.id)
            else:
                scans.append(scan.id)
        running = session.exec(
            select(CheckRow).where(
                col(CheckRow.status) == CheckStatus.RUNNING,
                col(CheckRow.started_at) < check_cutoff,
                col(CheckRow.source).not_in([CheckSource.SCAN, CheckSource.REEVALUATE]),
            )
        ).all()
        for check in running:
            moved = session.exec(
                sa.update(CheckRow)
                .where(col(CheckRow.id) == check.id, col(CheckRow.started_at) < check_cutoff)
                .values(started_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if moved != 1:
                continue
            if check.attempts >= MAX_ATTEMPTS:
                failed.append(check.id)
            else:
                checks.append((check.id, check.queue))
    if failed:
        from compliance.services.checks import fail_check

        for check_id in failed:
            fail_check(session_factory, check_id, f"its worker was lost {MAX_ATTEMPTS} times")
    for scan_id in scans:
        send_scan(scan_id)
    for check_id, queue in checks:
        send_check(check_id, queue)
    return Recovered(scans, [c for c, _ in checks], failed, failed_scans)
