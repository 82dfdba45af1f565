"""Command handlers: turn parsed arguments into service calls and print the result."""

from __future__ import annotations

import sys
from pathlib import Path

from compliance.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from datetime import date
    from typing import Any


def _out(text: str) -> None:
    sys.stdout.write(text)


def split_values(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_date(value: str | None, option: str = "--as-of") -> date:
    """A YYYY-MM-DD option value, or today."""
    from datetime import date

    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} expects a date YYYY-MM-DD, got {value!r}") from None


def _inspection(ns: argparse.Namespace) -> Any:
    from compliance.inspection import catalog_peak_lookup, inspect_local
    from compliance.targets import parse_target

    _endpoint(ns)  # a malformed --endpoint is refused even when this check never asks the hub
    declared = []
    if ns.facts_file or ns.facts:
        from compliance.facts.declared import load_facts_file, parse_fact_option

        if ns.facts_file:
            declared.extend(load_facts_file(Path(ns.facts_file)))
        declared.extend(parse_fact_option(f) for f in ns.facts)
    target = parse_target(ns.target)
    peaks = catalog_peak_lookup()
    if target.path is not None:
        return inspect_local(target.path, declared=declared, peak_lookup=peaks, use_exact=ns.exact,
                             base_lookup=_hub_base_lookup(ns, peaks))  # fmt: skip
    from compliance.hub.inspect import inspect_hub

    settings = _hub_settings(ns)
    from compliance.targets import validate_model_id

    references = [validate_model_id(r) for r in ns.references]
    return inspect_hub(target, settings, declared=declared, peak_lookup=peaks, use_exact=ns.exact,
                       thorough=ns.thorough, references=references)  # fmt: skip


def _endpoint(ns: argparse.Namespace) -> str | None:
    """``--endpoint`` checked as an http(s) URL (exit 4 otherwise), or None when not given."""
    if ns.endpoint is None:
        return None
    from compliance.settings import http_url

    return http_url(ns.endpoint, "--endpoint")


def _hub_settings(ns: argparse.Namespace) -> Any:
    from compliance.settings import load_settings

    return load_settings().with_overrides(hf_endpoint=_endpoint(ns), hub_offline=ns.offline, hf_token=ns.token)


def _hub_base_lookup(ns: argparse.Namespace, peaks: Any) -> Any:
    """Looks up the base a local model's card names, on the hub ``--endpoint``/``--offline``/``--token``
    select; settings and the hub client are loaded only when a base is named."""

    def lookup(model_id: str, art: Any, declared: Any) -> Any:
        from compliance.hub.local import look_up_bases

        return look_up_bases(model_id, art, declared, _hub_settings(ns), peak_lookup=peaks)

    return lookup


def inspect(ns: argparse.Namespace) -> int:
    """``compliance inspect``."""
    from compliance.report.model import Report
    from compliance.report.render import render

    report = Report.for_inspection(_inspection(ns)).to_dict()
    _out(render(report, ns.fmt, verbose=ns.verbose))
    return 0


def parse_outputs(outputs: list[str]) -> list[tuple[str, Path]]:
    from compliance.cli.parser import FORMATS

    parsed = []
    for item in outputs:
        fmt, sep, path = item.partition("=")
        if not sep or fmt not in FORMATS or not path:
            raise UsageError(f"--output expects FORMAT=PATH with FORMAT one of {', '.join(FORMATS)}, got {item!r}")
        parsed.append((fmt, Path(path)))
    return parsed


def check_options(ns: argparse.Namespace) -> Any:
    """Validate the check options into a CheckOptions."""
    from compliance.check import MARKETS, CheckOptions

    markets = [m.upper() for m in split_values(ns.markets)]
    unknown = [m for m in markets if m not in MARKETS]
    if unknown:
        raise UsageError(f"unknown market {unknown[0]!r}; choose from {', '.join(MARKETS)}")
    if ns.revenue is not None and not 0 <= ns.revenue < 1e15:
        raise UsageError("--revenue must be a non-negative amount in USD")
    return CheckOptions(
        as_of=parse_date(ns.as_of),
        rules=split_values(ns.rules),
        destination=ns.destination,
        markets=markets,
        hardware=ns.hardware,
        open_weights=None if ns.open_weights is None else ns.open_weights == "yes",
        developer_revenue_usd=ns.revenue,
        fail_on=ns.fail_on,
        fail_on_uncertain=ns.fail_on_uncertain,
        waivers_path=Path(ns.waivers) if ns.waivers else None,
        use_waivers=not ns.no_waivers,
        today=parse_date(None),
    )


def check(ns: argparse.Namespace) -> int:
    """``compliance check``: the CI gate."""
    outputs = parse_outputs(ns.outputs)
    options = check_options(ns)
    if ns.server:
        from compliance.remote import check_remote

        report = check_remote(ns, options)
    else:
        from compliance.check import run_check

        report = run_check(_inspection(ns), options).to_dict()
    return emit_report(report, outputs, ns)


def emit_report(report: dict[str, Any], outputs: list[tuple[str, Path]], ns: argparse.Namespace) -> int:
    """Write a check's report to each ``--output`` file and, as ``--format``, to standard output;
    returns the check's exit code."""
    from compliance.report.render import render

    for fmt, path in outputs:
        try:
            path.write_text(render(report, fmt), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    _out(render(report, ns.fmt, verbose=ns.verbose))
    return int(report["summary"]["exit_code"])


def rules_list(ns: argparse.Namespace) -> int:
    """``compliance rules list``."""
    from compliance.cli.rules import list_rules

    return list_rules(ns)


def rules_show(ns: argparse.Namespace) -> int:
    """``compliance rules show``."""
    from compliance.cli.rules import show_rule

    return show_rule(ns)


def rules_validate(ns: argparse.Namespace) -> int:
    """``compliance rules validate``."""
    from compliance.cli.rules import validate

    return validate(ns)


def rules_test(ns: argparse.Namespace) -> int:
    """``compliance rules test``."""
    from compliance.cli.rules import test_cases

    return test_cases(ns)


def hardware_list(ns: argparse.Namespace) -> int:
    """``compliance hardware list``."""
    from compliance.cli.hardware import list_hardware

    return list_hardware(ns)


def hardware_show(ns: argparse.Namespace) -> int:
    """``compliance hardware show``."""
    from compliance.cli.hardware import show_hardware

    return show_hardware(ns)


def hardware_check(ns: argparse.Namespace) -> int:
    """``compliance hardware check``."""
    from compliance.cli.hardware import check_hardware

    return check_hardware(ns)
