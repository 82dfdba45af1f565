"""``compliance inspect`` and ``compliance check``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from compliance.errors import UsageError
from compliance.report.render import FORMATS

SEVERITIES = ("info", "low", "medium", "high", "critical")


def _target_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("target", metavar="PATH_OR_ID"),
        click.option("--fact", "facts", multiple=True, metavar="KEY=VALUE",
                      help="Declare a fact (repeatable); overrides what is found. Intervals: 8e24..2e25."),
        click.option("--facts", "facts_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="YAML mapping of declared facts."),
        click.option("--exact", is_flag=True, help="Also count parameters with transformers (extra 'exact')."),
        click.option("--endpoint", metavar="URL", help="Hub endpoint (default: HF_ENDPOINT or huggingface.co)."),
        click.option("--offline", is_flag=True, default=None, help="Answer from the local hub cache only."),
        click.option("--verbose", "-v", is_flag=True, help="Show all evidence, alternatives and findings."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _inspect(target: str, facts: tuple[str, ...], facts_file: Path | None, exact: bool,
             endpoint: str | None, offline: bool | None) -> Any:  # fmt: skip
    from compliance.facts.declared import load_facts_file, parse_fact_option
    from compliance.inspection import catalog_peak_lookup, inspect_local
    from compliance.settings import load_settings
    from compliance.targets import parse_target

    settings = load_settings().with_overrides(hf_endpoint=endpoint, hub_offline=offline)
    declared = [parse_fact_option(f) for f in facts]
    if facts_file is not None:
        declared = load_facts_file(facts_file) + declared
    parsed = parse_target(target)
    peaks = catalog_peak_lookup()
    if parsed.path is not None:
        return inspect_local(parsed.path, declared=declared, peak_lookup=peaks, use_exact=exact)
    from compliance.hub.inspect import inspect_hub

    return inspect_hub(parsed, settings, declared=declared, peak_lookup=peaks, use_exact=exact)


@click.command("inspect")
@_target_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def inspect_command(target: str, facts: tuple[str, ...], facts_file: Path | None, exact: bool,
                    endpoint: str | None, offline: bool | None, verbose: bool, fmt: str) -> int:  # fmt: skip
    """Print the facts about a model directory or hub model ID, with their evidence."""
    from compliance.report.model import Report
    from compliance.report.render import render

    inspection = _inspect(target, facts, facts_file, exact, endpoint, offline)
    click.echo(render(Report.for_inspection(inspection).to_dict(), fmt, verbose=verbose), nl=False)
    return 0


def _parse_outputs(outputs: tuple[str, ...]) -> list[tuple[str, Path]]:
    parsed = []
    for item in outputs:
        fmt, sep, path = item.partition("=")
        if not sep or fmt not in FORMATS or not path:
            raise UsageError(f"--output expects FORMAT=PATH with FORMAT one of {', '.join(FORMATS)}, got {item!r}")
        parsed.append((fmt, Path(path)))
    return parsed


def _parse_date(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of expects a date YYYY-MM-DD, got {value!r}") from None


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.command("check")
@_target_options
@click.option(
    "--rules",
    "rules",
    multiple=True,
    metavar="ID_OR_PATH",
    help="Rule sets to use (ids or YAML paths, repeatable or comma-separated); default: all.",
)
@click.option("--as-of", "as_of", metavar="DATE", help="Evaluate the law as it stood on this day (default today).")
@click.option("--destination", metavar="CC", help="Destination country (ISO code or name).")
@click.option("--hardware", metavar="NAME[xCOUNT]", help="Target accelerator from the catalog, e.g. H100x8.")
@click.option(
    "--market",
    "markets",
    multiple=True,
    metavar="MARKET",
    help="Market the model is placed on: EU, US-CA, US-NY, KR, CN (repeatable).",
)
@click.option("--open-weights", type=click.Choice(["yes", "no"]), help="Will the weights be published?")
@click.option("--revenue", type=float, metavar="USD", help="Developer's annual revenue including affiliates.")
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default="high",
    show_default=True,
    help="Lowest severity of a triggered finding that fails the check (exit 1).",
)
@click.option(
    "--fail-on-uncertain/--allow-uncertain",
    default=True,
    show_default=True,
    help="Whether uncertain findings make the check inconclusive (exit 2).",
)
@click.option("--waivers", "waivers", type=click.Path(dir_okay=False, path_type=Path), help="Waivers YAML file.")
@click.option("--no-waivers", is_flag=True, help="Ignore waivers: show everything (audit mode).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="FORMAT=PATH",
    help="Also write a report to a file (repeatable), e.g. sarif=out.sarif.",
)
def check_command(target: str, facts: tuple[str, ...], facts_file: Path | None, exact: bool,
                  endpoint: str | None, offline: bool | None, verbose: bool, rules: tuple[str, ...],
                  as_of: str | None, destination: str | None, hardware: str | None, markets: tuple[str, ...],
                  open_weights: str | None, revenue: float | None, fail_on: str, fail_on_uncertain: bool,
                  waivers: Path | None, no_waivers: bool, fmt: str, outputs: tuple[str, ...]) -> int:  # fmt: skip
    """Check a model against the rule sets; the exit code says what to do.

    \b
    Exit codes: 0 pass; 1 a triggered finding at or above --fail-on;
    2 inconclusive (uncertain findings, unless --allow-uncertain);
    3 model not found or not accessible; 4 usage, input or rule-set error.
    """
    from compliance.check import MARKETS, CheckOptions, run_check
    from compliance.report.render import render

    market_list = [m.upper() for m in _split(markets)]
    unknown = [m for m in market_list if m not in MARKETS]
    if unknown:
        raise UsageError(f"unknown market {unknown[0]!r}; choose from {', '.join(MARKETS)}")
    if revenue is not None and revenue < 0:
        raise UsageError("--revenue must not be negative")
    targets = _parse_outputs(outputs)
    options = CheckOptions(
        as_of=_parse_date(as_of),
        rules=_split(rules),
        destination=destination,
        markets=market_list,
        hardware=hardware,
        open_weights=None if open_weights is None else open_weights == "yes",
        developer_revenue_usd=revenue,
        fail_on=fail_on,
        fail_on_uncertain=fail_on_uncertain,
        waivers_path=waivers,
        use_waivers=not no_waivers,
        today=date.today(),
    )
    inspection = _inspect(target, facts, facts_file, exact, endpoint, offline)
    report = run_check(inspection, options).to_dict()
    for out_fmt, path in targets:
        try:
            path.write_text(render(report, out_fmt), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    click.echo(render(report, fmt, verbose=verbose), nl=False)
    return int(report["summary"]["exit_code"])
