"""The argument parser: every core command and its options."""

from __future__ import annotations

import argparse
import functools
import os
import sys

from compliance import __version__
from compliance.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CORE_COMMANDS = ("inspect", "check", "rules", "hardware")
FORMATS = ("text", "json", "sarif", "junit", "markdown")
SEVERITIES = ("info", "low", "medium", "high", "critical")

EXIT_CODES = """exit codes:
  0  pass
  1  a triggered finding at or above --fail-on
  2  inconclusive: uncertain findings (unless --allow-uncertain), or the check could not complete
  3  model not found or not accessible
  4  usage, input or rule-set error
"""


@functools.cache
def _columns() -> int:
    """Terminal width as shutil.get_terminal_size computes it, without importing shutil.

    argparse builds a help formatter for every option it adds, and the formatter asks shutil for
    the width; shutil imports zlib, bz2 and lzma, which a CI gate would pay on every start.
    """
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class Parser(argparse.ArgumentParser):
    """argparse that raises our UsageError (exit 4) instead of exiting with 2."""

    def __init__(self, **kwargs: Any) -> None:
        formatter = kwargs.pop("formatter_class", argparse.HelpFormatter)
        width = _columns() - 2  # what HelpFormatter would compute
        super().__init__(formatter_class=functools.partial(formatter, width=width), **kwargs)

    def error(self, message: str) -> Any:  # argparse's signature says NoReturn
        if self.prog == "compliance check" and "PATH_OR_ID" in message:
            # `check --hardware H100x8 --destination CN` with no model: a chip question.
            message += "; to ask about chips without a model: compliance hardware check NAME[xCOUNT] --destination CC"
        raise UsageError(f"{self.prog}: {message} (see --help)")

    def format_help(self) -> str:
        text = super().format_help()
        if self.prog == "compliance":
            # Looked up only for help: reading entry points costs milliseconds on every start.
            names = sorted(plugin_commands())
            if names:
                text += "\nservice commands (from the web package): " + ", ".join(names) + "\n"
        return text


def plugin_commands() -> dict[str, Any]:
    """Commands contributed by other packages (the web service) through entry points."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="compliance.commands")}


def _target_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", metavar="PATH_OR_ID", help="model directory, or hub model ID ORG/NAME[@REVISION]")
    _fact_argument(p, "declare a fact (repeatable), overriding what is found; intervals as 8e24..2e25")
    p.add_argument("--facts", dest="facts_file", metavar="FILE.yaml", help="YAML mapping of declared facts")
    p.add_argument("--exact", action="store_true", help="also count parameters with transformers (extra 'exact')")
    p.add_argument("--endpoint", metavar="URL", help="hub endpoint (default: HF_ENDPOINT or huggingface.co)")
    p.add_argument("--offline", action="store_true", default=None, help="answer from the local hub cache only")
    p.add_argument(
        "--token",
        metavar="TOKEN",
        help="hub token (default: COMPLIANCE_HF_TOKEN or HF_TOKEN); with --server, the server's API token",
    )
    p.add_argument(
        "--thorough",
        action="store_true",
        help="hub models: also read config.json and safetensors headers to cross-check the hub's totals",
    )
    p.add_argument(
        "--reference",
        dest="references",
        action="append",
        default=[],
        metavar="MODEL_ID",
        help="hub models: compare the architecture with this model to find an undeclared base",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="show all evidence, alternatives and findings")


def _fact_argument(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--fact", dest="facts", action="append", default=[], metavar="KEY=VALUE", help=help)


def _check_arguments(p: argparse.ArgumentParser) -> None:
    _rule_arguments(p)
    p.add_argument("--destination", metavar="CC", help="destination country (ISO code or name)")
    p.add_argument("--hardware", metavar="NAME[xCOUNT]", help="target accelerator from the catalog, e.g. H100x8")
    p.add_argument(
        "--market",
        dest="markets",
        action="append",
        default=[],
        metavar="MARKET",
        help="market the model is placed on: EU, US-CA, US-NY, KR, CN (repeatable)",
    )
    p.add_argument("--open-weights", choices=("yes", "no"), help="will the weights be published?")
    p.add_argument("--revenue", type=float, metavar="USD", help="developer's annual revenue including affiliates")
    _decision_arguments(p)
    p.add_argument("--waivers", metavar="FILE.yaml", help="waivers: rule, model glob, reason, owner, expiry")
    p.add_argument("--no-waivers", action="store_true", help="ignore waivers and show everything (audit mode)")
    _output_arguments(p)
    p.add_argument("--server", metavar="URL", help="submit to a compliance server instead of checking locally")
    p.add_argument(
        "--server-token", metavar="TOKEN", help="API token for --server (default: --token, then COMPLIANCE_API_TOKEN)"
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for --server (default 600)")


def _rule_arguments(p: argparse.ArgumentParser, default: str = "all") -> None:
    p.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="ID_OR_PATH",
        help=f"rule sets to use (ids or YAML paths; repeatable or comma-separated); default: {default}",
    )
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="evaluate the law as it stood on this day (default today)")


def _decision_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="high",
        help="lowest severity of a triggered finding that fails the check (default: high)",
    )
    unc = p.add_mutually_exclusive_group()
    unc.add_argument(
        "--fail-on-uncertain",
        dest="fail_on_uncertain",
        action="store_true",
        default=True,
        help="uncertain findings make the check inconclusive, exit 2 (default)",
    )
    unc.add_argument(
        "--allow-uncertain",
        dest="fail_on_uncertain",
        action="store_false",
        help="uncertain findings are reported but do not change the exit code",
    )


def _output_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", dest="fmt", choices=FORMATS, default="text", help="report on standard output")
    p.add_argument(
        "--output",
        dest="outputs",
        action="append",
        default=[],
        metavar="FORMAT=PATH",
        help="also write a report to a file (repeatable), e.g. sarif=results.sarif",
    )


def build_parser(only: str | None = None) -> Parser:
    """The parser. ``only`` builds just that command's sub-parser: a CI gate starts this
    program thousands of times and should not pay for help text it never shows."""
    parser = Parser(prog="compliance", description="Which export-control and open-release rules does a model "
                    "trigger, and why?", formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog=EXIT_CODES)  # fmt: skip
    parser.add_argument("--version", action="version", version=f"compliance {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name, add in _COMMANDS.items():
        if only is None or only == name:
            add(sub)
    return parser


def _add_inspect(sub: Any) -> None:
    from compliance.cli import commands

    p = sub.add_parser("inspect", help="print the facts about a model, with evidence")
    _target_arguments(p)
    p.add_argument("--format", dest="fmt", choices=("text", "json"), default="text")
    p.set_defaults(handler=commands.inspect)


def _add_check(sub: Any) -> None:
    from compliance.cli import commands

    p = sub.add_parser("check", help="check a model against the rule sets (the CI gate)",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXIT_CODES)  # fmt: skip
    _target_arguments(p)
    _check_arguments(p)
    p.set_defaults(handler=commands.check)


def _add_rules(sub: Any) -> None:
    from compliance.cli import commands

    rules = sub.add_parser("rules", help="list, show, validate and test rule sets")
    rsub = rules.add_subparsers(title="rules commands", metavar="ACTION")
    r = rsub.add_parser("list", help="every rule with its status and dates")
    r.add_argument("--rules", action="append", default=[], metavar="ID_OR_PATH")
    r.add_argument("--format", dest="fmt", choices=("text", "json"), default="text")
    r.set_defaults(handler=commands.rules_list)
    r = rsub.add_parser("show", help="one rule in full, its condition in words")
    r.add_argument("rule_id")
    r.add_argument("--rules", action="append", default=[], metavar="ID_OR_PATH")
    r.add_argument("--format", dest="fmt", choices=("text", "json"), default="text")
    r.set_defaults(handler=commands.rules_show)
    r = rsub.add_parser("validate", help="load rule-set files and report every error")
    r.add_argument("paths", nargs="*", metavar="PATH")
    r.set_defaults(handler=commands.rules_validate)
    r = rsub.add_parser("test", help="run each rule's pass and fail cases")
    r.add_argument("paths", nargs="*", metavar="PATH")
    r.set_defaults(handler=commands.rules_test)
    rules.set_defaults(handler=_help_of(rules))


def _add_hardware(sub: Any) -> None:
    from compliance.cli import commands

    hw = sub.add_parser("hardware", help="the accelerator catalog with computed TPP and density")
    hsub = hw.add_subparsers(title="hardware commands", metavar="ACTION")
    h = hsub.add_parser("list", help="every accelerator")
    h.add_argument("--format", dest="fmt", choices=("text", "json"), default="text")
    h.add_argument("--as-of", metavar="YYYY-MM-DD")
    h.set_defaults(handler=commands.hardware_list)
    h = hsub.add_parser("show", help="one accelerator and how the chip rules classify it")
    h.add_argument("name")
    h.add_argument("--format", dest="fmt", choices=("text", "json"), default="text")
    h.add_argument("--as-of", metavar="YYYY-MM-DD")
    h.set_defaults(handler=commands.hardware_show)
    h = hsub.add_parser("check", help="which chip rules a shipment of accelerators triggers (no model needed)",
                        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXIT_CODES)  # fmt: skip
    h.add_argument("spec", metavar="NAME[xCOUNT]", help="accelerator from the catalog and how many, e.g. H100x8")
    h.add_argument("--destination", metavar="CC", required=True, help="destination country (ISO code or name)")
    _fact_argument(h, "declare a figure the catalog lacks (repeatable), e.g. hardware_performance_density=4")
    _rule_arguments(h, default="every rule about chips")
    _decision_arguments(h)
    _output_arguments(h)
    h.add_argument("-v", "--verbose", action="store_true", help="show all evidence and findings")
    h.set_defaults(handler=commands.hardware_check)
    hw.set_defaults(handler=_help_of(hw))


_COMMANDS = {"inspect": _add_inspect, "check": _add_check, "rules": _add_rules, "hardware": _add_hardware}


def _help_of(parser: argparse.ArgumentParser) -> Any:
    def show(ns: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    return show
