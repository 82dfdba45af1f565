"""Schedules as data: created, edited, claimed when due, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from compliance.errors import UsageError
from compliance.services import audit, schedules, targets
from compliance.storage.tables import utcnow


def _target(session: Session) -> int:
    target = targets.create_target(session, kind="author", value="acme", actor="alice", schedule=False)
    assert target.id is not None
    return target.id


def test_a_new_target_is_scanned_daily_by_default(session: Session) -> None:
    target = targets.create_target(session, kind="author", value="acme", actor="alice")
    (schedule,) = schedules.list_schedules(session, target_id=target.id)
    assert (schedule.task, schedule.every_seconds, schedule.enabled) == (schedules.SCAN_TARGET_TASK, 86_400, True)
    assert schedule.next_run_at is not None and schedule.next_run_at <= utcnow()


def test_claiming_due_schedules_moves_them_on(session: Session) -> None:
    target_id = _target(session)
    now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    hourly = schedules.create_schedule(session, task=schedules.SCAN_TARGET_TASK, actor="alice", target_id=target_id,
                                       every_seconds=3600, first_run_at=now - timedelta(hours=5))  # fmt: skip
    # A fixed first run: left to the clock, "next 02:00" would depend on the day the test runs.
    nightly = schedules.create_schedule(session, task=schedules.REEVALUATE_TASK, actor="alice", crontab="0 2 * * *",
                                        first_run_at=datetime(2026, 11, 22, 2, 0, tzinfo=UTC))  # fmt: skip
    off = schedules.create_schedule(session, task=schedules.EXPIRE_WAIVERS_TASK, actor="alice", every_seconds=60,
                                    enabled=False, first_run_at=now - timedelta(days=1))  # fmt: skip
    session.commit()
    assert [s.id for s in schedules.due_schedules(session, now=now)] == [hourly.id]
    claimed = schedules.claim_due_schedules(session, now=now)
    session.commit()
    assert [s.id for s in claimed] == [hourly.id]
    assert hourly.last_run_at == now and hourly.next_run_at == now + timedelta(hours=1)  # overdue runs fire once
    assert schedules.claim_due_schedules(session, now=now) == []
    later = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    assert {s.id for s in schedules.claim_due_schedules(session, now=later)} == {hourly.id, nightly.id}
    assert off.last_run_at is None


def test_a_schedule_claimed_elsewhere_is_not_claimed_again(engine: Engine, session: Session) -> None:
    now = utcnow()
    row = schedules.create_schedule(session, task=schedules.REEVALUATE_TASK, actor="alice", every_seconds=600,
                                    first_run_at=now - timedelta(minutes=1))  # fmt: skip
    session.commit()
    stale = schedules.due_schedules(session, now=now)
    with Session(engine) as other:
        assert [s.id for s in schedules.claim_due_schedules(other, now=now)] == [row.id]
        other.commit()
    assert len(stale) == 1
    assert schedules.claim_due_schedules(session, now=now) == []


def test_update_and_delete_are_audited(session: Session) -> None:
    row = schedules.create_schedule(session, task=schedules.REEVALUATE_TASK, actor="alice", every_seconds=3600)
    assert row.id is not None
    schedules.update_schedule(session, row.id, actor="bob", crontab="@weekly")
    assert (row.crontab, row.every_seconds) == ("0 0 * * 0", None)
    schedules.update_schedule(session, row.id, actor="bob", enabled=False)
    schedules.delete_schedule(session, row.id, actor="carol")
    session.commit()
    assert schedules.get_schedule(session, row.id) is None
    actions = [(e.actor, e.action) for e in audit.list_events(session, object_type="schedule").items]
    assert actions == [("carol", "schedule.delete"), ("bob", "schedule.update"), ("bob", "schedule.update"),
                       ("alice", "schedule.create")]  # fmt: skip
    change = audit.list_events(session, object_type="schedule").items[2].detail
    assert change is not None and change["after"]["crontab"] == "0 0 * * 0"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"task": "Not A Task", "every_seconds": 60}, "dotted task name"),
        ({"task": schedules.SCAN_TARGET_TASK, "every_seconds": 60}, "needs a target"),
        ({"task": schedules.REEVALUATE_TASK}, "exactly one"),
        ({"task": schedules.REEVALUATE_TASK, "every_seconds": 60, "crontab": "@daily"}, "exactly one"),
        ({"task": schedules.REEVALUATE_TASK, "every_seconds": 5}, "between 60"),
        ({"task": schedules.REEVALUATE_TASK, "crontab": "bogus"}, "five fields"),
        ({"task": schedules.REEVALUATE_TASK, "every_seconds": 60, "target_id": 999}, "no scan target"),
    ],
)
def test_create_schedule_validates(session: Session, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        schedules.create_schedule(session, actor="alice", **kwargs)  # type: ignore[arg-type]


def test_default_schedules_are_created_once(session: Session) -> None:
    created = schedules.ensure_default_schedules(session)
    assert sorted(s.task for s in created) == sorted([schedules.REEVALUATE_TASK, schedules.EXPIRE_WAIVERS_TASK])
    assert schedules.ensure_default_schedules(session) == []


def test_deleting_a_target_deletes_its_schedules(session: Session) -> None:
    target = targets.create_target(session, kind="author", value="acme", actor="alice")
    assert target.id is not None
    session.commit()
    targets.delete_target(session, target.id, actor="alice")
    session.commit()
    assert schedules.list_schedules(session) == []
