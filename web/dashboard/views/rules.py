"""Rule sets: every rule with its condition in words."""

from __future__ import annotations

from typing import Any

from flask import render_template

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
