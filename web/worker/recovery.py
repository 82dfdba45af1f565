"""Take over work whose worker died: scans through their runners' leases, checks by age.

Scans: :func:`compliance.services.runners.recover` declares runners whose lease ran out lost,
puts the models they held back in the queue and says which scans need new runners; they are
sent here once that transaction commits. Every worker runs this every few seconds
(:mod:`web.worker.watchdog`) and at start-up, beat's tick runs it too, and a scan requested
again through the API runs it for that scan, so a killed scan resumes a lease after the kill
with no beat. A scan whose runners were lost :data:`MAX_ATTEMPTS` times is failed, with every
model it had not finished.

Checks: a check running for longer than ``check_stale_after`` lost its worker (its time limit
is far shorter) and is sent again, or failed with the kind ``lost`` after :data:`MAX_ATTEMPTS`.
Checks and scans that were merely slow are safe to send twice: a finished check is never
redone and a runner only ever writes the models it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.services.runners import DEFAULT_RECOVER_AFTER, LOST_EXIT_CODE, LOST_FAILURE, MAX_ATTEMPTS, recover
from compliance.storage.db import SessionFactory, session_scope
from compliance.storage.tables import CheckRow, CheckSource, CheckStatus, utcnow

__all__ = ["DEFAULT_STALE_SECONDS", "MAX_ATTEMPTS", "Recovered", "recover_stale"]

DEFAULT_STALE_SECONDS = DEFAULT_RECOVER_AFTER
CHECK_STALE_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Recovered:
    """What one recovery pass did."""

    scans: list[int]
    checks: list[str]
    failed_checks: list[str]
    failed_scans: list[int]
    lost_runners: list[int]


def recover_stale(
    session_factory: SessionFactory,
    *,
    send_scan: Callable[[int, int], None],
    send_check: Callable[[str, str | None], None],
    stale_after: float = DEFAULT_STALE_SECONDS,
    check_stale_after: float = CHECK_STALE_SECONDS,
    now: datetime | None = None,
    scan_ids: list[int] | None = None,
) -> Recovered:
    """One pass: recover scans (``send_scan(scan_id, runners)``) and checks, sending after commit.

    ``stale_after`` is how long runners sent to a scan may wait in the queue before they are
    taken for lost and sent again. ``scan_ids`` limits the pass to those scans (and skips checks).
    """
    now = now or utcnow()
    checks: list[tuple[str, str | None]] = []
    failed: list[str] = []
    with session_scope(session_factory) as session:
        recovered = recover(session, now=now, recover_after=stale_after, scan_ids=scan_ids)
        if scan_ids is None:
            checks, failed = _stale_checks(session, now - timedelta(seconds=check_stale_after), now)
    if failed:
        from compliance.services.checks import fail_check

        for check_id in failed:
            fail_check(session_factory, check_id, f"its worker was lost {MAX_ATTEMPTS} times",
                       exit_code=LOST_EXIT_CODE, failure=LOST_FAILURE)  # fmt: skip
    for scan_id, roles in recovered.dispatch:
        send_scan(scan_id, len(roles))
    for check_id, queue in checks:
        send_check(check_id, queue)
    return Recovered(
        [s for s, _ in recovered.dispatch], [c for c, _ in checks], failed, recovered.failed, recovered.lost
    )


def _stale_checks(session: Session, cutoff: datetime, now: datetime) -> tuple[list[tuple[str, str | None]], list[str]]:
    running = session.exec(
        select(CheckRow).where(
            col(CheckRow.status) == CheckStatus.RUNNING,
            col(CheckRow.started_at) < cutoff,
            col(CheckRow.source).not_in([CheckSource.SCAN, CheckSource.REEVALUATE]),
        )
    ).all()
    again: list[tuple[str, str | None]] = []
    failed: list[str] = []
    for check in running:
        # A conditional update claims the check: two passes at once never both send it.
        moved = session.exec(
            sa.update(CheckRow)
            .where(col(CheckRow.id) == check.id, col(CheckRow.started_at) < cutoff)
            .values(started_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            continue
        if check.attempts >= MAX_ATTEMPTS:
            failed.append(check.id)
        else:
            again.append((check.id, check.queue))
    return again, failed
