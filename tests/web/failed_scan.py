"""A scan that failed part way, stored as the scan runners leave one, for the API and dashboard tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from compliance.services.checks import LOST_FAILURE
from compliance.services.runners import fail_scan
from compliance.storage.db import SessionFactory, session_scope
from compliance.storage.tables import ScanItemRow, ScanRow, utcnow

WHY = "its runners were lost 5 times"
OWN_ERROR = "no model acme/gone on the hub"


@dataclass(frozen=True)
class FailedScan:
    """The stored scan's id and what it holds."""

    id: int
    unchecked: int  # models it failed because it failed itself
    failed: int  # every failed model, those included


def store_failed_scan(
    session_factory: SessionFactory, target_id: int | None = None, running_check: str | None = None
) -> FailedScan:
    """A scan (of ``target_id``) failed for :data:`WHY` by the runners' own :func:`fail_scan`: one
    model done, one failed on its own, three left unchecked (one of them running ``running_check``)."""
    now = utcnow()
    items = [("acme/done", "done", None, None), ("acme/gone", "failed", OWN_ERROR, None)]
    items += [("acme/left-0", "running", None, running_check)]
    items += [("acme/left-1", "pending", None, None), ("acme/left-2", "pending", None, None)]
    with session_scope(session_factory) as session:
        scan = ScanRow(trigger="api", status="running", target_id=target_id, total=5, done=1, errors=1,
                       started_at=now - timedelta(minutes=5), listed_at=now)  # fmt: skip
        session.add(scan)
        session.flush()
        assert scan.id is not None
        for model_id, status, error, check_id in items:
            session.add(ScanItemRow(scan_id=scan.id, model_id=model_id, status=status, error=error, check_id=check_id))
        session.flush()
        assert fail_scan(session, scan.id, WHY, failure=LOST_FAILURE)
        return FailedScan(scan.id, unchecked=3, failed=4)
