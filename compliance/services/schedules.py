"""Periodic work as data: rows that say which task runs when, editable through the API.

Beat (or any ticker) calls :func:`claim_due_schedules` every minute inside a transaction,
enqueues one task per claimed row after the commit, and that is all: what runs and how often
lives here, not in code. A claim moves ``next_run_at`` forward with a conditional update, so
two beat processes by mistake cannot both fire the same run. A schedule overdue by several
periods (beat was down) fires once, then resumes its rhythm from now.

Task names are the contract with the worker, which registers tasks under these names:

* :data:`SCAN_TARGET_TASK` (argument: the schedule's ``target_id``): start and run a scan;
* :data:`REEVALUATE_TASK`: re-evaluate stored facts under the current rule sets;
* :data:`EXPIRE_WAIVERS_TASK`: mark expired waivers.

Every target gets a daily scan schedule when it is created; :func:`ensure_default_schedules`
adds the daily re-evaluation and waiver expiry once.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from compliance.errors import UsageError
from compliance.services import audit
from compliance.services.cron import next_fire, parse_crontab
from compliance.storage.tables import ScanTargetRow, ScheduleRow, utcnow

SCAN_TARGET_TASK = "compliance.scans.scan_target"
REEVALUATE_TASK = "compliance.scans.reevaluate"
EXPIRE_WAIVERS_TASK = "compliance.waivers.expire"
DAY_SECONDS = 86_400
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 366 * DAY_SECONDS
_TASK_NAME = re.compile(r"^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+$")


def create_schedule(
    session: Session,
    *,
    task: str,
    actor: str,
    target_id: int | None = None,
    every_seconds: int | None = None,
    crontab: str | None = None,
    enabled: bool = True,
    first_run_at: datetime | None = None,
) -> ScheduleRow:
    """Add a schedule (audited). Exactly one of ``every_seconds`` and ``crontab``.

    ``first_run_at`` defaults to now for an interval (run soon, then every period) and to the
    next firing for a crontab.
    """
    if not _TASK_NAME.match(task or ""):
        raise UsageError(f"task {task!r} is not a dotted task name")
    if task == SCAN_TARGET_TASK and target_id is None:
        raise UsageError(f"{SCAN_TARGET_TASK} needs a target")
    if target_id is not None and session.get(ScanTargetRow, target_id) is None:
        raise UsageError(f"no scan target {target_id}")
    every_seconds, crontab = _timing(every_seconds, crontab)
    now = utcnow()
    row = ScheduleRow(
        task=task,
        target_id=target_id,
        every_seconds=every_seconds,
        crontab=crontab,
        enabled=enabled,
        created_by=actor,
        created_at=now,
    )
    row.next_run_at = first_run_at or (now if every_seconds is not None else next_run(row, after=now))
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="schedule.create", object_type="schedule", object_id=_id(row),
                 detail=_describe(row))  # fmt: skip
    return row


def update_schedule(
    session: Session,
    schedule_id: int,
    *,
    actor: str,
    every_seconds: int | None = None,
    crontab: str | None = None,
    enabled: bool | None = None,
) -> ScheduleRow:
    """Change a schedule's timing (give one of ``every_seconds``/``crontab``) or switch it on or off (audited)."""
    row = _get(session, schedule_id)
    before = _describe(row)
    now = utcnow()
    if every_seconds is not None or crontab is not None:
        row.every_seconds, row.crontab = _timing(every_seconds, crontab)
        row.next_run_at = next_run(row, after=row.last_run_at or now)
    if enabled is not None:
        if enabled and not row.enabled and (row.next_run_at is None or row.next_run_at < now):
            row.next_run_at = next_run(row, after=now) if row.crontab else now
        row.enabled = enabled
    session.add(row)
    audit.record(session, actor=actor, action="schedule.update", object_type="schedule", object_id=schedule_id,
                 detail={"before": before, "after": _describe(row)})  # fmt: skip
    return row


def delete_schedule(session: Session, schedule_id: int, *, actor: str) -> None:
    """Remove a schedule (audited)."""
    row = _get(session, schedule_id)
    audit.record(session, actor=actor, action="schedule.delete", object_type="schedule", object_id=schedule_id,
                 detail=_describe(row))  # fmt: skip
    session.delete(row)


def get_schedule(session: Session, schedule_id: int) -> ScheduleRow | None:
    """One schedule by id."""
    return session.get(ScheduleRow, schedule_id)


def list_schedules(session: Session, *, target_id: int | None = None, task: str | None = None) -> list[ScheduleRow]:
    """Schedules in id order, optionally for one target or task."""
    query = select(ScheduleRow)
    if target_id is not None:
        query = query.where(col(ScheduleRow.target_id) == target_id)
    if task is not None:
        query = query.where(col(ScheduleRow.task) == task)
    return list(session.exec(query.order_by(col(ScheduleRow.id))).all())


def next_run(schedule: ScheduleRow, *, after: datetime) -> datetime:
    """When ``schedule`` next fires after ``after``."""
    if schedule.crontab:
        return next_fire(parse_crontab(schedule.crontab), after)
    assert schedule.every_seconds, "a schedule has an interval or a crontab"
    return after + timedelta(seconds=schedule.every_seconds)


def due_schedules(session: Session, *, now: datetime) -> list[ScheduleRow]:
    """Enabled schedules whose next run is at or before ``now`` (read only)."""
    query = select(ScheduleRow).where(
        col(ScheduleRow.enabled).is_(True),
        col(ScheduleRow.next_run_at).is_not(None),
        col(ScheduleRow.next_run_at) <= now,
    )
    return list(session.exec(query.order_by(col(ScheduleRow.next_run_at), col(ScheduleRow.id))).all())


def claim_due_schedules(session: Session, *, now: datetime) -> list[ScheduleRow]:
    """Claim the due schedules: record the run and move ``next_run_at`` on; return those claimed.

    The caller commits, then enqueues each claimed row's task (``after_commit``). A row another
    process claimed in the meantime is left out.
    """
    import sqlalchemy as sa

    claimed = []
    for row in due_schedules(session, now=now):
        following = next_run(row, after=now)
        result = session.exec(
            sa.update(ScheduleRow)
            .where(col(ScheduleRow.id) == row.id, col(ScheduleRow.next_run_at) == row.next_run_at)
            .values(last_run_at=now, next_run_at=following)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            session.refresh(row)
            claimed.append(row)
    return claimed


def ensure_default_schedules(session: Session, *, actor: str = audit.SYSTEM_ACTOR) -> list[ScheduleRow]:
    """Create the daily re-evaluation and waiver-expiry schedules if absent; return those created."""
    created = []
    for task in (REEVALUATE_TASK, EXPIRE_WAIVERS_TASK):
        if not list_schedules(session, task=task):
            created.append(create_schedule(session, task=task, actor=actor, every_seconds=DAY_SECONDS))
    return created


def _timing(every_seconds: int | None, crontab: str | None) -> tuple[int | None, str | None]:
    if (every_seconds is None) == (crontab is None):
        raise UsageError("give exactly one of every_seconds and crontab")
    if every_seconds is not None:
        if isinstance(every_seconds, bool) or not MIN_INTERVAL_SECONDS <= every_seconds <= MAX_INTERVAL_SECONDS:
            raise UsageError(f"every_seconds must be between {MIN_INTERVAL_SECONDS} and {MAX_INTERVAL_SECONDS}")
        return int(every_seconds), None
    assert crontab is not None
    return None, parse_crontab(crontab).text


def _get(session: Session, schedule_id: int) -> ScheduleRow:
    row = session.get(ScheduleRow, schedule_id)
    if row is None:
        raise UsageError(f"no schedule {schedule_id}")
    return row


def _describe(row: ScheduleRow) -> dict[str, object]:
    return {
        "task": row.task,
        "target_id": row.target_id,
        "every_seconds": row.every_seconds,
        "crontab": row.crontab,
        "enabled": row.enabled,
    }


def _id(row: ScheduleRow) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id
