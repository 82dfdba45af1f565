"""Registry scans and re-evaluations: incremental, resumable, idempotent, with change detection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.errors import HubError, ModelNotFound, RateLimited
from compliance.services import audit, checks, scans, targets
from compliance.services.checks import FindingFilters
from compliance.services.ports import ListedModel, StaticLister, TargetSpec
from compliance.settings import Settings
from compliance.storage.db import SessionFactory, session_scope
from compliance.storage.tables import (
    ChangeRow,
    CheckRow,
    FindingRow,
    ModelRow,
    RevisionRow,
    ScanItemRow,
    ScanRow,
    ScanRunnerRow,
    utcnow,
)
from tests.compliance.services.fakes import Crash, FakeInspector

TODAY = date(2026, 11, 21)


def sha(n: int, version: int = 0) -> str:
    return f"{n:08x}{version:032x}"


def catalogue(count: int, author: str = "acme") -> list[ListedModel]:
    modified = datetime(2026, 1, 1, tzinfo=UTC)
    return [ListedModel(f"{author}/model-{n:04d}", sha(n), modified) for n in range(count)]


def new_target(session_factory: SessionFactory, value: str = "acme", **kw: Any) -> int:
    with session_scope(session_factory) as session:
        target = targets.create_target(session, kind=kw.pop("kind", "author"), value=value, actor="alice", **kw)
        assert target.id is not None
        return target.id


def scan_once(
    session_factory: SessionFactory, target_id: int, lister: Any, inspector: FakeInspector, book: Any, **kw: Any
) -> ScanRow:
    with session_scope(session_factory) as session:
        scan_id = scans.start_scan(session, target_id=target_id, trigger="api", requested_by="alice").id
    assert scan_id is not None
    kw.setdefault("today", TODAY)
    kw.setdefault("settings", Settings(hub_offline=True))
    return scans.run_scan(session_factory, scan_id, lister=lister, inspector=inspector, rulebook=book, **kw)


def changes(session: Session, scan_id: int | None) -> list[tuple[str, str, str, str | None]]:
    rows = session.exec(select(ChangeRow).where(ChangeRow.scan_id == scan_id).order_by(col(ChangeRow.id))).all()
    return [(c.model_id, c.kind, c.cause, c.rule_id) for c in rows]


def _id(scan: ScanRow) -> int:
    assert scan.id is not None
    return scan.id


def lease_runs_out(session_factory: SessionFactory) -> None:
    """What time does to a killed runner: its lease is no longer renewed, and runs out."""
    with session_scope(session_factory) as session:
        session.execute(
            sa.update(ScanRunnerRow)
            .where(col(ScanRunnerRow.state) == "running")
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )


def count(session: Session, table: Any) -> int:
    return int(session.exec(select(sa.func.count()).select_from(table)).one())


# --- incremental scans --------------------------------------------------------------------


def test_a_first_scan_checks_every_model_and_records_them_as_new(
    session_factory: SessionFactory, inspector: FakeInspector, book: Any
) -> None:
    models = catalogue(20)
    inspector.parameters[models[3].model_id] = 7e9
    target_id = new_target(session_factory)
    scan = scan_once(
        session_factory, target_id, StaticLister(models + catalogue(5, "other")), inspector, book, page_size=7
    )
    assert (scan.status, scan.total, scan.done, scan.skipped, scan.errors) == ("done", 20, 20, 0, 0)
    assert scan.changes == 21 and scan.listed_at is not None and scan.finished_at is not None
    assert sorted(m for m, _ in inspector.calls) == [m.model_id for m in models]
    assert all(revision == sha(int(m[-4:])) for m, revision in inspector.calls)  # pinned to the listed commit
    with session_scope(session_factory) as session:
        found = changes(session, scan.id)
        assert [c for c in found if c[1] == "new_finding"] == [
            ("acme/model-0003", "new_finding", "model", "test.params.large")
        ]
        assert sum(1 for c in found if c[1] == "new_model") == 20
        model = session.get(ModelRow, "acme/model-0003")
        assert model is not None
        assert (model.last_sha, model.author) == (sha(3), "acme")
        latest = session.get(CheckRow, model.latest_check_id)
        assert latest is not None and (latest.source, latest.sha, latest.outcome) == ("scan", sha(3), "fail")
        assert count(session, RevisionRow) == 20
        current = checks.list_findings(session, filters=FindingFilters(current=True, verdicts=("triggered",)))
        assert [f.model_ref for f in current.items] == ["acme/model-0003"]


def test_a_rescan_inspects_only_the_models_whose_sha_changed(
    session_factory: SessionFactory, inspector: FakeInspector, book: Any
) -> None:
    models = catalogue(200)
    target_id = new_target(session_factory)
    scan_once(session_factory, target_id, StaticLister(models), inspector, book)
    assert len(inspector.calls) == 200
    changed = {5: 7e9, 150: 3e8}  # 1% of the models get a new commit; one now triggers the rule
    for n, parameters in changed.items():
        models[n] = ListedModel(models[n].model_id, sha(n, 1), models[n].last_modified)
        inspector.parameters[models[n].model_id] = parameters
    inspector.calls.clear()
    second = scan_once(session_factory, target_id, StaticLister(models), inspector, book)
    assert sorted(inspector.calls) == [("acme/model-0005", sha(5, 1)), ("acme/model-0150", sha(150, 1))]
    assert (second.total, second.done, second.skipped, second.errors) == (200, 2, 198, 0)
    with session_scope(session_factory) as session:
        assert changes(session, second.id) == [
            ("acme/model-0005", "new_revision", "model", None),
            ("acme/model-0005", "new_finding", "model", "test.params.large"),
            ("acme/model-0150", "new_revision", "model", None),
        ]
        revision = session.exec(
            select(ChangeRow).where(ChangeRow.kind == "new_revision", ChangeRow.model_id == "acme/model-0005")
        ).first()
        assert revision is not None and (revision.before, revision.after) == (sha(5), sha(5, 1))
        assert session.get(ModelRow, "acme/model-0005").last_sha == sha(5, 1)  # type: ignore[union-attr]
        assert count(session, CheckRow) == 202


def test_the_listing_is_streamed_page_by_page(
    session_factory: SessionFactory, inspector: FakeInspector, book: Any
) -> None:
    consumed: list[int] = []

    def lister(target: TargetSpec) -> Iterator[ListedModel]:
        for n, model in enumerate(catalogue(200)):
            consumed.append(n)
            yield model

    seen_at_first_inspection: list[int] = []
    real_call = inspector.__call__

    def watching(model_id: str, **kw: Any) -> Any:
        if not seen_at_first_inspection:
            seen_at_first_inspection.append(len(consumed))
        return real_call(model_id, **kw)

    target_id = new_target(session_factory)
    scan = scan_once(session_factory, target_id, lister, watching, book, page_size=25)  # type: ignore[arg-type]
    assert scan.done == 200
    assert seen_at_first_inspection[0] <= 26  # one page (and the item that closed it), not the whole listing


# --- resuming -----------------------------------------------------------------------------


def test_a_scan_killed_mid_way_resumes_without_redoing_or_duplicating(
    session_factory: SessionFactory, book: Any
) -> None:
    models = catalogue(30)
    target_id = new_target(session_factory)
    crashing = FakeInspector(crash_after=12, parameters={m.model_id: 7e9 for m in models[::3]})
    with pytest.raises(Crash):
        scan_once(session_factory, target_id, StaticLister(models), crashing, book, page_size=10)
    with session_scope(session_factory) as session:
        scan = session.exec(select(ScanRow)).one()
        assert scan.status == "running"
        statuses = [i.status for i in session.exec(select(ScanItemRow).order_by(col(ScanItemRow.id))).all()]
        # Items are claimed and stored in batches (here one batch per page of 10): the first
        # page is stored; the second was claimed, with its checks, when the worker died.
        assert statuses == ["done"] * 10 + ["running"] * 10
        assert count(session, CheckRow) == 20
    lease_runs_out(session_factory)
    resumed = FakeInspector(parameters=crashing.parameters)
    scan = scans.run_scan(
        session_factory, _id(scan), settings=Settings(), lister=StaticLister(models), inspector=resumed, rulebook=book,
        today=TODAY, page_size=10,
    )  # fmt: skip
    assert (scan.status, scan.total, scan.done, scan.errors) == ("done", 30, 30, 0)
    # The unfinished batch is redone (its checks reused), nothing stored before the kill is.
    assert [m for m, _ in resumed.calls] == [m.model_id for m in models[10:]]
    with session_scope(session_factory) as session:
        assert count(session, CheckRow) == 30
        assert count(session, FindingRow) == 60
        assert count(session, ScanItemRow) == 30
        found = changes(session, scan.id)
        assert sum(1 for c in found if c[1] == "new_model") == 30
        assert sum(1 for c in found if c[1] == "new_finding") == 10
        assert scan.changes == len(found) == 40
        redone = session.exec(select(CheckRow).where(CheckRow.model_ref == "acme/model-0011")).one()
        assert (redone.status, redone.attempts) == ("done", 2)


def test_a_follower_leaves_the_items_another_runner_holds(session_factory: SessionFactory, book: Any) -> None:
    models = catalogue(30)
    target_id = new_target(session_factory)
    # The lead stored two pages and holds the second one's items (claimed, running).
    with pytest.raises(Crash):
        scan_once(session_factory, target_id, StaticLister(models), FakeInspector(crash_after=12), book, page_size=10)
    with session_scope(session_factory) as session:
        scan_id = _id(session.exec(select(ScanRow)).one())
    follower = FakeInspector()
    replay = StaticLister(models[:20])  # what the lead stored, as the follower's lister replays it
    scan = scans.run_scan(
        session_factory, scan_id, settings=Settings(), lister=replay, inspector=follower, rulebook=book,
        today=TODAY, page_size=10, follower=True,
    )  # fmt: skip
    assert follower.calls == []  # nothing was pending; it did not take the lead's items
    assert (scan.status, scan.done, scan.total, scan.attempts) == ("running", 10, 20, 0)
    lease_runs_out(session_factory)  # the lead was killed: its lease runs out, the next runner takes over
    resumed = FakeInspector()
    scan = scans.run_scan(session_factory, scan_id, settings=Settings(), lister=StaticLister(models),
                          inspector=resumed, rulebook=book, today=TODAY, page_size=10)  # fmt: skip
    assert [m for m, _ in resumed.calls] == [m.model_id for m in models[10:]]
    assert (scan.status, scan.done, scan.attempts) == ("done", 30, 1)


def test_a_scan_killed_while_listing_lists_again_without_duplicates(
    session_factory: SessionFactory, inspector: FakeInspector, book: Any
) -> None:
    models = catalogue(25)

    def dying_lister(target: TargetSpec) -> Iterator[ListedModel]:
        yield from models[:15]
        raise Crash("killed while listing")

    target_id = new_target(session_factory)
    with pytest.raises(Crash):
        scan_once(session_factory, target_id, dying_lister, inspector, book, page_size=10)
    assert len(inspector.calls) == 10  # the first page was stored and processed
    with session_scope(session_factory) as session:
        scan_id = _id(session.exec(select(ScanRow)).one())
    scan = scans.run_scan(
        session_factory,
        scan_id,
        settings=Settings(),
        lister=StaticLister(models),
        inspector=inspector,
        rulebook=book,
        today=TODAY,
        page_size=10,
    )
    assert (scan.status, scan.total, scan.done) == ("done", 25, 25)
    assert len(inspector.calls) == 25
    with session_scope(session_factory) as session:
        assert count(session, ScanItemRow) == 25 and count(session, CheckRow) == 25


def test_a_rate_limit_stops_the_scan_resumably(session_factory: SessionFactory, book: Any) -> None:
    models = catalogue(5)
    limited = FakeInspector(fail={models[2].model_id: RateLimited("429", retry_after=60)})
    target_id = new_target(session_factory)
    with pytest.raises(RateLimited):
        scan_once(session_factory, target_id, StaticLister(models), limited, book)
    with session_scope(session_factory) as session:
        scan = session.exec(select(ScanRow)).one()
        assert scan.status == "running"
        items = session.exec(select(ScanItemRow).order_by(col(ScanItemRow.id))).all()
        # The batch's models inspected before the limit are stored; the rest go back, checks kept.
        assert [i.status for i in items] == ["done", "done", "pending", "pending", "pending"]
        assert all(i.check_id is not None for i in items)
        assert {session.get(CheckRow, i.check_id).status for i in items[2:]} == {"queued"}  # type: ignore[union-attr]
    limited.fail.clear()
    lister = StaticLister(models)
    done = scans.run_scan(
        session_factory, _id(scan), settings=Settings(), lister=lister, inspector=limited, rulebook=book, today=TODAY
    )
    assert (done.status, done.done) == ("done", 5)
    with session_scope(session_factory) as session:
        assert count(session, CheckRow) == 5


def test_running_a_finished_scan_again_does_nothing(
    session_factory: SessionFactory, inspector: FakeInspector, book: Any
) -> None:
    target_id = new_target(session_factory)
    scan = scan_once(session_factory, target_id, StaticLister(catalogue(3)), inspector, book)
    again = scans.run_scan(session_factory, _id(scan), settings=Settings(), lister=StaticLister(catalogue(3)),
                           inspector=inspector, rulebook=book)  # fmt: skip
    assert again.status == "done" and len(inspector.calls) == 3


# --- errors -------------------------------------------------------------------------------


def test_a_hub_error_fails_only_that_model_and_it_is_retried_next_time(
    session_factory: SessionFactory, book: Any
) -> None:
    models = catalogue(4)
    flaky = FakeInspector(fail={models[1].model_id: HubError("hub answered 502")})
    target_id = new_target(session_factory)
    scan = scan_once(session_factory, target_id, StaticLister(models), flaky, book)
    assert (scan.status, scan.done, scan.errors) == ("done", 3, 1)
    with session_scope(session_factory) as session:
        item = session.exec(select(ScanItemRow).where(ScanItemRow.model_id == models[1].model_id)).one()
        assert (item.status, item.error) == ("failed", "hub answered 502")
        assert session.get(CheckRow, item.check_id).status == "failed"  # type: ignore[union-attr]
        assert session.get(ModelRow, models[1].model_id).last_sha is None  # type: ignore[union-attr]
    flaky.fail.clear()
    flaky.calls.clear()
    second = scan_once(session_factory, target_id, StaticLister(models), flaky, book)
    assert [m for m, _ in flaky.calls] == [models[1].model_id]
    assert (second.done, second.skipped) == (1, 3)


def test_a_bug_on_one_model_fails_its_item_and_not_the_batch(session_factory: SessionFactory, book: Any) -> None:
    models = catalogue(3)
    buggy = FakeInspector(fail={models[1].model_id: ValueError("unexpected shape")})
    scan = scan_once(session_factory, new_target(session_factory), StaticLister(models), buggy, book)
    assert (scan.status, scan.done, scan.errors) == ("done", 2, 1)
    with session_scope(session_factory) as session:
        item = session.exec(select(ScanItemRow).where(ScanItemRow.model_id == models[1].model_id)).one()
        assert item.status == "failed" and item.error == "internal error: ValueError: unexpected shape"
        check = session.get(CheckRow, item.check_id)
        assert check is not None and (check.status, check.exit_code) == ("failed", checks.INTERNAL_EXIT_CODE)


def test_a_batch_the_database_refuses_is_redone_one_by_one(
    session_factory: SessionFactory, inspector: FakeInspector, book: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = scans.write_results
    refusals: list[int] = []

    def refuse_once(session: Session, results: list[Any]) -> list[dict[str, str]]:
        if not refusals:
            refusals.append(len(results))
            raise sa.exc.OperationalError("UPDATE check_data", {}, Exception("deadlock detected"))
        return real(session, results)

    monkeypatch.setattr(scans, "write_results", refuse_once)
    models = catalogue(4)
    scan = scan_once(session_factory, new_target(session_factory), StaticLister(models), inspector, book)
    assert refusals == [4]
    assert (scan.status, scan.done, scan.errors) == ("done", 4, 0)
    assert [m for m, _ in inspector.calls] == [m.model_id for m in models] * 2  # inspected again, one by one
    with session_scope(session_factory) as session:
        assert count(session, CheckRow) == 4  # the batch's checks were reused
        assert sum(1 for c in changes(session, scan.id) if c[1] == "new_model") == 4


def test_a_model_the_hub_hides_fails_its_item(session_factory: SessionFactory, book: Any) -> None:
    models = catalogue(2)
    hidden = FakeInspector(fail={models[0].model_id: ModelNotFound("gated", source=models[0].model_id)})
    scan = scan_once(session_factory, new_target(session_factory), StaticLister(models), hidden, book)
    assert (scan.status, scan.done, scan.errors) == ("done", 1, 1)


def test_a_malformed_id_from_the_listing_fails_its_item_without_a_request(
    session_factory: SessionFactory, inspector: FakeInspector, book: Any
) -> None:
    listing = [*catalogue(1), ListedModel("acme/../../etc", "0" * 40)]
    scan = scan_once(session_factory, new_target(session_factory), StaticLister(listing), inspector, book)
    assert (scan.done, scan.errors) == (1, 1)
    assert [m for m, _ in inspector.calls] == ["acme/model-0000"]


def test_an_unknown_author_fails_the_scan(session_factory: SessionFactory, inspector: FakeInspector, book: Any) -> None:
    def lister(target: TargetSpec) -> Iterator[ListedModel]:
        raise ModelNotFound("no such author", source=target.values[0])
        yield  # pragma: no cover - makes this a generator

    scan = scan_once(session_factory, new_target(session_factory, "ghost"), lister, inspector, book)
    assert (scan.status, scan.error) == ("failed", "ghost: no such author")


def test_a_transient_listing_error_is_raised_for_a_retry(
    session_factory: SessionFactory, inspector: FakeInspector, book: Any
) -> None:
    def lister(target: TargetSpec) -> Iterator[ListedModel]:
        raise HubError("listing timed out")
        yield  # pragma: no cover - makes this a generator

    with pytest.raises(HubError):
        scan_once(session_factory, new_target(session_factory), lister, inspector, book)
    with session_scope(session_factory) as session:
        assert session.exec(select(ScanRow)).one().status == "running"


# --- law changes --------------------------------------------------------------------------


def test_a_rule_set_change_is_found_from_stored_facts_as_a_law_change(
    session_factory: SessionFactory, settings: Settings, make_book: Any
) -> None:
    models = catalogue(3)
    inspector = FakeInspector(parameters={models[0].model_id: 5e8, models[1].model_id: 7e9, models[2].model_id: 2e8})
    scan_once(session_factory, new_target(session_factory), StaticLister(models), inspector, make_book(1e9))
    inspector.calls.clear()
    stricter = make_book(3e8)
    scan = scans.reevaluate(session_factory, settings=settings, rulebook=stricter, requested_by="alice", today=TODAY)
    assert inspector.calls == []  # no hub request
    assert (scan.kind, scan.status, scan.total, scan.done, scan.skipped) == ("reevaluate", "done", 3, 3, 0)
    with session_scope(session_factory) as session:
        assert changes(session, scan.id) == [("acme/model-0000", "new_finding", "law", "test.params.large")]
        change = session.exec(select(ChangeRow).where(ChangeRow.scan_id == scan.id)).one()
        assert change.detail == {"rules_changed": True}
        latest = session.get(CheckRow, session.get(ModelRow, "acme/model-0000").latest_check_id)  # type: ignore[union-attr]
        assert latest is not None and (latest.source, latest.outcome) == ("reevaluate", "fail")
        assert latest.sha == sha(0)
        assert latest.rules_hash == checks.rules_digest(rs.to_dict() for rs in stricter.rulesets)
    # Under the same law again, nothing is re-evaluated.
    again = scans.reevaluate(session_factory, settings=settings, rulebook=stricter, today=TODAY)
    assert (again.total, again.done, again.skipped) == (3, 0, 3)
    with session_scope(session_factory) as session:
        assert count(session, CheckRow) == 6


def test_a_relaxed_rule_clears_a_finding(session_factory: SessionFactory, settings: Settings, make_book: Any) -> None:
    models = catalogue(1)
    inspector = FakeInspector(parameters={models[0].model_id: 7e9})
    scan_once(session_factory, new_target(session_factory), StaticLister(models), inspector, make_book(1e9))
    scan = scans.reevaluate(session_factory, settings=settings, rulebook=make_book(1e10), today=TODAY)
    with session_scope(session_factory) as session:
        assert changes(session, scan.id) == [("acme/model-0000", "cleared_finding", "law", "test.params.large")]


def test_a_rule_coming_into_force_is_a_law_change_with_the_same_rule_files(
    session_factory: SessionFactory, settings: Settings, make_book: Any
) -> None:
    models = catalogue(1)
    inspector = FakeInspector(parameters={models[0].model_id: 7e9})
    book = make_book(1e9, effective_from="2027-01-01")
    scan_once(session_factory, new_target(session_factory), StaticLister(models), inspector, book)
    quiet = scans.reevaluate(session_factory, settings=settings, rulebook=book, today=date(2026, 12, 31))
    assert (quiet.done, quiet.skipped) == (0, 1)  # no boundary crossed yet
    later = scans.reevaluate(session_factory, settings=settings, rulebook=book, today=date(2027, 1, 2))
    assert later.done == 1
    with session_scope(session_factory) as session:
        change = session.exec(select(ChangeRow).where(ChangeRow.scan_id == later.id)).one()
        assert (change.kind, change.cause, change.before, change.after) == (
            "new_finding", "law", "not_applicable", "triggered",
        )  # fmt: skip
        assert change.detail == {"date_changed": True}


def test_a_new_revision_under_new_rules_is_blamed_on_the_model_and_both_are_recorded(
    session_factory: SessionFactory, make_book: Any
) -> None:
    models = catalogue(1)
    inspector = FakeInspector(parameters={models[0].model_id: 5e8})
    target_id = new_target(session_factory)
    scan_once(session_factory, target_id, StaticLister(models), inspector, make_book(1e9))
    models[0] = ListedModel(models[0].model_id, sha(0, 1))
    scan = scan_once(session_factory, target_id, StaticLister(models), inspector, make_book(1e8))
    with session_scope(session_factory) as session:
        rows = session.exec(select(ChangeRow).where(ChangeRow.scan_id == scan.id).order_by(col(ChangeRow.id))).all()
        assert [(r.kind, r.cause) for r in rows] == [("new_revision", "model"), ("new_finding", "model")]
        assert rows[1].detail == {"sha_changed": True, "rules_changed": True}


def test_a_rules_change_is_audited_by_the_next_reevaluation(
    session_factory: SessionFactory, settings: Settings, make_book: Any
) -> None:
    scans.reevaluate(session_factory, settings=settings, rulebook=make_book(1e9), today=TODAY)
    scans.reevaluate(session_factory, settings=settings, rulebook=make_book(1e9), today=TODAY)
    scans.reevaluate(session_factory, settings=settings, rulebook=make_book(2e9), today=TODAY)
    with session_scope(session_factory) as session:
        events = audit.list_events(session, action="rules.change").items
        assert len(events) == 1 and events[0].actor == "system"


# --- starting, reading, progress ----------------------------------------------------------


def test_start_scan_returns_the_scan_already_under_way(session: Session) -> None:
    target = targets.create_target(session, kind="author", value="acme", actor="alice")
    assert target.id is not None
    first = scans.start_scan(session, target_id=target.id, trigger="beat")
    again = scans.start_scan(session, target_id=target.id, trigger="api", requested_by="bob")
    assert first.id == again.id
    targets.update_target(session, target.id, actor="alice", enabled=False)
    other = targets.create_target(session, kind="search", value="llama", actor="alice")
    assert other.id is not None
    assert scans.start_scan(session, target_id=other.id, trigger="api").id != first.id
    with pytest.raises(Exception, match="disabled"):
        scans.start_scan(session, target_id=target.id, trigger="api")
    with pytest.raises(Exception, match="unknown scan trigger"):
        scans.start_scan(session, target_id=other.id, trigger="cron")


def test_scan_progress_reports_counts_rate_and_time_left() -> None:
    start = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    scan = ScanRow(id=7, trigger="api", status="running", total=100, done=30, skipped=50, errors=2, started_at=start)
    progress = scans.scan_progress(scan, now=start + timedelta(seconds=16))
    assert progress["remaining"] == 18
    assert progress["rate_per_second"] == 2.0
    assert progress["eta_seconds"] == 9.0
    assert progress["listing_finished"] is False
    finished = ScanRow(id=8, trigger="api", status="done", total=1, done=1, started_at=start,
                       finished_at=start + timedelta(seconds=4))  # fmt: skip
    assert scans.scan_progress(finished)["rate_per_second"] == 0.25
    assert scans.scan_progress(finished)["eta_seconds"] is None


def test_listings_of_scans_items_and_changes(
    session_factory: SessionFactory, inspector: FakeInspector, book: Any
) -> None:
    target_id = new_target(session_factory)
    scan = scan_once(session_factory, target_id, StaticLister(catalogue(4)), inspector, book)
    with session_scope(session_factory) as session:
        assert scans.list_scans(session, target_id=target_id).items[0].id == scan.id
        assert scans.list_scans(session, kind="reevaluate").total == 0
        assert scans.list_items(session, _id(scan), status="done").total == 4
        assert scans.list_changes(session, scan_id=scan.id, kind="new_model").total == 4
        assert scans.list_changes(session, model_id="acme/model-0001").total == 1
        assert scans.list_changes(session, cause="law").total == 0
        assert scans.get_scan(session, _id(scan)) is not None


def test_fail_scan_fails_an_unfinished_scan_once(session_factory: SessionFactory) -> None:
    target_id = new_target(session_factory)
    with session_scope(session_factory) as session:
        scan_id = _id(scans.start_scan(session, target_id=target_id, trigger="api", requested_by="alice"))
    with session_scope(session_factory) as session:
        assert scans.fail_scan(session, scan_id, "its runners were lost 5 times") is True
    with session_scope(session_factory) as session:
        assert scans.fail_scan(session, scan_id, "again") is False  # already finished: left as it is
        scan = scans.get_scan(session, scan_id)
        assert scan is not None
        assert (scan.status, scan.error) == ("failed", "its runners were lost 5 times")
        assert scan.finished_at is not None


def test_deadlocks_and_serialization_failures_are_transient() -> None:
    import sqlalchemy as sa

    from compliance.services.scans import _is_transient

    class Orig(Exception):
        def __init__(self, sqlstate: str) -> None:
            super().__init__("conflict")
            self.sqlstate = sqlstate

    assert _is_transient(sa.exc.OperationalError("UPDATE scans", {}, Orig("40P01")))
    assert _is_transient(sa.exc.OperationalError("UPDATE scans", {}, Orig("40001")))
    assert not _is_transient(sa.exc.IntegrityError("INSERT", {}, Orig("23505")))


def test_a_batch_on_a_slow_hub_stores_as_it_goes(
    session_factory: SessionFactory, book: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scans, "_STORE_SECONDS", 0.0)  # every model takes "too long": store each at once
    target_id = new_target(session_factory)
    with pytest.raises(Crash):
        scan_once(session_factory, target_id, StaticLister(catalogue(10)), FakeInspector(crash_after=5), book,
                  page_size=10)  # fmt: skip
    with session_scope(session_factory) as session:
        statuses = [i.status for i in session.exec(select(ScanItemRow).order_by(col(ScanItemRow.id))).all()]
    # The kill loses only the model in hand and those not yet inspected, not the whole batch.
    assert statuses == ["done"] * 4 + ["running"] * 6
