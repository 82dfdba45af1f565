"""Faults on real scan workers: kill one (SIGKILL of its process group) or stop it (SIGTERM), and read
what that did to the scan.

Shared by the fault-injection tests (``test_scan_faults.py``) and ``python -m bench --only
scan_faults``, so the figures the benchmark prints are measured exactly as the tests assert them:

* a scan's rows at one moment (:class:`Snapshot`): its items with the runner holding each, and its
  runners with their state, pool process, start and end;
* a kill or a warm stop (:func:`inject`): what was in flight, and when the scan moved
  again (the first model finished that was not finished right after the fault);
* what must hold once the scan is done: every model exactly once (:func:`duplicates`) and nothing
  left behind (:func:`leftovers`).

The hub is the project's hub server with synthetic models (:func:`slow_hub`), slowed a little so
a scan lasts long enough to be hit at the chosen points.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from compliance.storage.db import SessionFactory, session_scope
from compliance.storage.tables import (
    ChangeRow,
    CheckRow,
    FindingRow,
    ScanItemRow,
    ScanRow,
    ScanRunnerRow,
    utcnow,
)
from tests.web.integration.conftest import Stack, Worker, make_stack, wait_for

MODELS = 200
BATCH = 50  # models a runner claims at a time: a kill redoes at most this many per runner
LIVE = ("running", "waiting")


@dataclass(frozen=True, slots=True)
class Hub:
    """The hub server in this process, and its request log."""

    url: str
    controls: Any  # web.hubserver.HubControls

    def mark(self) -> int:
        """A position in the request log."""
        return len(self.controls.log())

    def inspected(self, models: Iterable[str], since: int) -> set[str]:
        """Which of ``models`` had their card read since ``since`` (a model's last request)."""
        wanted = {f"/{m}/resolve/": m for m in models}
        return {
            wanted[prefix]
            for entry in self.controls.log()[since:]
            if (prefix := "/".join(entry["path"].split("/")[:4]) + "/") in wanted
        }


@contextmanager
def slow_hub(models: int = MODELS, *, delay: float = 0.02, page: int = 25, page_delay: float = 0.25) -> Iterator[Hub]:
    """A hub serving ``models`` synthetic models: each model request waits ``delay`` s and the
    listing comes ``page`` models a page, ``page_delay`` s each, so the lead lists for a while."""
    from web.hubserver import DemoRegistry, HubControls, create_hub_app, hub_state, start_hub_server
    from web.hubserver.controls import Fault

    app = create_hub_app(DemoRegistry(synthetic=models), page_size=page, controls=True)
    controls: HubControls = hub_state(app).controls
    controls.add_fault(Fault(match="^/api/models/synthetic/", delay=delay, times=None))
    controls.add_fault(Fault(match=r"^/api/models\?", delay=page_delay, times=None))
    url, stop_hub = start_hub_server(app)
    try:
        yield Hub(url, controls)
    finally:
        stop_hub()


@contextmanager
def own_stack(name: str, workdir: Path, hub_url: str) -> Iterator[Stack]:
    """A backend no other worker uses: ``embedded`` (a fresh data directory) or ``postgres-redis``
    (a throwaway PostgreSQL database, dropped afterwards, and a Redis database number picked at
    random, flushed before and after). Stops the stack's workers at the end."""
    workdir.mkdir(parents=True, exist_ok=True)
    if name == "embedded":
        stack = make_stack(name, workdir, hub_url)
        try:
            yield stack
        finally:
            stack.stop()
        return
    import redis

    from tests.compliance.storage.databases import create_database, drop_database, postgres_admin_engine

    admin = postgres_admin_engine()
    url = create_database(admin, prefix="test")
    broker = f"redis://127.0.0.1:6379/{random.randint(3, 13)}"
    redis.Redis.from_url(broker).flushdb()
    try:
        stack = make_stack(name, workdir, hub_url, database_url=url, broker_url=broker, result_backend=broker)
        try:
            yield stack
        finally:
            stack.stop()
    finally:
        redis.Redis.from_url(broker).flushdb()
        drop_database(admin, url)
        admin.dispose()


@dataclass(frozen=True, slots=True)
class Item:
    """One model of the scan."""

    status: str
    check_id: str | None
    finished_at: datetime | None
    runner_id: int | None
    check_status: str | None


@dataclass(frozen=True, slots=True)
class Runner:
    """One runner of the scan."""

    id: int
    role: str
    state: str
    pid: int | None
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A scan's rows at one moment."""

    status: str
    listed: bool
    total: int
    changes: int
    items: dict[str, Item]
    runners: dict[int, Runner]

    def count(self, status: str) -> int:
        """How many items are in ``status``."""
        return sum(1 for item in self.items.values() if item.status == status)

    def finished(self) -> dict[str, Item]:
        """The items done so far, by model."""
        return {model: item for model, item in self.items.items() if item.status == "done"}

    def held(self) -> dict[str, Item]:
        """The items claimed and not stored (``running``), by model."""
        return {model: item for model, item in self.items.items() if item.status == "running"}

    def live(self) -> list[Runner]:
        """The runners running or waiting for a retry."""
        return [r for r in self.runners.values() if r.state in LIVE]

    def held_per_runner(self) -> dict[str, int]:
        """Claimed-not-stored items per runner, keyed ``<role> <id>``."""
        counts = Counter(item.runner_id for item in self.held().values())
        return {self._label(runner_id): n for runner_id, n in sorted(counts.items(), key=lambda kv: kv[0] or 0)}

    def _label(self, runner_id: int | None) -> str:
        runner = self.runners.get(runner_id) if runner_id is not None else None
        return f"{runner.role} {runner.id}" if runner is not None else "no runner"


def snapshot(factory: SessionFactory, scan_id: int) -> Snapshot:
    """Read the scan, its items and its runners in one session."""
    with session_scope(factory) as session:
        scan = session.get(ScanRow, scan_id)
        assert scan is not None, f"no scan {scan_id}"
        items = session.execute(
            sa.select(
                col(ScanItemRow.model_id),
                col(ScanItemRow.status),
                col(ScanItemRow.check_id),
                col(ScanItemRow.finished_at),
                col(ScanItemRow.runner_id),
                col(CheckRow.status),
            )
            .outerjoin(CheckRow, col(CheckRow.id) == col(ScanItemRow.check_id))
            .where(col(ScanItemRow.scan_id) == scan_id)
        ).all()
        runners = session.exec(select(ScanRunnerRow).where(col(ScanRunnerRow.scan_id) == scan_id)).all()
        return Snapshot(
            status=scan.status,
            listed=scan.listed_at is not None,
            total=scan.total,
            changes=scan.changes,
            items={row[0]: Item(*row[1:]) for row in items},
            runners={
                r.id: Runner(r.id, r.role, r.state, r.pid, r.started_at, r.ended_at)
                for r in runners
                if r.id is not None
            },
        )


def wait_snapshot(
    factory: SessionFactory, scan_id: int, until: Callable[[Snapshot], bool], *, what: str, timeout: float = 60.0
) -> Snapshot:
    """Poll the scan every 50 ms until ``until`` holds; returns that snapshot."""

    def ready() -> Snapshot | None:
        snap = snapshot(factory, scan_id)
        return snap if until(snap) else None

    found: Snapshot = wait_for(ready, timeout=timeout, what=what, step=0.05)
    return found


def mid_batch(
    factory: SessionFactory,
    scan_id: int,
    hub: Hub,
    worker: Worker,
    *,
    until: Callable[[Snapshot], bool] = lambda s: True,
    inspected: int = 5,
    timeout: float = 60.0,
) -> Snapshot:
    """Wait until every live runner runs on ``worker``, ``until`` holds, and a claimed batch is being
    worked on: at least ``inspected`` of the models held have been read from the hub since they
    were claimed, and none of them stored yet. Returns the snapshot that showed it."""
    claimed: tuple[frozenset[str], int] = (frozenset(), 0)  # the models held, and the log position at their claim

    def ready() -> Snapshot | None:
        nonlocal claimed
        snap = snapshot(factory, scan_id)
        held = frozenset(snap.held())
        live = snap.live()
        if len(held) < BATCH // 2 or not live or len(runs_on(snap, worker)) != len(live) or not until(snap):
            return None
        if held != claimed[0]:
            claimed = (held, hub.mark())
            return None
        return snap if len(hub.inspected(held, claimed[1])) >= inspected else None

    found: Snapshot = wait_for(ready, timeout=timeout, what=f"a batch being worked on by {worker.log.name}", step=0.05)
    return found


def pool_pids(worker: Worker) -> set[int]:
    """The worker's pool processes (the runners' ``pid``)."""
    out: set[int] = set()
    for task in Path(f"/proc/{worker.proc.pid}/task").glob("*/children"):
        try:
            out |= {int(p) for p in task.read_text().split()}
        except OSError:  # the thread ended meanwhile
            continue
    return out


def runs_on(snap: Snapshot, worker: Worker) -> list[Runner]:
    """The scan's live runners that run in ``worker``'s pool."""
    pids = pool_pids(worker)
    return [r for r in snap.live() if r.pid in pids]


@dataclass(frozen=True, slots=True)
class Fault:
    """What one kill or stop did: the scan just before and just after it, and when it moved again."""

    point: str
    before: Snapshot
    after: Snapshot
    at: datetime  # when the signal was sent
    reference: datetime  # the fault, or the start of the worker that resumed
    resumed_at: datetime
    exit_seconds: float  # from the signal to the worker's exit
    resumed: Snapshot  # when the first model was finished after the fault

    def since(self, moment: datetime | None) -> float | None:
        """Seconds from ``reference`` to ``moment``."""
        return None if moment is None else (moment - self.reference).total_seconds()

    def ended(self) -> datetime | None:
        """When the last runner the fault hit was declared lost (or ended, released)."""
        ends = [self.resumed.runners[r.id].ended_at for r in self.before.live()]
        return None if None in ends or not ends else max(e for e in ends if e is not None)

    def restarted(self) -> datetime | None:
        """When the first runner started after the fault."""
        new = [r.started_at for r in self.resumed.runners.values() if r.id not in self.before.runners]
        return min(new, default=None)

    def timeline(self) -> str:
        """Where the resume latency went, from ``reference``."""
        parts = [("runners ended", self.since(self.ended())), ("new runner", self.since(self.restarted()))]
        shown = ", ".join(f"{name} {value:+.1f} s" for name, value in parts if value is not None)
        return f"{shown}, first model stored {self.latency:+.1f} s"

    @property
    def latency(self) -> float:
        """Seconds from ``reference`` to the first model finished after the fault."""
        return (self.resumed_at - self.reference).total_seconds()

    def stored(self) -> list[str]:
        """The models the worker finished between the signal and its exit."""
        return sorted(set(self.after.finished()) - set(self.before.finished()))

    def handed_back(self) -> list[str]:
        """The models the worker held at the signal and put back to pending."""
        held = self.before.held()
        return sorted(m for m, item in self.after.items.items() if m in held and item.status == "pending")

    def redone(self) -> dict[str, Item]:
        """The models claimed and not stored when the worker went: done again by another runner."""
        return self.after.held()


def inject(
    stack: Stack,
    factory: SessionFactory,
    scan_id: int,
    worker: Worker,
    *,
    how: str,
    point: str,
    replacement: tuple[str, ...] | None = None,
    timeout: float = 60.0,
) -> tuple[Fault, Worker | None]:
    """Hit ``worker`` while it runs the scan, then wait until a model not finished at the fault is finished.

    ``how`` is ``kill`` (SIGKILL of its process group, as a crash) or ``stop`` (SIGTERM to its main
    process only, a warm shutdown; waits for it to exit). ``replacement`` (worker arguments)
    starts a worker just after; without it, a worker already running must take over.
    """
    before = snapshot(factory, scan_id)
    at = utcnow()
    started = time.monotonic()
    if how == "kill":
        worker.kill()
    else:
        assert how == "stop", how
        worker.proc.send_signal(signal.SIGTERM)
        worker.proc.wait(timeout=timeout)
    exited = time.monotonic() - started
    after = snapshot(factory, scan_id)
    reference, new = at, None
    if replacement is not None:
        reference = utcnow()
        new = stack.start_worker(*replacement)
    finished = set(after.finished())

    def resumed() -> datetime | None:
        moved = [i.finished_at for m, i in snapshot(factory, scan_id).finished().items() if m not in finished]
        return min((t for t in moved if t is not None), default=None)

    resumed_at = wait_for(resumed, timeout=timeout, what=f"the scan to resume after the fault {point!r}", step=0.05)
    return Fault(point, before, after, at, reference, resumed_at, exited, snapshot(factory, scan_id)), new


def unchanged(earlier: dict[str, Item], later: dict[str, Item]) -> list[str]:
    """The models finished in ``earlier`` that ``later`` no longer shows finished the same way
    (another check, or finished again at another time): work that was redone or lost."""
    return sorted(
        m
        for m, item in earlier.items()
        if m not in later or (later[m].check_id, later[m].finished_at) != (item.check_id, item.finished_at)
    )


def duplicates(factory: SessionFactory, scan_id: int, models: int) -> list[str]:
    """What breaks "every model exactly once": one item, one check, one set of findings, one
    ``new_model`` change per model, and counters that agree with the rows."""
    problems: list[str] = []
    with session_scope(factory) as session:
        scan = session.get(ScanRow, scan_id)
        assert scan is not None
        items = session.exec(
            select(ScanItemRow.model_id, ScanItemRow.status, ScanItemRow.check_id).where(
                col(ScanItemRow.scan_id) == scan_id
            )
        ).all()
        done = {model: check for model, status, check in items if status == "done"}
        if scan.total != models or len(items) != models or len(done) != models:
            problems.append(f"{models} models: total {scan.total}, {len(items)} items, {len(done)} done")
        checks = session.exec(select(CheckRow.id, CheckRow.model_ref).where(col(CheckRow.source) == "scan")).all()
        per_model = Counter(model for _, model in checks)
        if sorted(per_model) != sorted(done) or set(per_model.values()) != {1}:
            twice = sorted(m for m, n in per_model.items() if n > 1)
            problems.append(f"checks: {len(checks)} for {len(per_model)} models (twice: {twice[:5]})")
        if {check for check, _ in checks} != set(done.values()):
            problems.append("the items' checks are not the scan's checks")
        per_check = session.exec(select(FindingRow.check_id, sa.func.count()).group_by(col(FindingRow.check_id))).all()
        if len(per_check) != models or len({n for _, n in per_check}) != 1:
            problems.append(
                f"findings: {len(per_check)} checks with findings, counts {sorted({n for _, n in per_check})}"
            )
        changes = session.exec(
            select(ChangeRow.model_id, ChangeRow.kind).where(col(ChangeRow.scan_id) == scan_id)
        ).all()
        new_models = Counter(model for model, kind in changes if kind == "new_model")
        if sorted(new_models) != sorted(done) or set(new_models.values()) != {1}:
            problems.append(f"new_model changes: {sum(new_models.values())} for {len(new_models)} models")
        if len(changes) != scan.changes:
            problems.append(f"{len(changes)} change rows, the scan counts {scan.changes}")
    return problems


def leftovers(factory: SessionFactory, scan_id: int) -> dict[str, int]:
    """Rows a finished scan must not leave behind, counted: items pending or running, checks of
    source ``scan`` queued or running, runners running or waiting."""
    kinds = [
        ("items", col(ScanItemRow.status), (col(ScanItemRow.scan_id) == scan_id), ("pending", "running")),
        ("checks", col(CheckRow.status), (col(CheckRow.source) == "scan"), ("queued", "running")),
        ("runners", col(ScanRunnerRow.state), (col(ScanRunnerRow.scan_id) == scan_id), LIVE),
    ]
    out: dict[str, int] = {}
    with session_scope(factory) as session:
        for name, status, where, stuck in kinds:
            query = sa.select(status, sa.func.count()).where(where, status.in_(stuck)).group_by(status)
            out |= {f"{name} {state}": n for state, n in session.execute(query).all()}
    return out


def settled(factory: SessionFactory, scan_id: int, *, timeout: float = 5.0) -> dict[str, int]:
    """:func:`leftovers` once they are gone, or as they are after ``timeout`` s: a done scan's last
    runner may still be recording its end when the scan turns done."""
    deadline = time.monotonic() + timeout
    while (left := leftovers(factory, scan_id)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def start_scan(stack: Stack, app: Any, author: str = "synthetic") -> int:
    """Start a scan of ``author`` through the API (two runners on the scan queue); its id."""
    headers = {"Authorization": f"Bearer {stack.token('submitter')}"}
    response = app.test_client().post("/api/v1/scans", json={"author": author}, headers=headers)
    assert response.status_code in (200, 201, 202), response.get_data(as_text=True)
    scan_id: int = response.get_json()["id"]
    return scan_id
