"""Scan workers killed (SIGKILL) and stopped (SIGTERM) in the middle of a scan, on real processes and no beat.

A killed worker's runners stop renewing their leases; a watchdog in every worker declares them
lost, puts the models they held back and sends new runners. A worker asked to stop hands its
models back itself and exits within its shutdown grace. Either way the scan finishes with every
model exactly once, nothing finished before the fault is redone, and nothing is left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.integration.conftest import Stack, require_port
from tests.web.integration.worker_faults import (
    BATCH,
    MODELS,
    Fault,
    Hub,
    duplicates,
    inject,
    mid_batch,
    own_stack,
    pool_pids,
    runs_on,
    settled,
    slow_hub,
    snapshot,
    start_scan,
    unchanged,
    wait_snapshot,
)

pytestmark = pytest.mark.slow
SCAN_WORKER = ("--queues", "scan", "--concurrency", "2")
SHORT_LEASE = ("--lease", "4")
RESUME_SECONDS = 30.0  # the lease (15 s by default), a watchdog turn (5 s at most) and slack
GRACE_SECONDS = 10.0  # COMPLIANCE_WORKER_SHUTDOWN_GRACE's default


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    """The slow synthetic hub, shared by the module's tests (they only read it)."""
    with slow_hub() as served:
        yield served


@pytest.fixture(params=["embedded", "postgres_redis"])
def isolated(request: pytest.FixtureRequest, tmp_path: Path, hub: Hub) -> Iterator[Stack]:
    """A backend of this test's own (its own database and broker), so no other worker sees its tasks."""
    name = "embedded"
    if request.param == "postgres_redis":
        request.applymarker(pytest.mark.services)
        from tests.compliance.storage.databases import postgres_admin_engine

        require_port("Redis", "127.0.0.1", 6379)
        postgres_admin_engine().dispose()  # skips (fails under CI=true) without PostgreSQL
        name = "postgres-redis"
    with own_stack(name, tmp_path, hub.url) as stack:
        yield stack


def _report(stack: Stack, fault: Fault, since: str) -> None:
    # Shown with -s; bench/scan_faults.py prints the same figures, with the default lease for every kill.
    print(f"[{stack.name}] {fault.point}: resumed {fault.latency:.1f} s after {since}; "
          f"{len(fault.redone())} models redone {fault.after.held_per_runner()}; {fault.timeline()}")  # fmt: skip


def _assert_bounded(fault: Fault) -> None:
    """A kill redoes at most one batch per runner of the killed worker (concurrency 2)."""
    per_runner = fault.after.held_per_runner()
    assert all(n <= BATCH for n in per_runner.values()), per_runner
    assert len(fault.redone()) <= 2 * BATCH


def test_a_scan_survives_kills_while_listing_mid_scan_and_late(isolated: Stack, hub: Hub) -> None:
    app = isolated.app()
    factory = app.extensions["compliance"].database.session_factory
    first = isolated.start_worker(*SCAN_WORKER, *SHORT_LEASE)
    scan_id = start_scan(isolated, app)

    # (a) While the lead is still listing; a replacement worker is started after the kill.
    wait_snapshot(factory, scan_id, lambda s: s.listed or s.count("done") >= 1, what="the first models stored")
    snap = snapshot(factory, scan_id)
    assert not snap.listed, "the listing ended before the first models were stored: kill (a) needs a slower hub"
    assert {r.role for r in runs_on(snap, first)} == {"lead", "follow"}
    a, second = inject(isolated, factory, scan_id, first, how="kill", point="kill while listing",
                       replacement=(*SCAN_WORKER, *SHORT_LEASE))  # fmt: skip
    assert second is not None and not a.after.listed
    _report(isolated, a, "the replacement's start")

    # (b) Mid-scan with claimed batches in flight; a second worker is already running and takes over.
    wait_snapshot(factory, scan_id, lambda s: len(runs_on(s, second)) == 2, what="both runners on the replacement")
    survivor = isolated.start_worker(*SCAN_WORKER)  # the default lease
    done_at_a = len(a.after.finished())
    snap = mid_batch(factory, scan_id, hub, second, until=lambda s: len(s.finished()) > done_at_a)
    assert runs_on(snap, survivor) == [] and len(runs_on(snap, second)) == 2
    b, _ = inject(isolated, factory, scan_id, second, how="kill", point="kill mid-scan")
    assert len(b.redone()) >= 1
    _report(isolated, b, "the kill (a second worker running)")

    # (c) Late in the scan, with the default lease; a replacement worker is started after the kill.
    late = int(MODELS * 0.7)
    wait_snapshot(factory, scan_id,
                  lambda s: len(runs_on(s, survivor)) >= 1 and len(s.finished()) >= late and s.count("running") >= 1,
                  what=f"{late} models done and one in flight on the surviving worker")  # fmt: skip
    assert len(runs_on(snapshot(factory, scan_id), survivor)) == len(snapshot(factory, scan_id).live())
    c, _ = inject(isolated, factory, scan_id, survivor, how="kill", point="kill late", replacement=SCAN_WORKER)
    _report(isolated, c, "the replacement's start")

    end = wait_snapshot(factory, scan_id, lambda s: s.status in ("done", "failed"), what="the scan's end", timeout=90)
    assert end.status == "done"
    assert duplicates(factory, scan_id, MODELS) == []
    assert settled(factory, scan_id) == {}
    for fault in (a, b, c):
        # Nothing finished before a kill was redone or lost; what was in flight was finished
        # later with the check it was claimed with.
        assert unchanged(fault.after.finished(), end.finished()) == []
        assert all(end.items[m].check_id == item.check_id for m, item in fault.redone().items() if item.check_id)
        # The killed worker's runners were declared lost.
        killed = [r.id for r in fault.before.live()]
        assert killed and all(end.runners[r].state == "lost" for r in killed), [end.runners[r] for r in killed]
        _assert_bounded(fault)
        assert fault.latency < RESUME_SECONDS, (fault.point, fault.latency)


def test_a_warm_stop_hands_its_models_back_within_the_grace(isolated: Stack, hub: Hub) -> None:
    app = isolated.app()
    factory = app.extensions["compliance"].database.session_factory
    first = isolated.start_worker(*SCAN_WORKER)  # default lease and grace
    scan_id = start_scan(isolated, app)
    mid_batch(factory, scan_id, hub, first, until=lambda s: len(s.finished()) >= 1 and len(s.live()) == 2)
    pool = pool_pids(first)
    held = runs_on(snapshot(factory, scan_id), first)
    assert len(held) == 2

    fault, _ = inject(isolated, factory, scan_id, first, how="stop", point="SIGTERM mid-scan", replacement=SCAN_WORKER)
    print(f"[{isolated.name}] SIGTERM: exited in {fault.exit_seconds:.1f} s; {len(fault.stored())} models stored "
          f"in the grace, {len(fault.handed_back())} handed back; resumed {fault.latency:.1f} s after the next "
          f"start; {fault.timeline()}")  # fmt: skip
    assert fault.exit_seconds < GRACE_SECONDS
    assert [p for p in pool if _alive(p)] == []  # its pool went with it
    # Nothing lost: every model is finished or back in the queue, its runners handed back.
    assert fault.after.count("running") == 0
    assert fault.handed_back(), "the batch in flight was not handed back"
    assert {i.check_status for i in fault.after.items.values() if i.status == "pending" and i.check_id} <= {"queued"}
    assert {i.check_status for i in fault.after.finished().values()} == {"done"}
    assert {fault.after.runners[r.id].state for r in held} == {"released"}
    assert unchanged(fault.before.finished(), fault.after.finished()) == []
    assert fault.latency < RESUME_SECONDS

    end = wait_snapshot(factory, scan_id, lambda s: s.status in ("done", "failed"), what="the scan's end", timeout=90)
    assert end.status == "done"
    assert duplicates(factory, scan_id, MODELS) == []
    assert settled(factory, scan_id) == {}
    assert unchanged(fault.after.finished(), end.finished()) == []
    stopped_with = {m: i.check_id for m, i in fault.after.items.items() if i.check_id}
    assert all(end.items[m].check_id == check for m, check in stopped_with.items())


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[-1]
    except OSError:
        return False
    return not state.startswith("Z")  # a zombie has exited
