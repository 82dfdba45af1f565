"""Scans: targets, schedules, running scans with live progress, and the changes each scan found."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, url_for
from sqlmodel import col, select

from compliance.errors import UsageError
from compliance.services.scan_failures import unchecked_counts
from compliance.services.scans import get_scan, list_changes, list_items, list_scans, scan_progress, start_scan
from compliance.services.schedules import list_schedules
from compliance.services.targets import create_target, get_target, list_targets, update_target
from compliance.storage.tables import ItemStatus, ScanRow, ScanStatus, ScanTrigger
from web.dashboard.auth import current_user, requires
from web.dashboard.blueprint import arg, arg_page, bp, not_found_unless
from web.dashboard.forms import ActionForm, TargetForm
from web.dashboard.state import db
from web.dashboard.views.checks import queue_after_commit

SCAN_QUEUE = "scan"
ITEM_STATUSES = tuple(s.value for s in ItemStatus)


def _page_context(form: TargetForm, error: str | None) -> dict[str, Any]:
    session = db()
    scans = list_scans(session, page=arg_page(), per_page=25)
    return {
        "form": form,
        "error": error,
        "targets": list_targets(session),
        "schedules": list_schedules(session),
        "scans": scans,
        "progress": {s.id: scan_progress(s) for s in scans.items},
        "action": ActionForm(),
    }


@bp.route("/scans")
@requires("viewer")
def scans() -> Any:
    """Targets, schedules and scans (newest first, paged)."""
    return render_template("dashboard/scans.html", **_page_context(TargetForm(), None))


@bp.route("/targets", methods=["POST"])
@requires("admin")
def add_target() -> Any:
    """Add a scan target (and its daily schedule)."""
    form = TargetForm()
    user = current_user()
    assert user is not None
    error = None
    if form.validate_on_submit():
        options = form.deployment_options(user.email)
        session = db()
        try:
            create_target(
                session,
                kind=form.kind.data or "",
                value=form.value.data or "",
                name=form.name.data or None,
                options=options,
                actor=user.email,
                schedule=bool(form.schedule.data),
            )
        except UsageError as exc:
            session.rollback()
            error = exc.one_line()
        else:
            session.commit()
            return redirect(url_for("dashboard.scans"))
    else:
        error = "Please correct the fields marked below."
    return render_template("dashboard/scans.html", **_page_context(form, error)), 400


@bp.route("/targets/<int:target_id>/scan", methods=["POST"])
@requires("submitter")
def scan_now(target_id: int) -> Any:
    """Start a scan of a target now (or show the one already running)."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; please try again.")
    user = current_user()
    assert user is not None
    session = db()
    unfinished = set(
        session.exec(
            select(ScanRow.id).where(
                col(ScanRow.target_id) == target_id, col(ScanRow.status).in_([ScanStatus.QUEUED, ScanStatus.RUNNING])
            )
        ).all()
    )
    try:
        scan = start_scan(session, target_id=target_id, trigger=ScanTrigger.DASHBOARD.value, requested_by=user.email)
    except UsageError as exc:
        session.rollback()
        abort(400, exc.one_line())
    if scan.id not in unfinished:  # a second click shows the scan already under way, queues nothing more
        queue_after_commit(session, "scan", scan.id, SCAN_QUEUE)
    elif scan.status == ScanStatus.RUNNING and scan.id is not None:
        # Unless its runners died: then new ones are sent now rather than at the next recovery pass.
        from compliance.services.runners import recover

        if recover(session, scan_ids=[scan.id]).dispatch:
            queue_after_commit(session, "scan", scan.id, SCAN_QUEUE)
    session.commit()
    return redirect(url_for("dashboard.scan", scan_id=scan.id))


@bp.route("/targets/<int:target_id>/toggle", methods=["POST"])
@requires("admin")
def toggle_target(target_id: int) -> Any:
    """Enable or disable a target."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; please try again.")
    user = current_user()
    assert user is not None
    session = db()
    target = not_found_unless(get_target(session, target_id))
    update_target(session, target_id, actor=user.email, enabled=not target.enabled)
    session.commit()
    return redirect(url_for("dashboard.scans"))


@bp.route("/scans/<int:scan_id>")
@requires("viewer")
def scan(scan_id: int) -> Any:
    """One scan: progress, its items (paged) and the changes it found (paged)."""
    session = db()
    row = not_found_unless(get_scan(session, scan_id))
    status = arg("status", ITEM_STATUSES) or None
    items = list_items(session, scan_id, status=status, page=arg_page("items_page"), per_page=50)
    changes = list_changes(session, scan_id=scan_id, page=arg_page("changes_page"), per_page=50)
    target = get_target(session, row.target_id) if row.target_id is not None else None
    failed = row.status == ScanStatus.FAILED
    return render_template(
        "dashboard/scan.html",
        scan=row,
        target=target,
        progress=scan_progress(row),
        unchecked=unchecked_counts(session, [scan_id]).get(scan_id, 0) if failed else 0,
        action=ActionForm(),
        items=items,
        changes=changes,
        item_status=status or "",
        item_statuses=ITEM_STATUSES,
        running=row.status in (ScanStatus.QUEUED, ScanStatus.RUNNING),
    )


@bp.route("/scans/<int:scan_id>/status")
@requires("viewer")
def scan_status(scan_id: int) -> Any:
    """A scan's progress as JSON (polled while it runs)."""
    row = get_scan(db(), scan_id)
    if row is None:
        return {"error": "no such scan"}, 404
    progress = scan_progress(row)
    progress["finished"] = row.status in (ScanStatus.DONE, ScanStatus.FAILED)
    progress["url"] = url_for("dashboard.scan", scan_id=row.id)
    return progress
