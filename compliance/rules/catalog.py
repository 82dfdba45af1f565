"""Pure functions behind ``compliance rules list | show | validate``; the CLI only prints them."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compliance.errors import RuleSetError
from compliance.rules.book import RuleBook, RuleSetInfo
from compliance.rules.cases import load_cases
from compliance.rules.compiler import GroupResolver, facts_read
from compliance.rules.describe import describe
from compliance.rules.loader import load_rulesets
from compliance.rules.plain import Condition
from compliance.rules.problems import Problems


def list_rules(book: RuleBook) -> list[dict[str, Any]]:
    """One row per rule, in book order, with the columns a table needs."""
    rows: list[dict[str, Any]] = []
    for rule in book.rules:
        spec = rule.spec
        rows.append(
            {
                "id": spec.id,
                "ruleset": rule.ruleset.id,
                "jurisdiction": rule.ruleset.jurisdiction,
                "title": spec.title,
                "status": spec.status,
                "effective_from": spec.effective_from.isoformat() if spec.effective_from else None,
                "effective_until": spec.effective_until.isoformat() if spec.effective_until else None,
                "severity": spec.severity,
                "effect": spec.effect["type"],
                "sourcing": spec.sourcing,
            }
        )
    return rows


def show_rule(book: RuleBook, rule_id: str) -> dict[str, Any]:
    """Everything about one rule: its fields, its conditions as data and in words, its rule set."""
    rule = book.rule(rule_id)
    spec = rule.spec
    out = copy.deepcopy(dict(spec.data))
    out["when"] = _condition_dict(spec.when)
    out["when_text"] = describe(spec.when, rule.named)
    if spec.unless is not None:
        out["unless"] = _condition_dict(spec.unless)
        out["unless_text"] = describe(spec.unless, rule.named)
    used = facts_read(spec.when, rule.named)
    if spec.unless is not None:
        used |= facts_read(spec.unless, rule.named)
    out["facts"] = sorted(used)
    out["ruleset"] = rule.ruleset.to_dict()
    return out


def _condition_dict(cond: Condition) -> dict[str, Any]:
    return copy.deepcopy(dict(cond.data))


def validate_paths(
    paths: Sequence[Path] | None = None, *, group_resolver: GroupResolver | None = None
) -> list[RuleSetInfo]:
    """Load rule sets and their cases files, raising RuleSetError on the first defect.

    Returns the identity of each valid rule set; the cases themselves are only parsed here
    (``compliance rules test`` runs them).
    """
    infos, problems = find_problems(paths, group_resolver=group_resolver)
    if problems:
        raise problems[0]
    return infos


def find_problems(
    paths: Sequence[Path] | None = None, *, group_resolver: GroupResolver | None = None
) -> tuple[list[RuleSetInfo], list[RuleSetError]]:
    """Every defect of the rule-set files and their cases files in one pass: each file's schema
    errors, each rule and named condition that does not compile, duplicates and dangling links
    across files, each faulty case. Returns the rule sets with no defect (their cases included)
    and the problems, in the order found."""
    problems = Problems(collect=True)
    book = load_rulesets(paths, group_resolver=group_resolver, problems=problems)
    valid: list[RuleSetInfo] = []
    for info in book.rulesets:
        before = problems.count()
        load_cases(book, info.id, problems=problems)
        if problems.count() == before:
            valid.append(info)
    return valid, problems.found
