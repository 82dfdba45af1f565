"""The ``compliance`` command line: a thin layer over the services.

Exit codes are part of the contract (see ``compliance.errors.ExitCode``): 0 pass, 1 a
triggered finding at or above ``--fail-on``, 2 inconclusive (uncertain findings, or the check
could not complete), 3 model not found or not accessible, 4 usage, input or rule-set error.
Errors print one line, never a traceback.

The parser is the standard library's argparse: a CI gate starts this program thousands of
times, and argparse costs a millisecond to import where richer CLI frameworks cost tens. Core
commands are defined in this package; the web package adds the service commands (``serve``,
``worker``, ``beat``, ``db``, ``tokens``, ``users``, ``scan``) through the
``compliance.commands`` entry-point group, so the core never imports the web layer.
"""

from __future__ import annotations

import sys

from compliance.errors import ComplianceError, ExitCode, UsageError


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run a command and exit with its code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code = run(args)
    except ComplianceError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        code = int(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # a bug: still one line and a defined exit code, never a traceback
        from compliance.settings import debug_enabled

        if debug_enabled():
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (set COMPLIANCE_DEBUG=1 for details)", file=sys.stderr)
        code = int(ExitCode.INCONCLUSIVE)
    sys.stdout.flush()
    sys.exit(code)


def run(args: list[str]) -> int:
    """Parse ``args`` and run the command; returns the exit code (errors propagate)."""
    from compliance.cli.parser import CORE_COMMANDS, build_parser, plugin_commands

    if args and not args[0].startswith("-") and args[0] not in CORE_COMMANDS:
        plugin = plugin_commands().get(args[0])
        if plugin is not None:
            return int(plugin.load()(args[1:]) or 0)
    parser = build_parser(only=args[0] if args and args[0] in CORE_COMMANDS else None)
    namespace = parser.parse_args(args)
    handler = getattr(namespace, "handler", None)
    if handler is None:
        parser.print_help()
        raise UsageError("no command given")
    return int(handler(namespace) or 0)
