"""The check service: inspect a model, add the deployment context, evaluate rules, decide.

The CLI, the API and the workers all call :func:`run_check`; they differ only in how they
collect the options and where they send the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from compliance.facts.model import Confidence, Evidence, Fact, FactSet
from compliance.inspection import Inspection
from compliance.report.model import Report, Summary

MARKETS = ("EU", "US-CA", "US-NY", "KR", "CN")


@dataclass(slots=True)
class CheckOptions:
    """Everything a check needs besides the model."""

    as_of: date
    rules: Sequence[str] = ()  # rule-set ids or paths; empty: all shipped
    destination: str | None = None
    markets: Sequence[str] = ()
    hardware: str | None = None  # NAME[xCOUNT]
    open_weights: bool | None = None
    developer_revenue_usd: float | None = None
    fail_on: str = "high"
    fail_on_uncertain: bool = True
    waivers_path: Path | None = None
    waivers: list[Any] = field(default_factory=list)  # compliance.rules.waivers.Waiver, e.g. from the database
    use_waivers: bool = True
    today: date | None = None  # for waiver expiry; defaults to as_of
    extra_context: list[Fact] = field(default_factory=list)


def context_facts(options: CheckOptions) -> list[Fact]:
    """Facts that describe the deployment rather than the model."""
    # The country table and the hardware catalog are imported only when asked for (they cost
    # more than reading a model's headers).
    out: list[Fact] = []
    if options.destination:
        from compliance.hardware.destinations import destination_facts, resolve_country

        out.extend(destination_facts(resolve_country(options.destination)))
    if options.hardware:
        from compliance.hardware.catalog import hardware_facts, load_catalog, parse_hardware_spec

        accelerator, count = parse_hardware_spec(options.hardware, load_catalog())
        out.extend(hardware_facts(accelerator, count))
    if options.markets:
        out.append(_declared("markets", list(options.markets), f"--market {','.join(options.markets)}"))
    if options.open_weights is not None:
        out.append(_declared("open_weights", options.open_weights, f"--open-weights {options.open_weights}"))
    if options.developer_revenue_usd is not None:
        out.append(_declared("developer_revenue_usd", options.developer_revenue_usd, "--revenue"))
    out.extend(options.extra_context)
    return out


def _declared(name: str, value: Any, detail: str) -> Fact:
    return Fact(name, value, confidence=Confidence.CONFIDENT, method="declared",
                evidence=[Evidence("declared", "command line", detail)])  # fmt: skip


def load_rulebook(paths: Sequence[Path] | None = None) -> Any:
    """The shipped rule sets (or those at ``paths``), with country groups resolved from the catalog.

    Validated files are cached (:func:`compliance.settings.rules_cache_dir`), so a run whose rule
    files are unchanged skips YAML and the schema."""
    from compliance.rules.loader import load_rulesets
    from compliance.settings import rules_cache_dir

    return load_rulesets(paths, group_resolver=_group_members, cache_dir=rules_cache_dir())


def _group_members(group: str) -> frozenset[str]:
    # The country-group table is read only when a rule names a group (no shipped rule does).
    from compliance.hardware.destinations import group_members

    return group_members(group)


def run_check(inspection: Inspection, options: CheckOptions, *, rulebook: Any = None, narrow: Any = None) -> Report:
    """Evaluate the rule sets against an inspected model and decide the outcome.

    ``narrow`` (book -> book), when given, narrows the selected book further: a hardware
    question keeps only the chip rules (:mod:`compliance.hardware.question`)."""
    from compliance.report.caveats import caveats
    from compliance.report.findings import importance
    from compliance.rules.gate import decide, deciding, tally

    facts = FactSet({f.name: f for f in inspection.facts})
    for fact in context_facts(options):  # the deployment context, as given, wins over anything found
        facts.set(fact)
    book = rulebook if rulebook is not None else load_rulebook(_paths(options.rules))
    if options.rules:
        book = book.select(
            [r for r in options.rules if not _is_path(r)] + [Path(r) for r in options.rules if _is_path(r)]
        )
    if narrow is not None:
        book = narrow(book)
    findings = book.evaluate(
        facts,
        as_of=options.as_of,
        markets=list(options.markets) or None,
        destination=facts.value("destination_country"),
    )
    report = Report.for_inspection(inspection)
    report.facts = facts
    if options.use_waivers and (options.waivers_path is not None or options.waivers):
        # Imported only when there are waivers: their file schema needs pydantic and YAML.
        from compliance.rules.waivers import apply_waivers, load_waivers

        waivers = list(options.waivers)
        if options.waivers_path is not None:
            waivers += load_waivers(options.waivers_path)
        report.notes.extend(apply_waivers(findings, inspection.model.id, waivers, options.today or options.as_of))
    outcome, exit_code = decide(findings, fail_on=options.fail_on, fail_on_uncertain=options.fail_on_uncertain)
    # Every output lists findings most important first, so the JSON does too.
    findings.sort(key=lambda f: importance(f.verdict.value, f.severity.value, f.rule_id))
    decided_by = deciding(findings, fail_on=options.fail_on, outcome=outcome)
    report.findings = findings
    report.rulesets = [rs.to_dict() for rs in book.rulesets]
    report.as_of = options.as_of
    report.summary = Summary(
        outcome=str(outcome),
        exit_code=int(exit_code),
        counts=tally(findings),
        fail_on=options.fail_on,
        fail_on_uncertain=options.fail_on_uncertain,
        deciding=[f.rule_id for f in decided_by],
        caveats=caveats(report.warnings, facts, decided_by),
    )
    report.context = {
        "destination": facts.value("destination_country"),
        "markets": list(options.markets),
        "hardware": options.hardware,
        "open_weights": options.open_weights,
        "developer_revenue_usd": options.developer_revenue_usd,
        "rules": list(options.rules),
        "waivers": _waiver_source(options),
    }
    return report


def _is_path(item: str) -> bool:
    return item.endswith((".yaml", ".yml")) or "/" in item


def _paths(rules: Sequence[str]) -> list[Path] | None:
    """Rule-set files named by path: loaded besides the shipped ones so they can be selected."""
    from compliance.rules.loader import rule_set_files

    extra = [Path(r) for r in rules if _is_path(r)]
    return [*rule_set_files(None), *extra] if extra else None


def _waiver_source(options: CheckOptions) -> str | None:
    if not options.use_waivers:
        return None
    sources = ([str(options.waivers_path)] if options.waivers_path else []) + (
        ["stored waivers"] if options.waivers else []
    )
    return ", ".join(sources) or None
