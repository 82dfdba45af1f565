"""A scan that failed part way, stored as the scan runners leave one, for the API and dashboard tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from compliance.services.scan_failures import not_checked_error
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


def store_failed_scan(session_factory: SessionFactory, target_id: int | None = None) -> FailedScan:
    """A scan (of ``target_id``) failed for :data:`WHY`: one model done, one failed on its own, three left unchecked."""
    now = utcnow()
    items = [("acme/done", "done", None), ("acme/gone", "failed", OWN_ERROR)]
    items += [(f"acme/left-{n}", "failed", not_checked_error(WHY)) for n in range(3)]
    with session_scope(session_factory) as session:
        scan = ScanRow(trigger="api", status="failed", target_id=target_id, error=WHY, total=5, done=1, errors=4,
                       started_at=now - timedelta(minutes=5), finished_at=now, listed_at=now)  # fmt: skip
        session.add(scan)
        session.flush()
        assert scan.id is not None
        for model_id, status, error in items:
            session.add(ScanItemRow(scan_id=scan.id, model_id=model_id, status=status, error=error, finished_at=now))
        return FailedScan(scan.id, unchecked=3, failed=4)
