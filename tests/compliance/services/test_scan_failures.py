"""What a failed scan left unchecked: counted apart from the models that failed on their own."""

from __future__ import annotations

from sqlmodel import Session

from compliance.services.scan_failures import NOT_CHECKED, not_checked_error, unchecked_counts
from compliance.storage.tables import ScanItemRow, ScanRow


def _failed_scan(session: Session, items: list[tuple[str, str | None]]) -> int:
    scan = ScanRow(trigger="api", status="failed", error="its runners were lost 5 times")
    session.add(scan)
    session.flush()
    assert scan.id is not None
    for n, (status, error) in enumerate(items):
        session.add(ScanItemRow(scan_id=scan.id, model_id=f"acme/model-{n}", status=status, error=error))
    session.commit()
    return scan.id


def test_a_failed_scan_counts_what_it_left_unchecked_not_what_failed_on_its_own(session: Session) -> None:
    why = not_checked_error("its runners were lost 5 times")
    assert why == NOT_CHECKED + "its runners were lost 5 times"
    left = _failed_scan(
        session,
        [("done", None), ("failed", "no model acme/model-1 on the hub"), ("failed", why), ("failed", why),
         ("pending", None), ("skipped", None)],
    )  # fmt: skip
    clean = _failed_scan(session, [("done", None), ("failed", "not checked: a file could not be read")])
    assert unchecked_counts(session, [left, clean, left]) == {left: 3, clean: 0}
    assert unchecked_counts(session, []) == {}


def test_the_stored_error_is_cut_to_what_an_item_keeps() -> None:
    assert len(not_checked_error("x" * 1000)) == 500
