"""Scan runners and their leases: which runner holds which models, and which runners are dead.

A scan is worked by runners (one Celery task delivery each, known by its task id). A runner
registers a row in ``scan_runners`` when it starts and holds a **lease** there that a thread of
its own renews every fifth of the lease (:class:`Lease`); every model it claims carries its id
(``scan_items.runner_id``), and everything it writes about a model is conditional on still
holding it. So:

* a runner whose lease ran out is dead, whatever killed it: :func:`recover` (run by every
  worker every few seconds, at worker start, by beat's tick and when a scan is requested again)
  marks it ``lost``, puts the models it held back to ``pending`` and, when the scan has no live
  runner left, sends new ones. A killed scan resumes a lease (15 s by default) after the kill
  instead of after minutes;
* a runner that only *seemed* dead (a long pause) finds its lease gone at its next renewal and
  stops; whatever it then tries to store is refused, since the models are no longer its own;
* a message the broker delivers twice finds its task id registered and stops at once, so a live
  runner never runs twice (Redis re-delivers after its visibility timeout; a warm shutdown puts
  unacknowledged messages back);
* a warm shutdown asks its runners to stop (:func:`request_stop`): each finishes the model in
  hand, stores what it finished, hands the rest of its batch back and ends ``released``.

``scans.attempts`` counts the recoveries that found runners lost; after :data:`MAX_ATTEMPTS`
the scan is failed (:func:`fail_scan`), with every model it had not finished and their checks.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.services.checks import INTERNAL_EXIT_CODE as LOST_EXIT_CODE
from compliance.services.checks import LOST_FAILURE
from compliance.services.scan_failures import not_checked_error
from compliance.storage.db import SessionFactory, insert_ignore, session_scope
from compliance.storage.tables import (
    CheckRow,
    CheckStatus,
    ItemStatus,
    RunnerState,
    ScanItemRow,
    ScanRow,
    ScanRunnerRow,
    ScanStatus,
    utcnow,
)

log = logging.getLogger(__name__)

LEAD = "lead"
FOLLOW = "follow"
LIVE_STATES = (RunnerState.RUNNING.value, RunnerState.WAITING.value)
MAX_ATTEMPTS = 5
DEFAULT_LEASE_SECONDS = 15.0
# A scan none of whose runners is alive is sent new ones, unless runners were sent less than
# this long ago and none of them has started yet (they may be waiting in a busy queue).
DEFAULT_RECOVER_AFTER = 300.0
_UNFINISHED_ITEMS = (ItemStatus.PENDING.value, ItemStatus.RUNNING.value)
_GONE_STATES = (RunnerState.LOST.value, RunnerState.FAILED.value)


class RunnerStopped(Exception):
    """A runner stopped before the scan's end: asked to (a warm shutdown) or its lease was lost.

    Not a :class:`~compliance.errors.ComplianceError`: stopping is not failing, and the scan
    carries on with other runners.
    """


# --- one runner ---------------------------------------------------------------------------


def start_runner(
    session_factory: SessionFactory,
    scan_id: int,
    *,
    task_id: str,
    role: str = LEAD,
    worker: str | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> int | None:
    """Register the runner ``task_id`` of a scan with a fresh lease; returns its id.

    None when that task id already has a runner that is not waiting for this delivery (a
    message delivered a second time: its runner is live, finished or was declared lost, and
    in each case this delivery has nothing to do). A runner ``waiting`` for a retry takes
    its lease back. Models that no live runner holds go back to the queue.
    """
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds)
    values = {"worker": (worker or "")[:200] or None, "pid": os.getpid(), "lease_until": until}
    with session_scope(session_factory) as session:
        added = insert_ignore(session, ScanRunnerRow, [{
            "scan_id": scan_id, "task_id": task_id[:64], "role": role, "state": RunnerState.RUNNING.value,
            "started_at": now, "ended_at": None, "stop_requested": False, "note": None, **values,
        }], conflict=["task_id"])  # fmt: skip
        row = session.exec(select(ScanRunnerRow).where(col(ScanRunnerRow.task_id) == task_id[:64])).one()
        if not added:
            resumed = session.exec(
                sa.update(ScanRunnerRow)
                .where(col(ScanRunnerRow.id) == row.id, col(ScanRunnerRow.state) == RunnerState.WAITING)
                .values(state=RunnerState.RUNNING.value, started_at=now, **values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if resumed != 1:
                return None
        _declare_lost(session, now, [scan_id])
        release_orphans(session, scan_id, now=now)
        return row.id


def end_runner(session_factory: SessionFactory, runner_id: int, state: RunnerState, note: str | None = None) -> None:
    """Record that a runner ended (``ended``, ``released`` or ``failed``) and hand back what it still held."""
    now = utcnow()
    with session_scope(session_factory) as session:
        session.exec(
            sa.update(ScanRunnerRow)
            .where(col(ScanRunnerRow.id) == runner_id, col(ScanRunnerRow.state).in_(LIVE_STATES))
            .values(state=state.value, ended_at=now, lease_until=None, note=(note or None) and note[:500])
            .execution_options(synchronize_session=False)
        )
        if state is RunnerState.FAILED:
            _count_attempt(session, [runner_id])
        release_items(session, [runner_id])


def wait_runner(session_factory: SessionFactory, runner_id: int, seconds: float) -> None:
    """A runner will be delivered again in ``seconds`` (a retry): keep its claim on the scan till then."""
    until = utcnow() + timedelta(seconds=seconds)
    with session_scope(session_factory) as session:
        session.exec(
            sa.update(ScanRunnerRow)
            .where(col(ScanRunnerRow.id) == runner_id, col(ScanRunnerRow.state).in_(LIVE_STATES))
            .values(state=RunnerState.WAITING.value, lease_until=until)
            .execution_options(synchronize_session=False)
        )
        release_items(session, [runner_id])


def runner_of_task(session_factory: SessionFactory, task_id: str) -> int | None:
    """The id of the runner registered for a Celery task id, if any."""
    with session_scope(session_factory) as session:
        return session.exec(select(ScanRunnerRow.id).where(col(ScanRunnerRow.task_id) == task_id[:64])).first()


def live_lead(session: Session, scan_id: int, *, now: datetime | None = None) -> bool:
    """Whether a lead runner of the scan holds a lease (or waits for a retry)."""
    now = now or utcnow()
    found = session.exec(
        select(ScanRunnerRow.id).where(
            col(ScanRunnerRow.scan_id) == scan_id,
            col(ScanRunnerRow.role) == LEAD,
            col(ScanRunnerRow.state).in_(LIVE_STATES),
            col(ScanRunnerRow.lease_until) >= now,
        )
    ).first()
    return found is not None


def request_stop(session: Session, worker: str) -> list[int]:
    """Ask every running runner of ``worker`` (a Celery node name) to stop; returns their ids."""
    ids = [runner_id for runner_id, _ in running_of(session, worker)]
    if ids:
        session.exec(
            sa.update(ScanRunnerRow)
            .where(col(ScanRunnerRow.id).in_(ids))
            .values(stop_requested=True)
            .execution_options(synchronize_session=False)
        )
    return ids


def running_of(session: Session, worker: str) -> list[tuple[int, int | None]]:
    """The runners of ``worker`` still running, as ``(runner id, pid)``."""
    rows = session.exec(
        select(ScanRunnerRow.id, ScanRunnerRow.pid).where(
            col(ScanRunnerRow.worker) == worker[:200], col(ScanRunnerRow.state) == RunnerState.RUNNING
        )
    ).all()
    return [(i, pid) for i, pid in rows if i is not None]


# Set when this process is told its runners must stop (a worker's pool process gets a signal
# at a warm shutdown): quicker than the lease thread's next look at the stop flag.
_STOP_HERE = threading.Event()


def stop_runners_here() -> None:
    """Ask every runner of this process to stop after the model in hand (safe in a signal handler)."""
    _STOP_HERE.set()


@dataclass
class Lease:
    """A runner's lease, renewed by a daemon thread while the runner works.

    :attr:`stopping` is set when the runner was asked to stop or lost its lease (then
    :attr:`lost` is set too); the runner checks it between models, along with
    :func:`stop_runners_here`.
    """

    session_factory: SessionFactory
    runner_id: int
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    # How often a stop request is looked for: a runner stops this soon after the model in hand.
    poll_seconds: float = 0.2
    stopping: threading.Event = field(default_factory=threading.Event)
    lost: threading.Event = field(default_factory=threading.Event)
    _done: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Lease:
        _STOP_HERE.clear()  # left from a runner this process stopped before; the stop flag stays in the table
        self._thread = threading.Thread(target=self._keep, name=f"lease-{self.runner_id}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def check(self) -> None:
        """Raise :class:`RunnerStopped` if the runner must stop."""
        if _STOP_HERE.is_set():
            self.stopping.set()
        if self.stopping.is_set():
            raise RunnerStopped("lease lost" if self.lost.is_set() else "asked to stop")

    def _keep(self) -> None:
        renew_every = self.lease_seconds / 5
        poll = min(self.poll_seconds, renew_every)
        renewed = time.monotonic()
        while not self._done.wait(poll):
            try:
                if time.monotonic() - renewed >= renew_every:
                    renewed = time.monotonic()
                    self._renew()
                else:
                    self._look()
            except Exception:  # a database hiccup: the next turn tries again; the lease has slack
                log.warning("runner %s: lease renewal failed", self.runner_id, exc_info=True)

    def _renew(self) -> None:
        until = utcnow() + timedelta(seconds=self.lease_seconds)
        with session_scope(self.session_factory) as session:
            moved = session.exec(
                sa.update(ScanRunnerRow)
                .where(col(ScanRunnerRow.id) == self.runner_id, col(ScanRunnerRow.state) == RunnerState.RUNNING)
                .values(lease_until=until)
                .execution_options(synchronize_session=False)
            ).rowcount
            if moved != 1:
                log.warning("runner %s lost its lease; stopping", self.runner_id)
                self.lost.set()
                self.stopping.set()
                return
        self._look()

    def _look(self) -> None:
        with session_scope(self.session_factory) as session:
            row = session.exec(
                select(ScanRunnerRow.state, ScanRunnerRow.stop_requested).where(ScanRunnerRow.id == self.runner_id)
            ).first()
        if row is None or row[0] != RunnerState.RUNNING:
            self.lost.set()
            self.stopping.set()
        elif row[1]:
            self.stopping.set()


# --- models held by runners ---------------------------------------------------------------


def release_items(session: Session, runner_ids: Iterable[int]) -> int:
    """Put the models these runners hold back to ``pending`` (their checks wait, ``queued``)."""
    ids = list(runner_ids)
    if not ids:
        return 0
    held = col(ScanItemRow.runner_id).in_(ids) & (col(ScanItemRow.status) == ItemStatus.RUNNING)
    return release_where(session, held)


def release_orphans(session: Session, scan_id: int, *, now: datetime | None = None) -> int:
    """Put back the running models of a scan that no live runner holds (one statement, so a
    runner registering meanwhile keeps what it claims)."""
    now = now or utcnow()
    live = select(ScanRunnerRow.id).where(
        col(ScanRunnerRow.scan_id) == scan_id,
        col(ScanRunnerRow.state).in_(LIVE_STATES),
        col(ScanRunnerRow.lease_until) >= now,
    )
    held = (
        (col(ScanItemRow.scan_id) == scan_id)
        & (col(ScanItemRow.status) == ItemStatus.RUNNING)
        & (col(ScanItemRow.runner_id).is_(None) | col(ScanItemRow.runner_id).not_in(live))
    )
    return release_where(session, held)


def release_where(session: Session, held: Any) -> int:
    """Put the running items matching ``held`` back to ``pending``, unclaimed, and their running
    checks back to ``queued`` (kept, to be reused); returns how many items moved."""
    checks = list(session.exec(select(ScanItemRow.check_id).where(held, col(ScanItemRow.check_id).is_not(None))))
    moved = session.exec(
        sa.update(ScanItemRow)
        .where(held)
        .values(status=ItemStatus.PENDING.value, runner_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if checks:
        session.exec(
            sa.update(CheckRow)
            .where(col(CheckRow.id).in_(checks), col(CheckRow.status) == CheckStatus.RUNNING)
            .values(status=CheckStatus.QUEUED.value)
            .execution_options(synchronize_session=False)
        )
    return int(moved or 0)


# --- recovery -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recovered:
    """What one recovery pass did: runners declared lost, runners to send (after commit), scans failed."""

    lost: list[int]
    dispatch: list[tuple[int, list[str]]]
    failed: list[int]


def recover(
    session: Session,
    *,
    now: datetime | None = None,
    recover_after: float = DEFAULT_RECOVER_AFTER,
    runners: int = 2,
    scan_ids: Iterable[int] | None = None,
) -> Recovered:
    """Declare runners whose lease ran out lost, hand their models back, and decide which scans
    need new runners (sent by the caller once this transaction commits) or must fail.

    Safe to run from many processes at once: every step is a conditional update, and a scan is
    given new runners only by the pass that moves its ``dispatched_at``. ``scan_ids`` limits
    the pass to some scans (a scan requested again).
    """
    now = now or utcnow()
    only = None if scan_ids is None else list(scan_ids)
    lost = _declare_lost(session, now, only)
    query = select(ScanRow).where(col(ScanRow.status).in_([ScanStatus.QUEUED, ScanStatus.RUNNING]))
    if only is not None:
        query = query.where(col(ScanRow.id).in_(only))
    dispatch: list[tuple[int, list[str]]] = []
    failed: list[int] = []
    for scan in session.exec(query).all():
        assert scan.id is not None
        rows = session.exec(select(ScanRunnerRow).where(col(ScanRunnerRow.scan_id) == scan.id)).all()
        live = [r for r in rows if r.state in LIVE_STATES and r.lease_until is not None and r.lease_until >= now]
        if not live and scan.attempts >= MAX_ATTEMPTS:
            if fail_scan(session, scan.id, f"its runners were lost {scan.attempts} times", failure=LOST_FAILURE):
                failed.append(scan.id)
            continue
        sent = scan.dispatched_at or scan.created_at
        taken_up = any(r.started_at >= sent for r in rows)
        if not taken_up and sent > now - timedelta(seconds=recover_after):
            continue  # runners were sent a moment ago and wait in the queue
        if live:
            # Replace the runners lost (or given up) since the last dispatch, up to the full
            # number, and a lead if the listing is unfinished; runners that ended their pass
            # normally are not replaced (there was nothing left for them).
            needs_lead = scan.listed_at is None and not any(r.role == LEAD for r in live)
            gone = sum(1 for r in rows if r.state in _GONE_STATES and r.ended_at is not None and r.ended_at > sent)
            missing = min(gone, max(0, runners - len(live)))
            roles = [LEAD] if needs_lead else []
            roles += [FOLLOW] * max(0, missing - len(roles))
        else:
            roles = [LEAD] + [FOLLOW] * max(0, runners - 1)
        if not roles or not _claim_dispatch(session, scan, now):
            continue
        if not live:
            release_orphans(session, scan.id, now=now)
        dispatch.append((scan.id, roles))
    return Recovered(lost, dispatch, failed)


def _declare_lost(session: Session, now: datetime, only: list[int] | None) -> list[int]:
    expired = (col(ScanRunnerRow.state).in_(LIVE_STATES)) & (col(ScanRunnerRow.lease_until) < now)
    query = select(ScanRunnerRow.id).where(expired)
    if only is not None:
        query = query.where(col(ScanRunnerRow.scan_id).in_(only))
    ids = [i for i in session.exec(query).all() if i is not None]
    if not ids:
        return []
    # RETURNING keeps only the rows this pass moved: two passes at once declare each runner once.
    table = ScanRunnerRow.__table__  # type: ignore[attr-defined]
    moved = (
        session.connection()
        .execute(
            sa.update(table)
            .where(table.c.id.in_(ids), table.c.state.in_(LIVE_STATES), table.c.lease_until < now)
            .values(
                state=RunnerState.LOST.value, ended_at=now, note="its lease ran out: the worker stopped renewing it"
            )
            .returning(table.c.id, table.c.scan_id)
        )
        .all()
    )
    if not moved:
        return []
    runner_ids = [r for r, _ in moved]
    release_items(session, runner_ids)
    _count_attempt(session, runner_ids)
    for runner_id, scan_id in moved:
        log.warning("scan %s: runner %s lost its lease; its models go back to the queue", scan_id, runner_id)
    return runner_ids


def _count_attempt(session: Session, runner_ids: list[int]) -> None:
    scans = select(ScanRunnerRow.scan_id).where(col(ScanRunnerRow.id).in_(runner_ids))
    session.exec(
        sa.update(ScanRow)
        .where(col(ScanRow.id).in_(scans))
        .values(attempts=ScanRow.attempts + 1)
        .execution_options(synchronize_session=False)
    )


def _claim_dispatch(session: Session, scan: ScanRow, now: datetime) -> bool:
    before = col(ScanRow.dispatched_at).is_(None) if scan.dispatched_at is None else (
        col(ScanRow.dispatched_at) == scan.dispatched_at
    )  # fmt: skip
    moved = session.exec(
        sa.update(ScanRow)
        .where(col(ScanRow.id) == scan.id, before)
        .values(dispatched_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(moved == 1)


# --- failing ------------------------------------------------------------------------------


def fail_scan(
    session: Session, scan_id: int, message: str, *, failure: str = "service", now: datetime | None = None
) -> bool:
    """Fail a queued or running scan with ``message``, and everything it had not finished; the caller commits.

    Its pending and running models are failed ("not checked: the scan failed: ..."), their
    checks too (with the failure kind ``failure``), and its live runners end. A conditional
    update, so a scan another runner finished meanwhile is left as it is. Returns whether
    the scan was failed here (and logs why at warning level).
    """
    now = now or utcnow()
    moved = session.exec(
        sa.update(ScanRow)
        .where(col(ScanRow.id) == scan_id, col(ScanRow.status).in_([ScanStatus.QUEUED, ScanStatus.RUNNING]))
        .values(status=ScanStatus.FAILED, error=message[:2000], finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        return False
    left = (col(ScanItemRow.scan_id) == scan_id) & col(ScanItemRow.status).in_(_UNFINISHED_ITEMS)
    why = not_checked_error(message)
    checks = list(session.exec(select(ScanItemRow.check_id).where(left, col(ScanItemRow.check_id).is_not(None))))
    if checks:
        session.exec(
            sa.update(CheckRow)
            .where(col(CheckRow.id).in_(checks), col(CheckRow.status).in_([CheckStatus.QUEUED, CheckStatus.RUNNING]))
            .values(
                status=CheckStatus.FAILED.value, error=why, failure=failure, exit_code=LOST_EXIT_CODE, finished_at=now
            )
            .execution_options(synchronize_session=False)
        )
    left_over = session.exec(
        sa.update(ScanItemRow)
        .where(left)
        .values(status=ItemStatus.FAILED.value, error=why, finished_at=now, runner_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.exec(
        sa.update(ScanRunnerRow)
        .where(col(ScanRunnerRow.scan_id) == scan_id, col(ScanRunnerRow.state).in_(LIVE_STATES))
        .values(state=RunnerState.ENDED.value, ended_at=now, lease_until=None, note="the scan failed")
        .execution_options(synchronize_session=False)
    )
    session.exec(
        sa.update(ScanRow)
        .where(col(ScanRow.id) == scan_id)
        .values(errors=ScanRow.errors + int(left_over or 0))
        .execution_options(synchronize_session=False)
    )
    log.warning("scan %s failed: %s (%d models left unchecked)", scan_id, message, left_over or 0)
    return True
