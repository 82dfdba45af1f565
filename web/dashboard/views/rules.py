"""Rule sets and hardware: every rule with its condition in words; the accelerator catalog."""

from __future__ import annotations

from typing import Any

from flask import render_template

from compliance.services.checks import today_utc
from web.dashboard.auth import requires
from web.dashboard.blueprint import arg, bp
from web.dashboard.state import state


def _rule_rows() -> list[dict[str, Any]]:
    from compliance.rules.catalog import show_rule

    book = state().rulebook()
    return [show_rule(book, rule.id) for rule in book.rules]


@bp.route("/rules")
@requires("viewer")
def rules() -> Any:
    """Every rule, by rule set: condition in words, citation, status and dates."""
    found = state()
    book = found.rulebook()
    rows = found.cached("rule-rows", _rule_rows)
    ruleset_ids = [rs.id for rs in book.rulesets]
    chosen = arg("ruleset", ruleset_ids)
    shown = [r for r in rows if not chosen or r["ruleset"]["id"] == chosen]
    return render_template("dashboard/rules.html", rulesets=book.rulesets, rows=shown, chosen=chosen, total=len(rows))


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


@bp.route("/hardware")
@requires("viewer")
def hardware() -> Any:
    """The accelerator catalog with computed TPP, performance density and classification."""
    rows = state().cached("hardware-rows", _hardware_rows)
    vendor = arg("vendor", sorted({r["vendor"] for r in rows}))
    shown = [r for r in rows if not vendor or r["vendor"] == vendor]
    return render_template(
        "dashboard/hardware.html", rows=shown, vendors=sorted({r["vendor"] for r in rows}), vendor=vendor
    )
