"""Registry scans and re-evaluations: resumable, idempotent, incremental.

A **registry scan** lists a target on the hub (through an injected
:class:`~compliance.services.ports.ModelLister`) and streams the listing page by page: each
page becomes :class:`ScanItemRow` rows in one commit, then the page's pending items are
processed. A model whose sha equals the one the last scan checked (``ModelRow.last_sha``) is
``skipped`` with no hub request; the others are inspected and checked (source ``scan``), and
what changed since the model's previous check is recorded (:mod:`compliance.services.changes`).

A **re-evaluation** is the same machinery over the stored models instead of a listing: each
model's latest check is evaluated again from its stored facts under the current rule sets
(source ``reevaluate``, no hub request). Models whose rules hash is unchanged and for which no
rule's effective date was crossed since their last check are skipped.

Batches: a registry scan claims fresh items a batch at a time (one transaction claims them and
creates their checks), inspects the batch's models, and stores every result with its item, its
model's baseline and its changes in one more transaction, so a model costs a fraction of a
commit and a handful of rows rather than some twenty statements of its own.

Runners and resuming: every pass over a scan is a runner with a lease
(:mod:`compliance.services.runners`). Items are claimed ``pending -> running`` by a conditional
update that records the runner, and finished ``running -> done|failed`` only while that runner
still holds them; a done item is finished, with its model's baseline and changes, in the
transaction that stores its check's result. When a runner dies its lease runs out, the items
it held go back to ``pending`` and a new runner carries on: it keeps every finished item, lists
again only if the listing had not finished (unique ``(scan, model)`` drops the models already
listed). Each item's check has the idempotency key ``scan:<scan id>:<model id>``, so a redone
item reuses its check, and its changes are replaced rather than added. Two runners on one scan
split the work and cannot duplicate rows. A runner asked to stop (a warm shutdown) finishes the
model in hand, stores what it finished and hands the rest of its batch back.

Errors: a rate limit (:class:`~compliance.errors.RateLimited`) stops the run and is re-raised,
leaving the scan resumable for the caller's retry; another hub error fails that model's item
(the next scan tries it again, since its ``last_sha`` did not move) and the scan goes on; a
permanent listing error (author not found) fails the scan.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.errors import ComplianceError, Conflict, HubError, InputError, RateLimited, UsageError
from compliance.services import audit
from compliance.services.changes import change_rows
from compliance.services.checks import (
    FINAL_STATUSES,
    INTERNAL_EXIT_CODE,
    INTERNAL_FAILURE,
    Result,
    check_values,
    evaluate_fresh,
    fail_check,
    insert_check,
    rules_digest,
    run_check,
    submit_reevaluation,
    today_utc,
    write_results,
)
from compliance.services.fingerprints import store_inspector
from compliance.services.paging import Page, page_bounds
from compliance.services.ports import Inspector, ListedModel, ModelLister
from compliance.services.runners import (
    FOLLOW,
    LEAD,
    Lease,
    RunnerStopped,
    end_runner,
    fail_scan,
    release_where,
    start_runner,
    wait_runner,
)
from compliance.services.targets import target_spec
from compliance.services.waivers import waivers_for_checks
from compliance.settings import Settings
from compliance.storage.db import SessionFactory, insert_ignore, inserted_keys, session_scope
from compliance.storage.tables import (
    ChangeRow,
    CheckDataRow,
    CheckRow,
    CheckSource,
    CheckStatus,
    ItemStatus,
    ModelRow,
    RevisionRow,
    RunnerState,
    ScanItemRow,
    ScanKind,
    ScanRow,
    ScanStatus,
    ScanTargetRow,
    ScanTrigger,
    table_of,
    utcnow,
)

PAGE_SIZE = 100
_BATCH = 50
# Fresh items claimed, inspected and stored together: fewer transactions (and, on SQLite, fewer
# turns of the one write lock) per model, at the cost of redoing at most this many models per
# runner when a worker is killed.
_STORE_BATCH = 50
# A batch on a slow hub stores what it finished at least this often, so a killed runner redoes
# at most this long of inspection (a fast hub finishes a batch of 50 well within it).
_STORE_SECONDS = 5.0
# How often one item is put back after a deadlock or serialization failure before it fails.
_MAX_ITEM_RETRIES = 3
# SQLSTATEs of transient conflicts between concurrent transactions (PostgreSQL).
_TRANSIENT_SQLSTATES = {"40P01", "40001"}


def _is_transient(exc: Exception) -> bool:
    """A deadlock or serialization failure: retrying the same work will succeed."""
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state in _TRANSIENT_SQLSTATES or "deadlock" in str(orig).lower()


FINISHED = frozenset({ScanStatus.DONE, ScanStatus.FAILED})


# --- starting -----------------------------------------------------------------------------


def start_scan(session: Session, *, target_id: int, trigger: str, requested_by: str | None = None) -> ScanRow:
    """Queue a scan of a target; the caller commits, then enqueues ``run_scan`` for the returned id.

    If a scan of this target is already queued or running, that scan is returned instead, so
    a double click or a beat firing twice does not start a second scan. Enqueue ``run_scan``
    for it all the same: if its worker died and the task was lost, this resumes it; if a
    worker is still on it, the second runner finds little to do and duplicates nothing.
    """
    trigger = _trigger(trigger)
    target = session.get(ScanTargetRow, target_id)
    if target is None:
        raise UsageError(f"no scan target {target_id}")
    if not target.enabled:
        raise Conflict(f"scan target {target_id} is disabled")
    existing = _unfinished(session, ScanKind.REGISTRY, target_id)
    if existing is not None:
        return existing
    scan = ScanRow(kind=ScanKind.REGISTRY, target_id=target_id, trigger=trigger, requested_by=requested_by)
    session.add(scan)
    session.flush()
    if trigger != ScanTrigger.BEAT and requested_by:
        audit.record(session, actor=requested_by, action="scan.start", object_type="scan", object_id=_id(scan),
                     detail={"target_id": target_id, "trigger": trigger})  # fmt: skip
    return scan


def start_reevaluation(session: Session, *, trigger: str, requested_by: str | None = None) -> ScanRow:
    """Queue a re-evaluation of every watched model (or return the one already queued or running)."""
    trigger = _trigger(trigger)
    existing = _unfinished(session, ScanKind.REEVALUATE, None)
    if existing is not None:
        return existing
    scan = ScanRow(kind=ScanKind.REEVALUATE, trigger=trigger, requested_by=requested_by)
    session.add(scan)
    session.flush()
    if trigger != ScanTrigger.BEAT and requested_by:
        audit.record(session, actor=requested_by, action="scan.start", object_type="scan", object_id=_id(scan),
                     detail={"kind": ScanKind.REEVALUATE.value, "trigger": trigger})  # fmt: skip
    return scan


def _trigger(trigger: str) -> str:
    try:
        return ScanTrigger(trigger).value
    except ValueError:
        raise UsageError(f"unknown scan trigger {trigger!r}") from None


def _unfinished(session: Session, kind: ScanKind, target_id: int | None) -> ScanRow | None:
    query = select(ScanRow).where(
        col(ScanRow.kind) == kind, col(ScanRow.status).in_([ScanStatus.QUEUED, ScanStatus.RUNNING])
    )
    if target_id is not None:
        query = query.where(col(ScanRow.target_id) == target_id)
    return session.exec(query.order_by(col(ScanRow.id))).first()


# --- running ------------------------------------------------------------------------------


def run_scan(
    session_factory: SessionFactory,
    scan_id: int,
    *,
    settings: Settings,
    lister: ModelLister | None = None,
    inspector: Inspector | None = None,
    rulebook: Any = None,
    today: date | None = None,
    page_size: int = PAGE_SIZE,
    follower: bool = False,
    task_id: str | None = None,
    worker: str | None = None,
) -> ScanRow:
    """Run (or resume) a scan as one runner; returns the scan (done unless other runners hold items).

    ``lister`` is required for a registry scan; ``inspector`` defaults to the hub, read
    without filling the local hub cache (:func:`~compliance.services.ports.sweep_inspector`),
    each model compared with the fingerprints the service stored (:mod:`compliance.services.fingerprints`);
    ``rulebook`` defaults to the sets in ``settings.rules_paths`` or the shipped ones.
    ``follower`` marks a runner that joins a lead (started beside it for the same scan): its
    ``lister`` replays what the lead stored, so it records nothing of the listing itself.
    ``task_id`` names the runner (the Celery task id; an inline run makes one up) and ``worker``
    the process it runs in. The runner holds a lease of ``settings.scan_lease_seconds`` while it
    works (:mod:`compliance.services.runners`).

    Raises :class:`~compliance.services.runners.RunnerStopped` when the runner stops before the
    end (asked to, its lease was lost, or its task id already has a runner: a second delivery),
    and :class:`~compliance.errors.HubError` for a transient hub failure (the runner is left
    ``running``; the caller retries or ends it).
    """
    import uuid

    from compliance.check import load_rulebook

    book = rulebook if rulebook is not None else load_rulebook(list(settings.rules_paths) or None)
    inspect = inspector or store_inspector(session_factory, sweep=True)
    run = _Run(session_factory, scan_id, settings=settings, inspector=inspect, book=book,
               today=today or today_utc())  # fmt: skip
    with session_scope(session_factory) as session:
        scan = session.get(ScanRow, scan_id)
        if scan is None:
            raise InputError(f"no scan {scan_id}")
        if scan.status in FINISHED:
            return scan
        run.kind = ScanKind(scan.kind)
        spec = None
        listed = scan.listed_at is not None
        if run.kind is ScanKind.REGISTRY:
            target = session.get(ScanTargetRow, scan.target_id) if scan.target_id is not None else None
            if target is None:
                fail_scan(session, scan_id, "the scan's target was deleted")
                session.refresh(scan)
                return scan
            if lister is None:
                raise UsageError("a registry scan needs a model lister")
            spec = target_spec(target)
            run.options = dict(target.options or {})
    runner_id = start_runner(
        session_factory, scan_id, task_id=task_id or f"inline-{uuid.uuid4().hex}",
        role=FOLLOW if follower else LEAD, worker=worker, lease_seconds=settings.scan_lease_seconds,
    )  # fmt: skip
    if runner_id is None:
        raise RunnerStopped(f"scan {scan_id}: this task's runner already ran or is running")
    run.runner_id = runner_id
    with session_scope(session_factory) as session:
        _begin(session, _scan(session, scan_id), run.rules_hash)
    lease = Lease(session_factory, runner_id, settings.scan_lease_seconds)
    run.lease = lease
    if lister is not None and hasattr(lister, "stop_check"):
        lister.stop_check = run.stop_point  # a lister that waits (a follower's) stops when the runner must
    try:
        with lease:
            _work(run, lister, spec, listed=listed, follower=follower, page_size=page_size)
            scan = run.finish()
    except RunnerStopped as stop:
        end_runner(session_factory, runner_id, RunnerState.LOST if lease.lost.is_set() else RunnerState.RELEASED,
                   str(stop))  # fmt: skip
        raise
    except HubError:
        # Transient (a rate limit, or the listing failed): the runner waits for the caller's
        # retry, which may extend the wait (or end the runner when it gives up).
        wait_runner(session_factory, runner_id, settings.scan_lease_seconds)
        raise
    except ComplianceError as exc:
        with session_scope(session_factory) as session:
            fail_scan(session, scan_id, exc.one_line(), failure=exc.kind)
            scan = _scan(session, scan_id)
        end_runner(session_factory, runner_id, RunnerState.ENDED, "the scan failed")
        return scan
    except Exception:
        # A bug, or Celery's soft time limit: hand the models back now rather than at the lease's end.
        end_runner(session_factory, runner_id, RunnerState.FAILED, "the runner stopped on an unexpected error")
        raise
    end_runner(session_factory, runner_id, RunnerState.ENDED)
    return scan


def _work(run: _Run, lister: ModelLister | None, spec: Any, *, listed: bool, follower: bool, page_size: int) -> None:
    run.process_pending()
    if not listed:
        if run.kind is ScanKind.REGISTRY:
            assert lister is not None and spec is not None
            for page in _pages(lister(spec), page_size):
                run.stop_point()
                if not follower:  # a follower's pages are the lead's, already stored
                    run.add_listed(page)
                run.process_pending()
        else:
            for stored in _stored_pages(run.session_factory, page_size):
                run.stop_point()
                run.add_stored(stored)
                run.process_pending()
        if not follower:
            run.mark_listed()
    run.process_pending()


def reevaluate(
    session_factory: SessionFactory,
    *,
    settings: Settings,
    rulebook: Any = None,
    trigger: str = ScanTrigger.API,
    requested_by: str | None = None,
    today: date | None = None,
) -> ScanRow:
    """Start and run a re-evaluation of stored facts under the current rule sets (no hub)."""
    with session_scope(session_factory) as session:
        scan_id = _id(start_reevaluation(session, trigger=trigger, requested_by=requested_by))
    return run_scan(session_factory, scan_id, settings=settings, rulebook=rulebook, today=today)


def _begin(session: Session, scan: ScanRow, rules_hash: str) -> None:
    now = utcnow()
    if scan.kind == ScanKind.REEVALUATE and scan.started_at is None:
        _audit_rules_change(session, rules_hash)
    scan.status = ScanStatus.RUNNING
    scan.started_at = scan.started_at or now
    scan.heartbeat_at = now
    scan.rules_hash = rules_hash
    session.add(scan)


def _audit_rules_change(session: Session, rules_hash: str) -> None:
    last = session.exec(
        select(ScanRow.rules_hash)
        .where(col(ScanRow.kind) == ScanKind.REEVALUATE, col(ScanRow.status) == ScanStatus.DONE)
        .order_by(col(ScanRow.id).desc())
    ).first()
    if last is not None and last != rules_hash:
        audit.record(session, actor=audit.SYSTEM_ACTOR, action="rules.change", object_type="rules",
                     object_id=rules_hash, detail={"before": last, "after": rules_hash})  # fmt: skip


def _pages(models: Iterable[ListedModel], size: int) -> Iterator[list[ListedModel]]:
    page: list[ListedModel] = []
    for model in models:
        page.append(model)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


def _stored_pages(session_factory: SessionFactory, size: int) -> Iterator[list[tuple[str, str, str | None]]]:
    """Watched models with a latest check, by id, one page per transaction (keyset paging)."""
    after = ""
    while True:
        with session_scope(session_factory) as session:
            rows = session.exec(
                select(ModelRow.id, ModelRow.latest_check_id, ModelRow.last_sha)
                .where(col(ModelRow.latest_check_id).is_not(None), col(ModelRow.id) > after)
                .order_by(col(ModelRow.id))
                .limit(size)
            ).all()
        if not rows:
            return
        yield [(model_id, str(check_id), sha) for model_id, check_id, sha in rows]
        after = rows[-1][0]


@dataclass(frozen=True, slots=True)
class _Item:
    """What finishing a claimed item needs from its row (read when it was claimed)."""

    id: int
    model_id: str
    sha: str | None
    last_modified: datetime | None


@dataclass(slots=True)
class _Claim:
    """A batch-claimed item with the check created for it."""

    item: _Item
    check_id: str
    inputs: dict[str, Any]
    waivers: list[Any]


# A claimed item whose check failed: the claim, the message, the exit code and the failure kind.
_Failed = tuple[_Claim, str, int, str]


@dataclass(slots=True)
class _Run:
    """One runner's pass over one scan."""

    session_factory: SessionFactory
    scan_id: int
    settings: Settings
    inspector: Inspector | None
    book: Any
    today: date
    kind: ScanKind = ScanKind.REGISTRY
    options: dict[str, Any] = field(default_factory=dict)
    rules_hash: str = ""
    _digests: dict[tuple[str, ...], tuple[str | None, list[date]]] = field(default_factory=dict)
    runner_id: int | None = None
    lease: Lease | None = None
    _retries: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rules_hash = rules_digest(rs.to_dict() for rs in self.book.rulesets)

    def stop_point(self) -> None:
        """Raise :class:`RunnerStopped` if this runner was asked to stop or lost its lease."""
        if self.lease is not None:
            self.lease.check()

    def _held(self, items: Any) -> Any:
        """The condition that an item (of table ``items``) is running and held by this runner."""
        return (items.c.status == ItemStatus.RUNNING.value) & (items.c.runner_id == self.runner_id)

    # listing

    def add_listed(self, page: Sequence[ListedModel]) -> None:
        """Store one page of a hub listing: models seen, and an item per model."""
        from compliance.targets import validate_model_id

        now = utcnow()
        listed: dict[str, ListedModel] = {}
        invalid: dict[str, str] = {}
        for model in page:
            try:
                listed.setdefault(validate_model_id(model.model_id), model)
            except UsageError as exc:
                invalid.setdefault(model.model_id[:200], exc.one_line())
        with session_scope(self.session_factory) as session:
            self._lock_scan(session)
            insert_ignore(session, ModelRow, [
                {"id": m.model_id, "author": m.author or m.model_id.split("/")[0], "gated": m.gated,
                 "private": m.private, "first_seen": now, "last_seen": now}
                for m in listed.values()
            ], conflict=["id"])  # fmt: skip
            rows = session.exec(select(ModelRow).where(col(ModelRow.id).in_(list(listed)))).all()
            known = {row.id: row for row in rows}
            items = []
            for model_id, model in listed.items():
                row = known[model_id]
                row.last_seen = now
                row.gated = model.gated if model.gated is not None else row.gated
                row.private = model.private if model.private is not None else row.private
                session.add(row)
                unchanged = model.sha is not None and row.last_sha == model.sha and row.latest_check_id is not None
                items.append(self._item(model_id, model.sha, model.last_modified, unchanged, now))
            items.extend(
                {**self._item(model_id, None, None, False, now), "status": ItemStatus.FAILED.value, "error": error}
                for model_id, error in invalid.items()
            )
            insert_ignore(session, ScanItemRow, items, conflict=["scan_id", "model_id"])
            self._recount(session)

    def add_stored(self, page: Sequence[tuple[str, str, str | None]]) -> None:
        """Store one page of watched models for a re-evaluation: pending if the law moved for them."""
        now = utcnow()
        with session_scope(self.session_factory) as session:
            checks = {
                c.id: c for c in session.exec(select(CheckRow).where(col(CheckRow.id).in_([p[1] for p in page]))).all()
            }
            documents = select(CheckDataRow.check_id, CheckDataRow.inputs)
            inputs = {
                check_id: value or {}
                for check_id, value in session.exec(documents.where(col(CheckDataRow.check_id).in_(list(checks)))).all()
            }
            items = []
            for model_id, check_id, sha in page:
                check = checks.get(check_id)
                options = (inputs.get(check_id) or {}).get("options") or {}
                unchanged = check is not None and not self._law_moved(check, options)
                items.append(self._item(model_id, sha, None, unchanged, now))
            insert_ignore(session, ScanItemRow, items, conflict=["scan_id", "model_id"])
            self._recount(session)

    def _item(
        self, model_id: str, sha: str | None, modified: datetime | None, skip: bool, now: datetime
    ) -> dict[str, Any]:
        return {
            "scan_id": self.scan_id,
            "model_id": model_id,
            "sha": sha,
            "last_modified": modified,
            "status": (ItemStatus.SKIPPED if skip else ItemStatus.PENDING).value,
            "check_id": None,
            "error": None,
            "finished_at": now if skip else None,
        }

    def _law_moved(self, check: CheckRow, options: dict[str, Any]) -> bool:
        """Whether the rules ``check`` was evaluated under differ from today's for its options."""
        selection = tuple(options.get("rules") or ())
        if selection not in self._digests:
            try:
                book = self.book.select(list(selection)) if selection else self.book
            except UsageError:
                self._digests[selection] = (None, [])  # a selected set is gone: evaluate again
            else:
                boundaries = sorted(
                    {d for r in book.rules for d in (r.spec.effective_from, r.spec.effective_until) if d}
                )
                self._digests[selection] = (rules_digest(rs.to_dict() for rs in book.rulesets), boundaries)
        digest, boundaries = self._digests[selection]
        if digest is None or digest != check.rules_hash or check.as_of is None:
            return True
        as_of = date.fromisoformat(options["as_of"]) if options.get("as_of") else self.today
        low, high = sorted((check.as_of, as_of))
        return any(low < d <= high for d in boundaries)

    def mark_listed(self) -> None:
        """Record that the listing finished, so a resumed run does not list again."""
        with session_scope(self.session_factory) as session:
            scan = _scan(session, self.scan_id)
            scan.listed_at = utcnow()
            session.add(scan)
            self._recount(session)

    # processing

    def process_pending(self) -> None:
        """Process pending items, oldest first, until none is left.

        A registry scan's items that have no check yet go in batches of :data:`_STORE_BATCH`:
        one transaction claims a batch and creates its checks, the models are inspected, and
        one transaction stores every result with its item, baseline and changes. An item that
        already has a check (a resumed run, a released batch, a re-evaluation) goes alone.
        """
        while True:
            with session_scope(self.session_factory) as session:
                rows = session.exec(
                    select(ScanItemRow.id, ScanItemRow.check_id)
                    .where(col(ScanItemRow.scan_id) == self.scan_id, col(ScanItemRow.status) == ItemStatus.PENDING)
                    .order_by(col(ScanItemRow.id))
                    .limit(_BATCH)
                ).all()
            if not rows:
                return
            batched = self.kind is ScanKind.REGISTRY
            fresh = [item_id for item_id, check_id in rows if item_id is not None and check_id is None and batched]
            for start in range(0, len(fresh), _STORE_BATCH):
                self.stop_point()
                self.process_batch(fresh[start : start + _STORE_BATCH])
            for item_id, check_id in rows:
                if item_id is not None and not (check_id is None and batched):
                    self.stop_point()
                    self.process_item(item_id)

    def process_batch(self, item_ids: list[int]) -> None:
        """Claim, inspect and store several fresh items (see :meth:`process_pending`).

        Results are stored when the batch ends, or as soon as :data:`_STORE_SECONDS` passed
        since the last store (a slow hub), so a killed runner redoes at most a batch, and at
        most that long of inspection.
        """
        claims = self._claim_batch(item_ids)
        done: list[tuple[_Claim, Result]] = []
        failed: list[_Failed] = []
        ended: set[int] = set()
        stored_at = time.monotonic()
        try:
            for claim in claims:
                try:
                    result = evaluate_fresh(
                        claim.item.model_id,
                        claim.item.sha,
                        claim.inputs,
                        claim.waivers,
                        settings=self.settings,
                        inspector=self.inspector,
                        rulebook=self.book,
                        today=self.today,
                    )
                except RateLimited:
                    raise
                except ComplianceError as exc:  # a hub error, a missing model, a malformed file
                    failed.append((claim, exc.one_line(), int(exc.exit_code), exc.kind))
                except Exception as exc:  # one bad model must not stop the scan
                    message = f"internal error: {type(exc).__name__}: {exc}"
                    failed.append((claim, message, INTERNAL_EXIT_CODE, INTERNAL_FAILURE))
                else:
                    done.append((claim, result))
                ended.add(id(claim))
                if time.monotonic() - stored_at >= _STORE_SECONDS:
                    self._store_batch(done, failed)
                    done, failed, stored_at = [], [], time.monotonic()
                self.stop_point()
        except (RateLimited, RunnerStopped):
            # The models finished are stored (unless the lease was lost: then they are no
            # longer this runner's), the rest of the batch goes back to the queue.
            self._store_batch(done, failed)
            self._hand_back([c.item.id for c in claims if id(c) not in ended])
            raise
        self._store_batch(done, failed)

    def _claim_batch(self, item_ids: list[int]) -> list[_Claim]:
        """Claim pending items without a check, create their checks (running), read their waivers."""
        items = table_of(ScanItemRow)
        now = utcnow()
        inputs = {"options": self.options, "uploaded": None}
        with session_scope(self.session_factory) as session:
            connection = session.connection()
            claimed = connection.execute(
                sa.update(items)
                .where(
                    items.c.id.in_(item_ids),
                    items.c.status == ItemStatus.PENDING.value,
                    items.c.check_id.is_(None),
                )
                .values(status=ItemStatus.RUNNING.value, runner_id=self.runner_id)
                .returning(items.c.id, items.c.model_id, items.c.sha, items.c.last_modified)
            ).all()
            if not claimed:
                return []
            checks = {
                model_id: check_values(
                    model_ref=model_id,
                    revision=sha,
                    source=CheckSource.SCAN.value,
                    requested_by=f"scan:{self.scan_id}",
                    queue=None,
                    idempotency_key=self._check_key(model_id),
                    started_at=now,
                )
                for _, model_id, sha, _ in claimed
            }
            inserted = set(inserted_keys(session, CheckRow, list(checks.values()), conflict=["idempotency_key"]))
            if inserted:
                connection.execute(
                    sa.insert(table_of(CheckDataRow)), [{"check_id": cid, "inputs": inputs} for cid in inserted]
                )
            use_waivers = bool(self.options.get("use_waivers", True))
            models = [model_id for _, model_id, _, _ in claimed]
            waivers = waivers_for_checks(session, models, today=self.today) if use_waivers else {}
            out: list[_Claim] = []
            links: list[dict[str, Any]] = []
            for item_id, model_id, sha, modified in claimed:
                check_id = checks[model_id]["id"]
                if check_id not in inserted:
                    # An earlier run left a check under this key: the item goes the one-by-one way.
                    key = self._check_key(model_id)
                    existing = session.exec(select(CheckRow.id).where(col(CheckRow.idempotency_key) == key)).first()
                    links.append({"b_id": item_id, "b_check": existing, "b_status": ItemStatus.PENDING.value,
                                  "b_runner": None})  # fmt: skip
                    continue
                links.append({"b_id": item_id, "b_check": check_id, "b_status": ItemStatus.RUNNING.value,
                              "b_runner": self.runner_id})  # fmt: skip
                item = _Item(item_id, model_id, sha, modified)
                out.append(_Claim(item, check_id, inputs, waivers.get(model_id, [])))
            connection.execute(
                sa.update(items)
                .where(items.c.id == sa.bindparam("b_id"))
                .values(
                    check_id=sa.bindparam("b_check"),
                    status=sa.bindparam("b_status"),
                    runner_id=sa.bindparam("b_runner"),
                ),
                links,
            )
            return out

    def _hand_back(self, item_ids: list[int]) -> None:
        """Put items this runner holds back in the queue (their checks are kept, queued, and reused one by one)."""
        if not item_ids:
            return
        held = (
            col(ScanItemRow.id).in_(item_ids)
            & (col(ScanItemRow.status) == ItemStatus.RUNNING)
            & (col(ScanItemRow.runner_id) == self.runner_id)
        )
        with session_scope(self.session_factory) as session:
            release_where(session, held)

    def _store_batch(self, done: list[tuple[_Claim, Result]], failed: list[_Failed]) -> None:
        """Store a batch's results; on a database error, put the batch back to be redone one by one."""
        if not done and not failed:
            return
        try:
            with session_scope(self.session_factory) as session:
                self._write_batch(session, done, failed)
        except sa.exc.DBAPIError:
            # A deadlock or a lost connection: nothing of the batch was stored. Its items keep
            # their checks, so the one-by-one path (with its bounded retries) takes them.
            self._hand_back([c.item.id for c, _ in done] + [f[0].item.id for f in failed])

    def _write_batch(self, session: Session, done: list[tuple[_Claim, Result]], failed: list[_Failed]) -> None:
        now = utcnow()
        self._lock_scan(session)
        items = table_of(ScanItemRow)
        # Only models this runner still holds are written: a runner whose lease ran out lost its
        # models to another runner, which stores them itself. (The no-op update takes the rows'
        # locks, so the check below holds until the commit.)
        claimed = [c.item.id for c, _ in done] + [f[0].item.id for f in failed]
        owned = set(
            session.connection()
            .execute(sa.update(items).where(items.c.id.in_(claimed), self._held(items)).values(finished_at=None)
                     .returning(items.c.id))
            .scalars()
        )  # fmt: skip
        done = [(c, r) for c, r in done if c.item.id in owned]
        failed = [f for f in failed if f[0].item.id in owned]
        if not done and not failed:
            return
        ids = [c.check_id for c, _ in done] + [f[0].check_id for f in failed]
        rows = {r.id: r for r in session.exec(select(CheckRow).where(col(CheckRow.id).in_(ids)).with_for_update())}
        # A check that is already final (stored by an earlier attempt) keeps its result; its item follows it.
        stored = [(rows[c.check_id], c, r) for c, r in done if rows[c.check_id].status not in FINAL_STATUSES]
        settled = [(rows[c.check_id], c) for c, _ in done if rows[c.check_id].status in FINAL_STATUSES]
        verdicts = write_results(session, [(row, result) for row, _, result in stored])
        errors = 0
        for claim, message, code, kind in failed:
            row = rows[claim.check_id]
            if row.status in FINAL_STATUSES:
                settled.append((row, claim))
                continue
            row.status, row.error, row.exit_code, row.finished_at = CheckStatus.FAILED, message[:2000], code, now
            row.failure = kind
            session.add(row)
            errors += self._end_item(session, claim.item.id, ItemStatus.FAILED, message, now)
        moved = set(
            session.connection()
            .execute(
                sa.update(items)
                .where(items.c.id.in_([c.item.id for _, c, _ in stored]), self._held(items))
                .values(status=ItemStatus.DONE.value, error=None, finished_at=now, runner_id=None)
                .returning(items.c.id)
            )
            .scalars()
        ) if stored else set()  # fmt: skip
        finished: list[tuple[CheckRow, _Item, dict[str, str] | None]] = [
            (row, claim.item, v) for (row, claim, _), v in zip(stored, verdicts, strict=True) if claim.item.id in moved
        ]
        for row, claim in settled:
            if row.status == CheckStatus.DONE:
                if self._end_item(session, claim.item.id, ItemStatus.DONE, None, now):
                    finished.append((row, claim.item, None))
            else:
                errors += self._end_item(session, claim.item.id, ItemStatus.FAILED, row.error or "check failed", now)
        # Fresh items: no change of theirs can be stored yet (an item's changes are written when
        # it finishes, and these had no check until this batch), so there is nothing to replace.
        changes = self._advance_models(session, finished, replace=False)
        session.exec(
            sa.update(ScanRow)
            .where(col(ScanRow.id) == self.scan_id)
            .values(
                heartbeat_at=now,
                done=ScanRow.done + len(finished),
                changes=ScanRow.changes + changes,
                errors=ScanRow.errors + errors,
            )
            .execution_options(synchronize_session=False)
        )

    def _end_item(self, session: Session, item_id: int, status: ItemStatus, error: str | None, now: datetime) -> int:
        """Finish one item this runner holds as ``status``; returns 1 if it did, else 0."""
        items = table_of(ScanItemRow)
        moved = session.connection().execute(
            sa.update(items)
            .where(items.c.id == item_id, self._held(items))
            .values(status=status.value, error=error[:500] if error else None, finished_at=now, runner_id=None)
        )
        return int(moved.rowcount == 1)

    def _advance_models(
        self, session: Session, finished: list[tuple[CheckRow, _Item, dict[str, str] | None]], *, replace: bool = True
    ) -> int:
        """Record each model's changes against its previous check, then make the new check its
        baseline; one statement per table for the whole list. Returns how many changes."""
        if not finished:
            return 0
        self._lock_scan(session)
        model_ids = [item.model_id for _, item, _ in finished]
        models = {
            m.id: m for m in session.exec(select(ModelRow).where(col(ModelRow.id).in_(model_ids)).with_for_update())
        }
        previous_ids = [m.latest_check_id for m in models.values() if m.latest_check_id]
        previous = (
            {c.id: c for c in session.exec(select(CheckRow).where(col(CheckRow.id).in_(previous_ids)))}
            if previous_ids
            else {}
        )
        changes: list[dict[str, Any]] = []
        revisions: list[dict[str, Any]] = []
        for check, item, verdicts in finished:
            model = models.get(item.model_id) or ModelRow(id=item.model_id, author=item.model_id.split("/")[0])
            sha = item.sha or check.sha
            changes += change_rows(
                session,
                scan_id=self.scan_id,
                model_id=item.model_id,
                previous=previous.get(model.latest_check_id) if model.latest_check_id else None,
                current=check,
                previous_sha=model.last_sha,
                current_sha=sha,
                current_verdicts=verdicts,
            )
            model.latest_check_id = check.id
            model.last_sha = sha
            model.last_modified = item.last_modified or model.last_modified
            session.add(model)
            if sha:
                revisions.append(
                    {"model_id": item.model_id, "sha": sha, "last_modified": item.last_modified, "seen_at": utcnow()}
                )
        if replace:  # a redone item: what an earlier attempt recorded is replaced, not added to
            session.exec(
                sa.delete(ChangeRow).where(
                    col(ChangeRow.scan_id) == self.scan_id, col(ChangeRow.model_id).in_(model_ids)
                )
            )
        if changes:
            session.exec(sa.insert(ChangeRow), params=changes)
        session.flush()  # the models exist before their revisions refer to them
        insert_ignore(session, RevisionRow, revisions, conflict=["model_id", "sha"])
        return len(changes)

    def process_item(self, item_id: int) -> None:
        """Claim one item, run its check, record its changes, finish it."""
        claimed = self._claim(item_id)
        if claimed is None:
            return
        check_id, item = claimed
        stored: list[bool] = []

        def finish_with_result(session: Session, check: CheckRow, verdicts: dict[str, str]) -> None:
            # The item, the model's baseline and the changes commit with the check's result.
            self._finish_done(session, item, check, verdicts)
            stored.append(True)

        try:
            run_check(
                self.session_factory,
                check_id,
                settings=self.settings,
                inspector=self.inspector,
                rulebook=self.book,
                today=self.today,
                on_store=finish_with_result,
            )
            if stored:
                return
        except RateLimited:
            self._hand_back([item_id])
            raise
        except HubError as exc:
            fail_check(self.session_factory, check_id, exc.one_line(), exit_code=int(exc.exit_code), failure=exc.kind)
        except sa.exc.DBAPIError as exc:
            # Two runners writing to PostgreSQL can deadlock; the database aborts one of them.
            # That is transient: put the item back (bounded) and let the loop pick it up again.
            if _is_transient(exc) and self._retries.get(item_id, 0) < _MAX_ITEM_RETRIES:
                self._retries[item_id] = self._retries.get(item_id, 0) + 1
                self._hand_back([item_id])
                return
            self._finish_item(item_id, check_id, error=f"internal error: {type(exc).__name__}: {exc}"[:500])
            return
        except Exception as exc:
            # One bad model must not stop the scan: the item is finished as failed below, with
            # the reason, since the check itself may not have been able to record it.
            self._finish_item(item_id, check_id, error=f"internal error: {type(exc).__name__}: {exc}"[:500])
            return
        self._finish_item(item_id, check_id)

    def _claim(self, item_id: int) -> tuple[str, _Item] | None:
        with session_scope(self.session_factory) as session:
            claimed = session.exec(
                sa.update(ScanItemRow)
                .where(col(ScanItemRow.id) == item_id, col(ScanItemRow.status) == ItemStatus.PENDING)
                .values(status=ItemStatus.RUNNING, runner_id=self.runner_id)
            ).rowcount
            if claimed != 1:
                return None
            item = session.get(ScanItemRow, item_id)
            assert item is not None
            if item.check_id is None:
                check = self._new_check(session, item)
                if check is None:
                    item.status = ItemStatus.FAILED
                    item.error = "the model has no stored check to evaluate again"
                    item.finished_at = utcnow()
                    item.runner_id = None
                    session.add(item)
                    return None
                item.check_id = check.id
                session.add(item)
            # No heartbeat here: finishing the previous item moved it a moment ago.
            assert item.check_id is not None
            return item.check_id, _Item(item_id, item.model_id, item.sha, item.last_modified)

    def _new_check(self, session: Session, item: ScanItemRow) -> CheckRow | None:
        if self.kind is ScanKind.REEVALUATE:
            model = session.get(ModelRow, item.model_id)
            previous = session.get(CheckRow, model.latest_check_id) if model and model.latest_check_id else None
            if previous is None:
                return None
            return submit_reevaluation(
                session,
                previous=previous,
                requested_by=f"reevaluation:{self.scan_id}",
                idempotency_key=f"reevaluate:{self.scan_id}:{item.model_id}",
            )
        return insert_check(
            session,
            model_ref=item.model_id,
            revision=item.sha,
            source=CheckSource.SCAN.value,
            requested_by=f"scan:{self.scan_id}",
            queue=None,
            idempotency_key=self._check_key(item.model_id),
            inputs={"options": self.options, "uploaded": None},
        )

    def _check_key(self, model_id: str) -> str:
        """The idempotency key of this scan's check of ``model_id`` (one check per model and scan)."""
        return f"scan:{self.scan_id}:{model_id}"

    def _finish_done(self, session: Session, item: _Item, check: CheckRow, verdicts: dict[str, str]) -> None:
        """Finish a claimed item whose check has just been stored as done, in the same transaction."""
        if not self._end_item(session, item.id, ItemStatus.DONE, None, utcnow()):
            return  # no longer this runner's: another runner finishes it
        changes = self._advance_models(session, [(check, item, verdicts)])
        session.exec(
            sa.update(ScanRow)
            .where(col(ScanRow.id) == self.scan_id)
            .values(heartbeat_at=utcnow(), done=ScanRow.done + 1, changes=ScanRow.changes + changes)
        )

    def _finish_item(self, item_id: int, check_id: str, *, error: str | None = None) -> None:
        with session_scope(self.session_factory) as session:
            check = session.get(CheckRow, check_id)
            assert check is not None
            done = check.status == CheckStatus.DONE
            status = ItemStatus.DONE if done else ItemStatus.FAILED
            why = None if done else (check.error or error or f"check ended {check.status}")
            if not self._end_item(session, item_id, status, why, utcnow()):
                return  # no longer this runner's: another runner finishes it
            row = session.get(ScanItemRow, item_id)
            assert row is not None
            item = _Item(item_id, row.model_id, row.sha, row.last_modified)
            changes = self._advance_models(session, [(check, item, None)]) if done else 0
            counters: dict[str, Any] = (
                {"done": ScanRow.done + 1, "changes": ScanRow.changes + changes}
                if done
                else {"errors": ScanRow.errors + 1}
            )
            session.exec(
                sa.update(ScanRow).where(col(ScanRow.id) == self.scan_id).values(heartbeat_at=utcnow(), **counters)
            )

    def _lock_scan(self, session: Session) -> None:
        """Take the scan's row lock (and move its heartbeat) before any model row.

        Every transaction that writes both models and the scan takes them in this order, so
        two runners of one scan on PostgreSQL queue up instead of deadlocking (the listing
        updates a page of models while the other runner stores results for some of them).
        """
        session.exec(
            sa.update(ScanRow)
            .where(col(ScanRow.id) == self.scan_id)
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    # finishing

    def _recount(self, session: Session) -> dict[str, int]:
        counts = dict(
            session.exec(
                select(ScanItemRow.status, sa.func.count())
                .where(col(ScanItemRow.scan_id) == self.scan_id)
                .group_by(col(ScanItemRow.status))
            ).all()
        )
        scan = _scan(session, self.scan_id)
        scan.total = sum(counts.values())
        scan.done = counts.get(ItemStatus.DONE, 0)
        scan.skipped = counts.get(ItemStatus.SKIPPED, 0)
        scan.errors = counts.get(ItemStatus.FAILED, 0)
        scan.heartbeat_at = utcnow()
        session.add(scan)
        return counts

    def finish(self) -> ScanRow:
        """Recount from the items and changes; mark the scan done unless another runner still holds items."""
        with session_scope(self.session_factory) as session:
            counts = self._recount(session)
            scan = _scan(session, self.scan_id)
            scan.changes = int(
                session.exec(
                    select(sa.func.count()).select_from(ChangeRow).where(col(ChangeRow.scan_id) == self.scan_id)
                ).one()
            )
            if not counts.get(ItemStatus.PENDING) and not counts.get(ItemStatus.RUNNING):
                scan.status = ScanStatus.DONE
                scan.finished_at = utcnow()
            session.add(scan)
            return scan


# --- reading ------------------------------------------------------------------------------


def get_scan(session: Session, scan_id: int) -> ScanRow | None:
    """One scan by id."""
    return session.get(ScanRow, scan_id)


def list_scans(
    session: Session, *, target_id: int | None = None, kind: str | None = None, page: int = 1, per_page: int = 50
) -> Page[ScanRow]:
    """Scans, newest first."""
    offset, limit = page_bounds(page, per_page)
    conditions: list[Any] = []
    if target_id is not None:
        conditions.append(col(ScanRow.target_id) == target_id)
    if kind is not None:
        conditions.append(col(ScanRow.kind) == kind)
    total = session.exec(select(sa.func.count()).select_from(ScanRow).where(*conditions)).one()
    rows = session.exec(
        select(ScanRow).where(*conditions).order_by(col(ScanRow.id).desc()).offset(offset).limit(limit)
    ).all()
    return Page(list(rows), int(total), page, per_page)


def list_items(
    session: Session, scan_id: int, *, status: str | None = None, page: int = 1, per_page: int = 100
) -> Page[ScanItemRow]:
    """A scan's items in listing order."""
    offset, limit = page_bounds(page, per_page)
    conditions: list[Any] = [col(ScanItemRow.scan_id) == scan_id]
    if status is not None:
        conditions.append(col(ScanItemRow.status) == status)
    total = session.exec(select(sa.func.count()).select_from(ScanItemRow).where(*conditions)).one()
    rows = session.exec(
        select(ScanItemRow).where(*conditions).order_by(col(ScanItemRow.id)).offset(offset).limit(limit)
    ).all()
    return Page(list(rows), int(total), page, per_page)


def list_changes(
    session: Session,
    *,
    scan_id: int | None = None,
    model_id: str | None = None,
    kind: str | None = None,
    cause: str | None = None,
    page: int = 1,
    per_page: int = 100,
) -> Page[ChangeRow]:
    """Changes, newest first."""
    offset, limit = page_bounds(page, per_page)
    conditions: list[Any] = []
    for column, value in (
        (ChangeRow.scan_id, scan_id),
        (ChangeRow.model_id, model_id),
        (ChangeRow.kind, kind),
        (ChangeRow.cause, cause),
    ):
        if value is not None:
            conditions.append(col(column) == value)
    total = session.exec(select(sa.func.count()).select_from(ChangeRow).where(*conditions)).one()
    rows = session.exec(
        select(ChangeRow).where(*conditions).order_by(col(ChangeRow.id).desc()).offset(offset).limit(limit)
    ).all()
    return Page(list(rows), int(total), page, per_page)


def scan_progress(scan: ScanRow, *, now: datetime | None = None) -> dict[str, Any]:
    """A scan's progress as JSON: counts, checks per second, and an estimate of the time left.

    ``rate_per_second`` counts inspected models (done or failed) since the scan started;
    skipped models cost nothing and are left out of the rate.
    """
    now = now or utcnow()
    end = scan.finished_at or now
    elapsed = (end - scan.started_at).total_seconds() if scan.started_at else 0.0
    processed = scan.done + scan.errors
    remaining = max(scan.total - processed - scan.skipped, 0)
    rate = processed / elapsed if elapsed > 0 else 0.0
    return {
        "id": scan.id,
        "kind": scan.kind,
        "target_id": scan.target_id,
        "status": scan.status,
        "total": scan.total,
        "done": scan.done,
        "skipped": scan.skipped,
        "errors": scan.errors,
        "changes": scan.changes,
        "remaining": remaining,
        "listing_finished": scan.listed_at is not None,
        "rate_per_second": round(rate, 3),
        "eta_seconds": round(remaining / rate, 1) if rate > 0 and scan.status == ScanStatus.RUNNING else None,
        "started_at": scan.started_at.isoformat() if scan.started_at else None,
        "finished_at": scan.finished_at.isoformat() if scan.finished_at else None,
        "error": scan.error,
    }


def _scan(session: Session, scan_id: int) -> ScanRow:
    scan = session.get(ScanRow, scan_id)
    if scan is None:
        raise InputError(f"no scan {scan_id}")
    return scan


def _id(row: ScanRow) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id
