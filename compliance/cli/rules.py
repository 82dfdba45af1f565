"""``compliance rules list|show|validate|test``: for rule authors and reviewers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from compliance.errors import ExitCode


def _book(rules: list[str]) -> Any:
    from compliance.check import load_rulebook

    paths = [Path(r) for r in rules if r.endswith((".yaml", ".yml")) or "/" in r]
    ids = [r for r in rules if r not in {str(p) for p in paths}]
    book = load_rulebook(paths or None)
    return book.select(ids) if ids else book


def list_rules(ns: argparse.Namespace) -> int:
    """Every rule with its rule set, status, dates and severity."""
    from compliance.rules.catalog import list_rules as rows_of

    rows = rows_of(_book([p for r in ns.rules for p in r.split(",") if p]))
    if ns.fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    out = sys.stdout
    out.write(f"{'rule':<44} {'jur.':<6} {'status':<13} {'from':<10} {'until':<10} {'severity':<8} title\n")
    for r in rows:
        out.write(f"{r['id']:<44} {r['jurisdiction']:<6} {r['status']:<13} {r['effective_from'] or '-':<10} "
                  f"{r['effective_until'] or '-':<10} {r['severity']:<8} {r['title']}\n")  # fmt: skip
    out.write(f"{len(rows)} rules\n")
    return 0


def show_rule(ns: argparse.Namespace) -> int:
    """One rule in full, with its condition in words."""
    from compliance.rules.catalog import show_rule as show

    data = show(_book([p for r in ns.rules for p in r.split(",") if p]), ns.rule_id)
    if ns.fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
        return 0
    out = sys.stdout
    out.write(f"{data['id']}  {data['title']}\n")
    ruleset = data["ruleset"]
    out.write(f"  rule set      {ruleset['id']} {ruleset['version']} ({ruleset['jurisdiction']})\n")
    for key in ("citation", "link", "status", "effective_from", "effective_until", "severity", "sourcing"):
        if data.get(key) is not None:
            out.write(f"  {key:<13} {data[key]}\n")
    out.write(f"  effect        {json.dumps(data.get('effect'))}\n")
    out.write(f"  when          {data['when_text']}\n")
    if data.get("unless_text"):
        out.write(f"  unless        {data['unless_text']}\n")
    out.write(f"  facts used    {', '.join(data['facts'])}\n")
    out.write(f"\n  {data.get('message', '')}\n")
    return 0


def validate(ns: argparse.Namespace) -> int:
    """Load and validate rule-set files (and their cases), reporting every problem of every
    file in one run, each naming its file and place; any problem exits 4."""
    from compliance.hardware.destinations import group_members
    from compliance.rules.catalog import find_problems

    infos, problems = find_problems([Path(p) for p in ns.paths] or None, group_resolver=group_members)
    for info in infos:
        sys.stdout.write(f"ok  {info.id} {info.version}  sha256 {info.sha256[:12]}  {info.path}\n")
    for problem in problems:
        sys.stderr.write(f"error: {problem.one_line()}\n")
    if not problems:
        return 0
    if len(problems) > 1:  # one problem reads as any other error: one line
        files = len({p.source for p in problems})
        sys.stderr.write(f"{len(problems)} problems in {files} file{'s' if files > 1 else ''}\n")
    return int(ExitCode.INPUT)


def test_cases(ns: argparse.Namespace) -> int:
    """Run every rule's pass and fail cases; exit 1 when one fails or a rule lacks cases."""
    from compliance.rules.cases import coverage_gaps, run_cases

    book = _book(list(ns.paths))
    results = run_cases(book)
    failed = [r for r in results if not r.passed]
    for r in failed:
        sys.stdout.write(f"FAIL {r.rule}: {r.name}: expected {r.expected}, got {r.actual}"
                         f"{f' ({r.reason})' if r.reason else ''}  [{r.source}]\n")  # fmt: skip
    gaps = coverage_gaps(book)
    for gap in gaps:
        sys.stdout.write(f"GAP  {gap}\n")
    sys.stdout.write(f"{len(results) - len(failed)} passed, {len(failed)} failed\n")
    return int(ExitCode.FAIL) if failed or gaps else 0
