"""What a failed scan left unchecked: the models it had not finished when it failed.

A scan fails as a whole (its runners were lost too many times, its listing failed) and says why
in ``scans.error``. Every model it had not finished is then failed too, with an error that starts
with :data:`NOT_CHECKED`, so those models can be told apart from the ones that failed on their
own (a model not found, a file that could not be read): the former say nothing about the model.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.storage.tables import ItemStatus, ScanItemRow

NOT_CHECKED = "not checked: the scan failed: "
_ERROR_CHARS = 500  # as much of an item's error as a scan stores


def not_checked_error(why: str) -> str:
    """The error stored on a model that a scan failing for ``why`` did not finish."""
    return f"{NOT_CHECKED}{why}"[:_ERROR_CHARS]


def unchecked_counts(session: Session, scan_ids: Iterable[int]) -> dict[int, int]:
    """For each of the failed scans ``scan_ids``, how many models it left unchecked (0 for none).

    Counted: models failed with :func:`not_checked_error`, and models still pending or running
    (a scan failed by an older release left them so). One query for any number of scans.
    """
    ids = sorted(set(scan_ids))
    if not ids:
        return {}
    left = (col(ScanItemRow.status).in_([ItemStatus.PENDING.value, ItemStatus.RUNNING.value])) | (
        (col(ScanItemRow.status) == ItemStatus.FAILED.value)
        & col(ScanItemRow.error).startswith(NOT_CHECKED, autoescape=True)
    )
    rows = session.exec(
        select(ScanItemRow.scan_id, sa.func.count())
        .where(col(ScanItemRow.scan_id).in_(ids), left)
        .group_by(col(ScanItemRow.scan_id))
    ).all()
    counts = dict.fromkeys(ids, 0)
    counts.update({scan_id: int(n) for scan_id, n in rows})
    return counts
