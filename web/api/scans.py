"""Scans, re-evaluations and changes: start one, watch its progress, list what changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from web.api.admission import SCAN_QUEUE
from web.api.endpoints import Api, ApiError, Call
from web.api.schemas import (
    ChangePublic,
    ChangeQuery,
    ScanAccepted,
    ScanCreate,
    ScanItemPublic,
    ScanItemQuery,
    ScanPublic,
    ScanQuery,
    page_of,
)

ScanPage = page_of(ScanPublic)
ChangePage = page_of(ChangePublic)
ScanItemPage = page_of(ScanItemPublic)
CHANGES_SHOWN = 100


def _scan_queue(_call: Call) -> str:
    return SCAN_QUEUE


def _queue_scan(call: Call, scan: Any) -> ScanAccepted:
    """Send runners for a new scan; for one already running, take over from runners that died.

    A scan requested again while it runs is looked at on the spot: if none of its runners holds
    a lease (their worker was killed), new runners are sent now rather than at the next
    recovery pass; a scan with live runners is left to them.
    """
    from compliance.services.runners import recover
    from compliance.storage.tables import ScanStatus
    from web.worker.enqueue import after_commit, send_scan

    if scan.status == ScanStatus.QUEUED:
        after_commit(call.session, send_scan, call.services.celery, scan.id)
    elif scan.status == ScanStatus.RUNNING:
        recovered = recover(call.session, scan_ids=[scan.id])
        for scan_id, roles in recovered.dispatch:
            after_commit(call.session, send_scan, call.services.celery, scan_id, runners=len(roles))
        if recovered.failed:
            call.session.refresh(scan)
    call.session.commit()
    return ScanAccepted(id=scan.id, status=scan.status, target_id=scan.target_id, url=f"/api/v1/scans/{scan.id}")


def start_scan(call: Call) -> ScanAccepted:
    """Scan an author, a search or a list of models (reusing a target with the same definition)."""
    from compliance.services import scans, targets
    from compliance.services.options import normalise_options
    from compliance.storage.tables import ScanTrigger

    body: ScanCreate = call.body
    kind, value = body.kind_value()
    normalised = targets.normalise_value(kind, value)
    options = normalise_options(body.options)
    target = next(
        (
            t
            for t in targets.list_targets(call.session, enabled=True)
            if t.kind == kind and t.value == normalised and (t.options or {}) == options
        ),
        None,
    )
    if target is None:
        target = targets.create_target(
            call.session,
            kind=kind,
            value=normalised,
            actor=call.principal.actor,
            name=body.name,
            options=options,
            schedule=False,
        )
    assert target.id is not None
    scan = scans.start_scan(
        call.session, target_id=target.id, trigger=ScanTrigger.API, requested_by=call.principal.actor
    )
    return _queue_scan(call, scan)


def scan_target(call: Call, target_id: int) -> ScanAccepted:
    """Scan a stored target now."""
    from compliance.services import scans
    from compliance.storage.tables import ScanTrigger

    scan = scans.start_scan(
        call.session, target_id=target_id, trigger=ScanTrigger.API, requested_by=call.principal.actor
    )
    return _queue_scan(call, scan)


def start_reevaluation(call: Call) -> ScanAccepted:
    """Evaluate every watched model's stored facts again under the current rule sets (no hub requests)."""
    from compliance.services import scans
    from compliance.storage.tables import ScanTrigger

    scan = scans.start_reevaluation(call.session, trigger=ScanTrigger.API, requested_by=call.principal.actor)
    return _queue_scan(call, scan)


def change_public(row: Any) -> ChangePublic:
    """A change row as JSON."""
    return ChangePublic(
        id=row.id,
        scan_id=row.scan_id,
        model=row.model_id,
        kind=row.kind,
        cause=row.cause,
        rule_id=row.rule_id,
        before=row.before,
        after=row.after,
        check_id=row.check_id,
        previous_check_id=row.previous_check_id,
        detail=row.detail,
        created_at=row.created_at,
    )


def _unchecked(session: Any, rows: list[Any]) -> dict[int, int]:
    """How many models each failed scan among ``rows`` left unchecked (one query for a page)."""
    from compliance.services.scan_failures import unchecked_counts
    from compliance.storage.tables import ScanStatus

    return unchecked_counts(session, [r.id for r in rows if r.status == ScanStatus.FAILED])


def scan_public(
    session: Any, scan: Any, *, with_changes: bool, unchecked: Mapping[int, int] | None = None
) -> ScanPublic:
    """A scan's progress, with its first changes when asked; ``unchecked`` counts by scan id (:func:`_unchecked`)."""
    from compliance.services import scans

    progress = scans.scan_progress(scan)
    changes = (
        [change_public(c) for c in scans.list_changes(session, scan_id=scan.id, per_page=CHANGES_SHOWN).items]
        if with_changes
        else []
    )
    return ScanPublic(
        id=scan.id,
        kind=scan.kind,
        target_id=scan.target_id,
        trigger=scan.trigger,
        requested_by=scan.requested_by,
        status=scan.status,
        total=scan.total,
        done=scan.done,
        skipped=scan.skipped,
        errors=scan.errors,
        remaining=progress["remaining"],
        listing_finished=progress["listing_finished"],
        rate_per_second=progress["rate_per_second"],
        eta_seconds=progress["eta_seconds"],
        created_at=scan.created_at,
        started_at=scan.started_at,
        finished_at=scan.finished_at,
        error=scan.error,
        unchecked=(unchecked or {}).get(scan.id),
        changes_total=scan.changes,
        changes=changes,
    )


def get_scan(call: Call, scan_id: int) -> ScanPublic:
    """A scan's progress and its first changes (all of them: ``GET /changes?scan_id=``)."""
    from compliance.services import scans

    scan = scans.get_scan(call.session, scan_id)
    if scan is None:
        raise ApiError(404, f"no scan {scan_id}")
    return scan_public(call.session, scan, with_changes=True, unchecked=_unchecked(call.session, [scan]))


def list_scans(call: Call) -> Any:
    """Scans, newest first (without their changes)."""
    from compliance.services import scans

    q: ScanQuery = call.query
    page = scans.list_scans(call.session, target_id=q.target_id, kind=q.kind, page=q.page, per_page=q.per_page)
    unchecked = _unchecked(call.session, page.items)
    items = [scan_public(call.session, s, with_changes=False, unchecked=unchecked) for s in page.items]
    return ScanPage(items=items, total=page.total, page=page.page, per_page=page.per_page, pages=page.pages)


def list_items(call: Call, scan_id: int) -> Any:
    """A scan's models in listing order."""
    from compliance.services import scans

    if scans.get_scan(call.session, scan_id) is None:
        raise ApiError(404, f"no scan {scan_id}")
    q: ScanItemQuery = call.query
    page = scans.list_items(call.session, scan_id, status=q.status, page=q.page, per_page=q.per_page)
    items = [
        ScanItemPublic(
            id=i.id or 0,
            model=i.model_id,
            sha=i.sha,
            status=i.status,
            check_id=i.check_id,
            error=i.error,
            finished_at=i.finished_at,
        )
        for i in page.items
    ]
    return ScanItemPage(items=items, total=page.total, page=page.page, per_page=page.per_page, pages=page.pages)


def list_changes(call: Call) -> Any:
    """Changes, newest first."""
    from compliance.services import scans

    q: ChangeQuery = call.query
    page = scans.list_changes(
        call.session, scan_id=q.scan_id, model_id=q.model, kind=q.kind, cause=q.cause, page=q.page, per_page=q.per_page
    )
    items = [change_public(c) for c in page.items]
    return ChangePage(items=items, total=page.total, page=page.page, per_page=page.per_page, pages=page.pages)


def register(api: Api) -> None:
    """Declare the scan endpoints."""
    api.route("POST", "/scans", role="submitter", summary="Start a scan of an author, a search or models",
              body=ScanCreate, status=202, response=ScanAccepted, errors=(400, 413, 422),
              queue=_scan_queue)(start_scan)  # fmt: skip
    api.route("GET", "/scans", role="viewer", summary="List scans", query=ScanQuery, response=ScanPage,
              errors=(422,))(list_scans)  # fmt: skip
    api.route("GET", "/scans/<int:scan_id>", role="viewer", summary="A scan's progress and changes",
              response=ScanPublic, errors=(404,))(get_scan)  # fmt: skip
    api.route("GET", "/scans/<int:scan_id>/items", role="viewer", summary="A scan's models", query=ScanItemQuery,
              response=ScanItemPage, errors=(404, 422))(list_items)  # fmt: skip
    api.route("POST", "/targets/<int:target_id>/scans", role="submitter", summary="Scan a stored target now",
              status=202, response=ScanAccepted, errors=(404, 409, 422), queue=_scan_queue)(scan_target)  # fmt: skip
    api.route("POST", "/reevaluations", role="submitter", summary="Re-evaluate stored facts under the current rules",
              status=202, response=ScanAccepted, queue=_scan_queue)(start_reevaluation)  # fmt: skip
    api.route("GET", "/changes", role="viewer", summary="List changes", query=ChangeQuery, response=ChangePage,
              errors=(422,))(list_changes)  # fmt: skip
