"""Scan runners: leases, second deliveries, recovery of dead runners, stopping, failing."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from compliance.services import runners, scans
from compliance.services.ports import StaticLister
from compliance.services.runners import FOLLOW, LEAD, Lease, RunnerStopped, recover, start_runner
from compliance.settings import Settings
from compliance.storage.db import SessionFactory, session_scope
from compliance.storage.tables import CheckRow, ScanItemRow, ScanRow, ScanRunnerRow, utcnow
from tests.compliance.services.fakes import Crash, FakeInspector
from tests.compliance.services.test_scans import TODAY, catalogue, lease_runs_out, new_target, scan_once


def _scan(session_factory: SessionFactory, author: str | None = None, **values: Any) -> int:
    target_id = new_target(session_factory, value=author or f"org{time.monotonic_ns()}")
    with session_scope(session_factory) as session:
        scan = scans.start_scan(session, target_id=target_id, trigger="api")
        for key, value in values.items():
            setattr(scan, key, value)
        session.add(scan)
        session.flush()
        assert scan.id is not None
        return scan.id


def _runner(session_factory: SessionFactory, runner_id: int) -> ScanRunnerRow:
    with session_scope(session_factory) as session:
        row = session.get(ScanRunnerRow, runner_id)
        assert row is not None
        return row


def _killed_scan(session_factory: SessionFactory, book: Any) -> int:
    """A scan whose runner was killed holding its second batch (10 models)."""
    target_id = new_target(session_factory)
    with pytest.raises(Crash):
        scan_once(session_factory, target_id, StaticLister(catalogue(30)), FakeInspector(crash_after=12), book,
                  page_size=10)  # fmt: skip
    with session_scope(session_factory) as session:
        scan_id = session.exec(select(ScanRow.id)).one()
        assert scan_id is not None
        return scan_id


def _statuses(session_factory: SessionFactory, scan_id: int) -> dict[str, int]:
    with session_scope(session_factory) as session:
        rows = session.exec(
            select(ScanItemRow.status, sa.func.count())
            .where(col(ScanItemRow.scan_id) == scan_id)
            .group_by(col(ScanItemRow.status))
        ).all()
    return dict(rows)


def test_a_second_delivery_of_the_same_task_does_not_run_beside_the_first(session_factory: SessionFactory) -> None:
    scan_id = _scan(session_factory)
    first = start_runner(session_factory, scan_id, task_id="task-1")
    assert first is not None
    assert start_runner(session_factory, scan_id, task_id="task-1") is None  # live: the copy stops
    runners.end_runner(session_factory, first, runners.RunnerState.ENDED)
    assert start_runner(session_factory, scan_id, task_id="task-1") is None  # finished: nothing to do
    other = start_runner(session_factory, scan_id, task_id="task-2", role=FOLLOW)
    assert other is not None and _runner(session_factory, other).role == FOLLOW


def test_a_runner_waiting_for_its_retry_takes_its_lease_back(session_factory: SessionFactory) -> None:
    scan_id = _scan(session_factory)
    runner = start_runner(session_factory, scan_id, task_id="task-1")
    assert runner is not None
    runners.wait_runner(session_factory, runner, 60)
    assert _runner(session_factory, runner).state == "waiting"
    with session_scope(session_factory) as session:  # a waiting runner counts as alive
        assert recover(session).dispatch == []
    assert start_runner(session_factory, scan_id, task_id="task-1") == runner
    assert _runner(session_factory, runner).state == "running"


def test_a_dead_runner_is_declared_lost_and_its_models_go_back(session_factory: SessionFactory, book: Any) -> None:
    scan_id = _killed_scan(session_factory, book)
    with session_scope(session_factory) as session:
        assert recover(session).dispatch == []  # the lease has not run out: maybe only slow
    assert _statuses(session_factory, scan_id) == {"done": 10, "running": 10}
    lease_runs_out(session_factory)
    with session_scope(session_factory) as session:
        recovered = recover(session, runners=2)
    assert recovered.dispatch == [(scan_id, [LEAD, FOLLOW])] and len(recovered.lost) == 1
    assert _statuses(session_factory, scan_id) == {"done": 10, "pending": 10}
    with session_scope(session_factory) as session:
        scan = session.get(ScanRow, scan_id)
        assert scan is not None and scan.attempts == 1 and scan.dispatched_at is not None
        held = session.exec(select(ScanItemRow.runner_id).where(col(ScanItemRow.status) == "pending")).all()
        assert set(held) == {None}
        waiting = session.exec(select(CheckRow.status).where(col(CheckRow.status) != "done")).all()
        assert set(waiting) == {"queued"}  # the released models' checks wait to be reused
        # Sent once: the runners just sent are waiting in the queue, so the next pass sends none.
        assert recover(session).dispatch == []
    # Once they start, a dead runner again leads to new ones.
    assert start_runner(session_factory, scan_id, task_id="task-new") is not None
    lease_runs_out(session_factory)
    with session_scope(session_factory) as session:
        assert recover(session).dispatch == [(scan_id, [LEAD, FOLLOW])]


def test_runners_sent_long_ago_and_never_started_are_sent_again(session_factory: SessionFactory) -> None:
    old = utcnow() - timedelta(seconds=400)
    scan_id = _scan(session_factory, created_at=old)
    fresh = _scan(session_factory)
    with session_scope(session_factory) as session:
        recovered = recover(session, recover_after=300)
    assert recovered.dispatch == [(scan_id, [LEAD, FOLLOW])]
    assert fresh not in [s for s, _ in recovered.dispatch]


def test_a_live_follower_whose_lead_died_gets_a_new_lead(session_factory: SessionFactory) -> None:
    scan_id = _scan(session_factory)
    lead = start_runner(session_factory, scan_id, task_id="lead", role=LEAD)
    assert start_runner(session_factory, scan_id, task_id="follower", role=FOLLOW) is not None
    with session_scope(session_factory) as session:
        session.execute(sa.update(ScanRunnerRow).where(col(ScanRunnerRow.id) == lead)
                        .values(lease_until=utcnow() - timedelta(seconds=1)))  # fmt: skip
    with session_scope(session_factory) as session:
        assert recover(session).dispatch == [(scan_id, [LEAD])]


def test_runners_lost_one_pass_at_a_time_are_all_replaced(session_factory: SessionFactory) -> None:
    scan_id = _scan(session_factory)
    lead = start_runner(session_factory, scan_id, task_id="lead", role=LEAD)
    follower = start_runner(session_factory, scan_id, task_id="follower", role=FOLLOW)

    def expire(runner_id: int | None) -> None:
        with session_scope(session_factory) as session:
            session.execute(sa.update(ScanRunnerRow).where(col(ScanRunnerRow.id) == runner_id)
                            .values(lease_until=utcnow() - timedelta(seconds=1)))  # fmt: skip

    expire(lead)  # the lead's lease runs out first; the follower's a moment later
    with session_scope(session_factory) as session:
        assert recover(session).dispatch == [(scan_id, [LEAD])]
    expire(follower)
    with session_scope(session_factory) as session:
        assert recover(session).dispatch == []  # the new lead has not started: wait for it
    assert start_runner(session_factory, scan_id, task_id="new-lead", role=LEAD) is not None
    with session_scope(session_factory) as session:
        assert recover(session).dispatch == [(scan_id, [FOLLOW])]  # back to two runners
    with session_scope(session_factory) as session:
        assert recover(session).dispatch == []
    # A runner that ended its pass normally is not replaced.
    assert start_runner(session_factory, scan_id, task_id="new-follower", role=FOLLOW) is not None
    runners.end_runner(session_factory, _id_of(session_factory, "new-follower"), runners.RunnerState.ENDED)
    with session_scope(session_factory) as session:
        assert recover(session).dispatch == []


def _id_of(session_factory: SessionFactory, task_id: str) -> int:
    runner = runners.runner_of_task(session_factory, task_id)
    assert runner is not None
    return runner


def test_a_scan_lost_too_often_fails_with_everything_it_held(
    session_factory: SessionFactory, book: Any, caplog: pytest.LogCaptureFixture
) -> None:
    scan_id = _killed_scan(session_factory, book)
    with session_scope(session_factory) as session:
        session.execute(sa.update(ScanRow).values(attempts=runners.MAX_ATTEMPTS - 1))
    lease_runs_out(session_factory)
    with caplog.at_level(logging.WARNING, logger="compliance.services.runners"), session_scope(session_factory) as s:
        recovered = recover(s)
    assert recovered.failed == [scan_id] and recovered.dispatch == []
    assert f"scan {scan_id} failed: its runners were lost {runners.MAX_ATTEMPTS} times" in caplog.text
    assert _statuses(session_factory, scan_id) == {"done": 10, "failed": 10}
    with session_scope(session_factory) as session:
        scan = session.get(ScanRow, scan_id)
        assert scan is not None and scan.status == "failed" and scan.error is not None
        left = session.exec(select(CheckRow).where(col(CheckRow.status) != "done")).all()
        assert left and {(c.status, c.failure) for c in left} == {("failed", "lost")}
        assert all("the scan failed" in (c.error or "") for c in left)
        live = session.exec(select(ScanRunnerRow).where(col(ScanRunnerRow.state).in_(runners.LIVE_STATES))).all()
        assert live == []


def test_a_lease_is_renewed_and_reports_a_stop_request(session_factory: SessionFactory) -> None:
    scan_id = _scan(session_factory)
    runner = start_runner(session_factory, scan_id, task_id="t", worker="w1", lease_seconds=2)
    assert runner is not None
    before = _runner(session_factory, runner).lease_until
    with Lease(session_factory, runner, lease_seconds=2, poll_seconds=0.1) as lease:
        time.sleep(0.7)
        assert before is not None and (_runner(session_factory, runner).lease_until or before) > before
        with session_scope(session_factory) as session:
            assert runners.request_stop(session, "w1") == [runner]
        deadline = time.monotonic() + 5
        while not lease.stopping.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lease.stopping.is_set() and not lease.lost.is_set()
        with pytest.raises(RunnerStopped):
            lease.check()


def test_a_runner_declared_lost_notices_and_stops(session_factory: SessionFactory) -> None:
    scan_id = _scan(session_factory)
    runner = start_runner(session_factory, scan_id, task_id="t", lease_seconds=2)
    assert runner is not None
    with Lease(session_factory, runner, lease_seconds=2, poll_seconds=0.1) as lease:
        with session_scope(session_factory) as session:
            session.execute(sa.update(ScanRunnerRow).values(state="lost"))
        deadline = time.monotonic() + 5
        while not lease.lost.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lease.lost.is_set() and lease.stopping.is_set()


def test_a_stopped_runner_stores_what_it_finished_and_hands_back_the_rest(
    session_factory: SessionFactory, book: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = catalogue(30)
    scan_id = _scan(session_factory, "acme")
    leases: list[Lease] = []

    class Recorded(Lease):
        def __enter__(self) -> Lease:
            leases.append(self)
            return super().__enter__()

    monkeypatch.setattr(scans, "Lease", Recorded)

    def stop_on_call(number: int) -> None:
        if number == 15:  # the middle of the second batch: a warm shutdown asks the runner to stop
            with session_scope(session_factory) as session:
                session.execute(sa.update(ScanRunnerRow).values(stop_requested=True))
            assert leases[0].stopping.wait(10)  # the lease thread sees the request (it looks every 0.4 s)

    inspector = FakeInspector(hook=stop_on_call)
    settings = Settings(scan_lease_seconds=2)
    with pytest.raises(RunnerStopped):
        scans.run_scan(session_factory, scan_id, settings=settings, lister=StaticLister(models), inspector=inspector,
                       rulebook=book, today=TODAY, page_size=10, task_id="stopping")  # fmt: skip
    stopped_at = len(inspector.calls)
    statuses = _statuses(session_factory, scan_id)
    # Every model inspected was stored; the rest of the claimed batch is back in the queue.
    assert statuses.get("done") == stopped_at and statuses.get("running") is None
    assert statuses.get("pending") == 20 - stopped_at
    with session_scope(session_factory) as session:
        row = session.exec(select(ScanRunnerRow).where(col(ScanRunnerRow.task_id) == "stopping")).one()
        assert row.state == "released"
    resumed = FakeInspector()
    scan = scans.run_scan(session_factory, scan_id, settings=settings, lister=StaticLister(models), inspector=resumed,
                          rulebook=book, today=TODAY, page_size=10)  # fmt: skip
    assert (scan.status, scan.done, scan.attempts) == ("done", 30, 0)  # a clean stop is not a loss
    assert len(resumed.calls) == 30 - stopped_at


def test_a_runner_that_lost_its_models_stores_nothing_of_them(session_factory: SessionFactory, book: Any) -> None:
    models = catalogue(10)
    scan_id = _scan(session_factory, "acme")

    def taken_over(number: int) -> None:
        if number == 5:  # the runner seemed dead: its models were released and another runner took them
            with session_scope(session_factory) as session:
                session.execute(sa.update(ScanItemRow).where(col(ScanItemRow.status) == "running")
                                .values(runner_id=999_999))  # fmt: skip

    zombie = FakeInspector(hook=taken_over)
    scan = scans.run_scan(session_factory, scan_id, settings=Settings(), lister=StaticLister(models),
                          inspector=zombie, rulebook=book, today=TODAY, page_size=10)  # fmt: skip
    assert scan.status == "running" and scan.done == 0  # nothing written for models it no longer held
    with session_scope(session_factory) as session:
        statuses = session.exec(select(CheckRow.status)).all()
        assert set(statuses) == {"running"}  # the other runner stores the results


def test_a_process_told_to_stop_stops_its_runner_at_the_next_model(session_factory: SessionFactory) -> None:
    scan_id = _scan(session_factory)
    runner = start_runner(session_factory, scan_id, task_id="t")
    assert runner is not None
    with Lease(session_factory, runner, lease_seconds=30) as lease:
        lease.check()  # nothing asked yet
        runners.stop_runners_here()  # what the pool process's signal handler does
        with pytest.raises(RunnerStopped, match="asked to stop"):
            lease.check()
    with Lease(session_factory, runner, lease_seconds=30) as again:
        again.check()  # a later runner in the same process starts afresh
