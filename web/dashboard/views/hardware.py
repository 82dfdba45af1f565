"""Hardware: the accelerator catalog, and the chip question (which chip rules does shipping these
accelerators to a country trigger?) answered on the page.

The question stores nothing, so a viewer may ask it; it is a POST with a CSRF token like every
other form. It runs the same service as ``compliance hardware check``.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from compliance.errors import UsageError
from compliance.services.checks import today_utc
from web.dashboard.auth import requires
from web.dashboard.blueprint import arg, bp
from web.dashboard.forms import HardwareQuestionForm, choices
from web.dashboard.present import deciding_findings, group_findings
from web.dashboard.state import state


def _hardware_rows() -> list[dict[str, Any]]:
    from compliance.hardware.catalog import load_catalog
    from compliance.hardware.classify import classify
    from compliance.hardware.facts import hardware_row

    book = state().rulebook()
    today = today_utc()
    rows = []
    for acc in load_catalog():
        row = hardware_row(acc)
        row["classification"] = classify(acc, as_of=today, book=book)
        rows.append(row)
    return rows


def _answer(form: HardwareQuestionForm) -> dict[str, Any]:
    """The chip question's report (the JSON contract), from a validated form."""
    from compliance.check import CheckOptions
    from compliance.hardware.question import run_hardware_check

    options = CheckOptions(
        as_of=form.as_of.data or today_utc(),
        destination=(form.destination.data or "").strip(),
        hardware=f"{form.chip.data}x{form.count.data}",
        use_waivers=False,
    )
    return run_hardware_check(options, rulebook=state().rulebook()).to_dict()


@bp.route("/hardware", methods=["GET", "POST"])
@requires("viewer")
def hardware() -> Any:
    """The accelerator catalog with computed TPP, performance density and classification; a POST
    of the question form shows which chip rules a shipment triggers, with their citations."""
    rows = state().cached("hardware-rows", _hardware_rows)
    vendors = sorted({r["vendor"] for r in rows})
    vendor = arg("vendor", vendors)
    form = HardwareQuestionForm()
    form.chip.choices = choices((r["id"], f"{r['vendor']} {r['name']}") for r in rows)
    report = error = None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                report = _answer(form)
            except UsageError as exc:
                error = exc.one_line()
        else:
            error = "Please correct the fields marked below."
    return render_template(
        "dashboard/hardware.html",
        rows=[r for r in rows if not vendor or r["vendor"] == vendor],
        vendors=vendors,
        vendor=vendor,
        form=form,
        error=error,
        report=report,
        groups=group_findings(report["findings"]) if report else None,
        deciding=deciding_findings(report) if report else [],
    ), 400 if error else 200
