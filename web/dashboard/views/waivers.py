"""Waivers (reason, owner, expiry, approver) and the audit log."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from compliance.errors import UsageError
from compliance.services.audit import list_events
from compliance.services.checks import today_utc
from compliance.services.waivers import create_waiver, list_waivers, revoke_waiver
from web.dashboard.auth import current_user, requires
from web.dashboard.blueprint import arg, arg_page, bp
from web.dashboard.forms import ActionForm, WaiverForm, choices
from web.dashboard.state import db, state
from web.dashboard.views.common import revoke_and_redirect

STATES = ("active", "expired", "revoked", "all")
OBJECT_TYPES = ("waiver", "token", "user", "target", "schedule", "scan", "rules")


def _waiver_form() -> WaiverForm:
    form = WaiverForm()
    form.rule_id.choices = choices((r.id, f"{r.id} — {r.spec.title}") for r in state().rulebook().rules)
    return form


def _render(form: WaiverForm, error: str | None, code: int = 200) -> Any:
    chosen = arg("state", STATES) or "active"
    rows = list_waivers(db(), today=today_utc(), state=chosen)  # type: ignore[arg-type]
    return render_template(
        "dashboard/waivers.html", form=form, error=error, rows=rows, chosen=chosen, states=STATES,
        action=ActionForm(), today=today_utc(),
    ), code  # fmt: skip


@bp.route("/waivers")
@requires("viewer")
def waivers() -> Any:
    """Waivers by state; reviewers get the form (prefilled from a finding's link)."""
    form = _waiver_form()
    if request.args.get("rule_id"):
        form.rule_id.data = request.args.get("rule_id", "")[:200]
    if request.args.get("model"):
        form.model_pattern.data = request.args.get("model", "")[:200]
    return _render(form, None)


@bp.route("/waivers", methods=["POST"])
@requires("reviewer")
def add_waiver() -> Any:
    """Record a waiver; the signed-in reviewer is its approver."""
    form = _waiver_form()
    user = current_user()
    assert user is not None
    if not form.validate_on_submit():
        return _render(form, "Please correct the fields marked below.", 400)
    session = db()
    try:
        assert form.expires.data is not None
        create_waiver(
            session,
            rule_id=form.rule_id.data or "",
            model_pattern=form.model_pattern.data or "",
            reason=form.reason.data or "",
            owner=form.owner.data or "",
            expires=form.expires.data,
            approved_by=user.email,
            actor=user.email,
            today=today_utc(),
        )
    except UsageError as exc:
        session.rollback()
        return _render(form, exc.one_line(), 400)
    session.commit()
    return redirect(url_for("dashboard.waivers"))


@bp.route("/waivers/<int:waiver_id>/revoke", methods=["POST"])
@requires("reviewer")
def revoke(waiver_id: int) -> Any:
    """End a waiver now."""
    return revoke_and_redirect(revoke_waiver, waiver_id, "dashboard.waivers")


@bp.route("/audit")
@requires("viewer")
def audit() -> Any:
    """The audit log, newest first, paged; narrowed by object type or actor."""
    object_type = arg("object_type", OBJECT_TYPES) or None
    actor = arg("actor") or None
    page = list_events(db(), object_type=object_type, actor=actor, page=arg_page(), per_page=50)
    return render_template(
        "dashboard/audit.html", page=page, object_types=OBJECT_TYPES, object_type=object_type or "", actor=actor or ""
    )
