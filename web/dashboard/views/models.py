"""The registry of models as a table, and one model's revisions, checks and diffs."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from sqlmodel import col, select

from compliance.services.checks import CheckFilters, get_report, list_checks
from compliance.storage.tables import CheckRow, CheckStatus, ModelRow, RevisionRow
from web.dashboard.auth import requires
from web.dashboard.blueprint import arg, arg_page, bp
from web.dashboard.diff import diff_checks
from web.dashboard.registry import SORTS, VERDICTS, ComputeIndex, ModelFilters, list_models, organisations
from web.dashboard.state import db, state
from web.dashboard.thresholds import bands, regimes, threshold_values


def compute_index() -> ComputeIndex:
    """The process's compute cache."""
    found: ComputeIndex = state().cached("compute-index", ComputeIndex)
    return found


def threshold_setup() -> tuple[list[Any], list[float]]:
    """The regimes with compute thresholds and their distinct values (cached)."""
    found = state()
    all_regimes = found.cached("regimes", lambda: regimes(found.rulebook()))
    values = found.cached("threshold-values", lambda: threshold_values(all_regimes))
    return all_regimes, values


@bp.route("/models")
@requires("viewer")
def models() -> Any:
    """The registry: search, filters (verdict, regime, band, organisation), sorting, server paging."""
    _regimes, values = threshold_setup()
    band_list = bands(values)
    ruleset_ids = [rs.id for rs in state().rulebook().rulesets]
    filters = ModelFilters(
        q=arg("q"),
        verdict=arg("verdict", VERDICTS),
        regime=arg("regime", ruleset_ids),
        band=arg("band", [b.key for b in band_list]),
        org=arg("org", limit=100),
        sort=arg("sort", list(SORTS)) or "model",
        page=arg_page(),
    )
    page = list_models(db(), filters, index=compute_index(), values=values)
    return render_template(
        "dashboard/models.html",
        page=page,
        filters=filters,
        bands=band_list,
        verdicts=VERDICTS,
        ruleset_ids=ruleset_ids,
        sorts=SORTS,
        orgs=organisations(db()),
    )


def _check_of(model_id: str, check_id: str) -> CheckRow | None:
    row = db().get(CheckRow, check_id[:64]) if check_id else None
    return row if row is not None and row.model_ref == model_id else None


@bp.route("/models/<path:model_id>")
@requires("viewer")
def model(model_id: str) -> Any:
    """A model: registry entry, revisions, checks (paged) and, given ``a`` and ``b``, their diff."""
    session = db()
    model_id = model_id[:200]
    entry = session.get(ModelRow, model_id)
    revisions = session.exec(
        select(RevisionRow)
        .where(col(RevisionRow.model_id) == model_id)
        .order_by(col(RevisionRow.seen_at).desc())
        .limit(100)
    ).all()
    page = list_checks(session, filters=CheckFilters(model_ref=model_id), page=arg_page(), per_page=25)
    done = session.exec(
        select(CheckRow.id, CheckRow.created_at, CheckRow.outcome)
        .where(col(CheckRow.model_ref) == model_id, col(CheckRow.status) == CheckStatus.DONE)
        .order_by(col(CheckRow.created_at).desc())
        .limit(200)
    ).all()
    diff = None
    diff_error = None
    a_id, b_id = arg("a", limit=64), arg("b", limit=64)
    if a_id and b_id:
        a, b = _check_of(model_id, a_id), _check_of(model_id, b_id)
        report_a = get_report(session, a.id) if a is not None else None
        report_b = get_report(session, b.id) if b is not None else None
        if a is None or b is None or report_a is None or report_b is None:
            diff_error = "Pick two finished checks of this model."
        else:
            if a.created_at > b.created_at:
                a, b, report_a, report_b = b, a, report_b, report_a
            diff = diff_checks(session, a, b, report_a, report_b)
    if entry is None and page.total == 0:
        return render_template("dashboard/error.html", code=404, title="Not Found",
                               detail=f"No model {model_id} in the registry or among the checks."), 404  # fmt: skip
    return render_template(
        "dashboard/model.html",
        model_id=model_id,
        entry=entry,
        revisions=revisions,
        page=page,
        done=done,
        diff=diff,
        diff_error=diff_error,
        a_id=a_id or request.args.get("a", ""),
        b_id=b_id,
    )
