"""Table-level guarantees: the audit log is append-only, uniqueness holds, ids are well formed."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from compliance.storage.tables import AuditEventRow, ScanItemRow, ScanRow, new_check_id


def _audit_row(session: Session) -> int:
    event = AuditEventRow(actor="alice", action="waiver.create", object_type="waiver", object_id="1", detail={"a": 1})
    session.add(event)
    session.commit()
    assert event.id is not None
    return event.id


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"],
    ids=["update", "delete"],
)
def test_audit_log_refuses_update_and_delete(engine: Engine, session: Session, statement: str) -> None:
    _audit_row(session)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text(statement))
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT actor FROM audit_events")).scalars().all() == ["alice"]


def test_audit_log_refuses_truncate_on_postgresql(engine: Engine, session: Session) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite has only DELETE")
    _audit_row(session)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE audit_events"))


def test_audit_log_refuses_orm_changes(session: Session) -> None:
    event_id = _audit_row(session)
    event = session.get(AuditEventRow, event_id)
    assert event is not None
    event.detail = {"a": 2}
    session.add(event)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        session.commit()


def test_scan_items_are_unique_per_scan_and_model(session: Session) -> None:
    scan = ScanRow(trigger="api")
    session.add(scan)
    session.flush()
    assert scan.id is not None
    session.add(ScanItemRow(scan_id=scan.id, model_id="acme/a"))
    session.flush()
    session.add(ScanItemRow(scan_id=scan.id, model_id="acme/a"))
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(ScanItemRow(scan_id=12345, model_id="acme/a"))
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_check_ids_are_short_url_safe_and_distinct() -> None:
    ids = {new_check_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[a-z0-9]{16}", i) for i in ids)


def test_check_documents_are_stored_compressed_and_read_back_whole(engine: Engine, session: Session) -> None:
    import json
    import zlib

    from compliance.storage.tables import CheckDataRow, CheckRow

    report = {"schema": "compliance-report/1", "findings": [{"rule_id": f"r{i}", "reason": "same words " * 20}
                                                            for i in range(50)], "note": "naïve ≥ 1e25"}  # fmt: skip
    session.add(CheckRow(id="c1", model_ref="acme/a", source="api"))
    session.flush()
    session.add(CheckDataRow(check_id="c1", report=report, facts={}))
    session.commit()
    session.expire_all()
    data = session.get(CheckDataRow, "c1")
    assert data is not None and data.report == report and data.facts == {} and data.inputs is None
    with engine.connect() as connection:
        raw = connection.execute(sa.text("SELECT report FROM check_data")).scalar_one()
    assert len(raw) * 4 < len(json.dumps(report))
    assert json.loads(zlib.decompress(raw)) == report


def test_json_documents_refuse_nan(session: Session) -> None:
    from compliance.storage.tables import CheckDataRow, CheckRow

    session.add(CheckRow(id="c2", model_ref="acme/a", source="api"))
    session.flush()
    session.add(CheckDataRow(check_id="c2", report={"x": float("nan")}))
    with pytest.raises(sa.exc.StatementError, match="Out of range float values are not JSON compliant"):
        session.flush()
