"""Check a model: the form, live progress, the result, its print view and report downloads."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, abort, g, redirect, render_template, request, url_for

from compliance.errors import UsageError
from compliance.services.checks import CheckFilters, get_check, get_inputs, get_report, list_checks, submit_check
from compliance.storage.db import after_commit
from compliance.storage.tables import CheckRow, CheckSource, CheckStatus
from web.dashboard.auth import current_user, requires
from web.dashboard.blueprint import arg, arg_page, bp, not_found_unless
from web.dashboard.chart import build_chart
from web.dashboard.forms import ActionForm, CheckForm, choices, declarer
from web.dashboard.present import deciding_findings, group_findings
from web.dashboard.security import SUBMIT_LIMIT
from web.dashboard.settle import ANSWER_FIELD, VALUE_FIELD, answers_from, takes_a_value
from web.dashboard.state import db, state
from web.dashboard.thresholds import COMPUTE_FACT, Compute, position, regimes, threshold_values

log = logging.getLogger(__name__)
DOWNLOADS = {
    "json": ("json", "application/json"),
    "sarif": ("sarif", "application/sarif+json"),
    "md": ("markdown", "text/markdown; charset=utf-8"),
}
INTERACTIVE_QUEUE = "interactive"
TOO_MANY_CHECKS = "Too many checks submitted in the last minute; wait a little."
OUTCOMES = ("pass", "fail", "inconclusive")
STATUSES = tuple(s.value for s in CheckStatus)


def queue_after_commit(session: Any, kind: str, ident: Any, queue: str) -> None:
    """Send work to the worker once the rows it names are committed; a broker failure is shown, not raised."""

    def send() -> None:
        try:
            state().enqueue(kind, ident, queue)
        except Exception:  # the row is committed and stays queued; recovery or a re-run picks it up
            log.exception("could not queue %s %s", kind, ident)
            g.dashboard_enqueue_failed = True

    after_commit(session, send)


def _check_form() -> CheckForm:
    form = CheckForm()
    found = state()
    form.rules.choices = choices((rs.id, f"{rs.id} ({rs.jurisdiction})") for rs in found.rulebook().rulesets)
    form.hardware.choices = choices([("", "none"), *found.cached("hardware-choices", _hardware_choices)])
    return form


def _hardware_choices() -> list[tuple[str, str]]:
    from compliance.hardware.catalog import load_catalog

    return [(acc.id, f"{acc.vendor} {acc.name}") for acc in load_catalog()]


def _options(form: CheckForm, user_email: str) -> dict[str, Any]:
    options: dict[str, Any] = {"fail_on": form.fail_on.data or "high", **form.deployment_options(user_email)}
    if form.hardware.data:
        options["hardware"] = f"{form.hardware.data}x{form.hardware_count.data or 1}"
    if form.rules.data:
        options["rules"] = list(form.rules.data)
    if form.as_of.data:
        options["as_of"] = form.as_of.data.isoformat()
    return options


@bp.route("/checks/new", methods=["GET", "POST"])
@requires("submitter")
def new_check() -> Any:
    """The check form; a valid POST queues a check and goes to its page."""
    form = _check_form()
    if request.method == "GET" and request.args.get("model"):
        form.model_id.data = request.args.get("model", "")[:200]
    error = None
    if request.method == "POST":
        user = current_user()
        assert user is not None
        state().rate.enforce(SUBMIT_LIMIT, "submit", str(user.id), message=TOO_MANY_CHECKS)
        if form.validate_on_submit():
            session = db()
            try:
                check = submit_check(
                    session,
                    model_ref=(form.model_id.data or "").strip(),
                    revision=(form.revision.data or "").strip() or None,
                    source=CheckSource.DASHBOARD.value,
                    options=_options(form, user.email),
                    requested_by=user.email,
                    queue=INTERACTIVE_QUEUE,
                )
            except UsageError as exc:
                session.rollback()
                error = exc.one_line()
            else:
                queue_after_commit(session, "check", check.id, INTERACTIVE_QUEUE)
                session.commit()
                return redirect(url_for("dashboard.check", check_id=check.id))
        else:
            error = "Please correct the fields marked below."
    return render_template("dashboard/check_form.html", form=form, error=error), 400 if error else 200


@bp.route("/checks")
@requires("viewer")
def checks() -> Any:
    """Every check, newest first, paged on the server."""
    model = arg("model")
    filters = CheckFilters(model_prefix=model or None, outcome=arg("outcome", OUTCOMES) or None,
                           status=arg("status", STATUSES) or None)  # fmt: skip
    page = list_checks(db(), filters=filters, page=arg_page(), per_page=50)
    return render_template("dashboard/checks.html", page=page, model=model, outcomes=OUTCOMES, statuses=STATUSES)


def _result_context(row: CheckRow, report: dict[str, Any]) -> dict[str, Any]:
    found = state()
    book = found.rulebook()
    all_regimes = found.cached("regimes", lambda: regimes(book))
    values = found.cached("threshold-values", lambda: threshold_values(all_regimes))
    compute = Compute.from_fact((report.get("facts") or {}).get(COMPUTE_FACT))
    return {
        "check": row,
        "report": report,
        "inputs": get_inputs(db(), row.id) or {},
        "groups": group_findings(report.get("findings") or []),
        "deciding": deciding_findings(report),
        "compute": compute,
        "position": position(compute, values),
        "chart": build_chart(compute, all_regimes),
        "action": ActionForm(),
        "settle_fields": {"answer": ANSWER_FIELD, "value": VALUE_FIELD, "takes_a_value": takes_a_value},
    }


@bp.route("/checks/<check_id>")
@requires("viewer")
def check(check_id: str) -> Any:
    """A check: its progress while it runs, then the verdict, findings, facts, lineage and chart."""
    row = not_found_unless(get_check(db(), check_id[:64]))
    if row.status in (CheckStatus.QUEUED, CheckStatus.RUNNING):
        return render_template("dashboard/check_progress.html", check=row)
    report = get_report(db(), row.id) if row.status == CheckStatus.DONE else None
    if report is None:
        model = row.model_ref + (f"@{row.revision}" if row.revision else "")
        hub = state().settings.hf_endpoint
        return render_template("dashboard/check_failed.html", check=row, kind=row.failure, model=model, hub=hub,
                               action=ActionForm())  # fmt: skip
    return render_template("dashboard/check_result.html", **_result_context(row, report))


@bp.route("/checks/<check_id>/print")
@requires("viewer")
def check_print(check_id: str) -> Any:
    """The result laid out for paper: every finding and fact, no navigation or buttons."""
    row = not_found_unless(get_check(db(), check_id[:64]))
    report = not_found_unless(get_report(db(), row.id) if row.status == CheckStatus.DONE else None)
    return render_template("dashboard/check_print.html", **_result_context(row, report))


@bp.route("/checks/<check_id>/status")
@requires("viewer")
def check_status(check_id: str) -> Any:
    """The check's state as JSON, polled by the progress page's script."""
    row = get_check(db(), check_id[:64])
    if row is None:
        return {"error": "no such check"}, 404
    return {
        "id": row.id,
        "status": row.status,
        "outcome": row.outcome,
        "failure": row.failure,
        "error": row.error,
        "finished": row.status in (CheckStatus.DONE, CheckStatus.FAILED),
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "url": url_for("dashboard.check", check_id=row.id),
    }


@bp.route("/checks/<check_id>/report.<fmt>")
@requires("viewer")
def check_report(check_id: str, fmt: str) -> Any:
    """The report as JSON, SARIF or Markdown (the same renderers as the CLI)."""
    from compliance.report.render import render

    if fmt not in DOWNLOADS:
        abort(404)
    row = not_found_unless(get_check(db(), check_id[:64]))
    report = not_found_unless(get_report(db(), row.id) if row.status == CheckStatus.DONE else None)
    name, mimetype = DOWNLOADS[fmt]
    response = Response(render(report, name), mimetype=mimetype.split(";")[0])
    response.headers["Content-Type"] = mimetype if "charset" in mimetype else f"{mimetype}; charset=utf-8"
    download = request.args.get("download") == "1"
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="check-{row.id}.{fmt}"'
    return response


def _submitter() -> Any:
    """The signed-in account for a POST that queues a check: CSRF checked, submissions rate-limited."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; please try again.")
    user = current_user()
    assert user is not None
    state().rate.enforce(SUBMIT_LIMIT, "submit", str(user.id), message=TOO_MANY_CHECKS)
    return user


def _check_again(row: CheckRow, inputs: dict[str, Any], options: dict[str, Any], email: str) -> Any:
    """Queue a check of ``row``'s model (or its uploaded metadata) with ``options``; go to its page."""
    session = db()
    try:
        new = submit_check(
            session,
            model_ref=row.model_ref,
            revision=row.revision,
            source=CheckSource.DASHBOARD.value,
            options=options,
            requested_by=email,
            queue=INTERACTIVE_QUEUE,
            uploaded=inputs.get("uploaded"),
        )
    except UsageError as exc:
        session.rollback()
        abort(400, exc.one_line())
    queue_after_commit(session, "check", new.id, INTERACTIVE_QUEUE)
    session.commit()
    return redirect(url_for("dashboard.check", check_id=new.id))


@bp.route("/checks/<check_id>/rerun", methods=["POST"])
@requires("submitter")
def rerun(check_id: str) -> Any:
    """Check the same model with the same options again (e.g. after adding a waiver)."""
    user = _submitter()
    row = not_found_unless(get_check(db(), check_id[:64]))
    inputs = get_inputs(db(), row.id) or {}
    return _check_again(row, inputs, dict(inputs.get("options") or {}), user.email)


@bp.route("/checks/<check_id>/settle", methods=["POST"])
@requires("submitter")
def settle(check_id: str) -> Any:
    """Answer an uncertain finding's questions: the same check again, the answers declared by this user."""
    user = _submitter()
    row = not_found_unless(get_check(db(), check_id[:64]))
    report = not_found_unless(get_report(db(), row.id) if row.status == CheckStatus.DONE else None)
    try:
        answers = answers_from(request.form, report.get("findings") or [])
    except UsageError as exc:
        abort(400, exc.one_line())
    inputs = get_inputs(db(), row.id) or {}
    options = dict(inputs.get("options") or {})
    options["facts"] = {**(options.get("facts") or {}), **answers}
    options["declared_by"] = {**(options.get("declared_by") or {}), **dict.fromkeys(answers, declarer(user.email))}
    return _check_again(row, inputs, options, user.email)
