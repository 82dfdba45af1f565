"""Rule sets as dated law, and the engine that evaluates them.

Typical use::

    book = load_rulesets()                       # every shipped rule set, validated and compiled
    findings = book.evaluate(facts, as_of=date.today(), markets=["EU"], destination="AE")
    notes = apply_waivers(findings, "org/model", load_waivers(path), date.today())
    outcome, exit_code = decide(findings, fail_on=Severity.HIGH, fail_on_uncertain=True)

Evaluation is three-valued: numeric facts are intervals, so a rule is ``triggered``,
``not_triggered`` or ``uncertain`` (the interval straddles a threshold, or a fact is unknown);
a rule outside the run's date, status, market or destination scope is ``not_applicable`` and
still carries its ``what_if`` verdict.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compliance.rules.book import CompiledRule, RuleBook, RuleSetInfo
    from compliance.rules.cases import CaseResult, coverage_gaps, run_cases
    from compliance.rules.catalog import list_rules, show_rule, validate_paths
    from compliance.rules.compiler import GroupResolver
    from compliance.rules.describe import describe
    from compliance.rules.findings import Finding, Severity, Status, Verdict
    from compliance.rules.gate import Outcome, decide, tally
    from compliance.rules.loader import default_rules_dir, load_rulesets
    from compliance.rules.waivers import Waiver, apply_waivers, load_waivers

# Names are imported on first use: ``import compliance.rules.gate`` (the check path) must not
# pull in the cases runner, the catalog or the waiver schema, each of which imports pydantic.
_EXPORTS = {
    "book": ("CompiledRule", "RuleBook", "RuleSetInfo"),
    "cases": ("CaseResult", "coverage_gaps", "run_cases"),
    "catalog": ("list_rules", "show_rule", "validate_paths"),
    "compiler": ("GroupResolver",),
    "describe": ("describe",),
    "findings": ("Finding", "Severity", "Status", "Verdict"),
    "gate": ("Outcome", "decide", "tally"),
    "loader": ("default_rules_dir", "load_rulesets"),
    "waivers": ("Waiver", "apply_waivers", "load_waivers"),
}
_HOMES = {name: home for home, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


__all__ = [
    "CaseResult",
    "CompiledRule",
    "Finding",
    "GroupResolver",
    "Outcome",
    "RuleBook",
    "RuleSetInfo",
    "Severity",
    "Status",
    "Verdict",
    "Waiver",
    "apply_waivers",
    "coverage_gaps",
    "decide",
    "default_rules_dir",
    "describe",
    "list_rules",
    "load_rulesets",
    "load_waivers",
    "run_cases",
    "show_rule",
    "tally",
    "validate_paths",
]
