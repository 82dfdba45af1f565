"""``python -m web COMMAND ...``: the service commands without going through the entry points.

The same commands as ``compliance serve|worker|beat|db|tokens|users|scan`` (which find them
through the ``compliance.commands`` entry-point group); ``make run`` and the tests start
processes this way so they work before the package's metadata is reinstalled. Errors print one
line and exit with the project's codes, as ``compliance`` does.
"""

from __future__ import annotations

import sys

COMMANDS = ("serve", "worker", "beat", "db", "tokens", "users", "scan")


def main(argv: list[str] | None = None) -> int:
    """Run one service command; returns its exit code."""
    from compliance.errors import ComplianceError
    from compliance.settings import debug_enabled

    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] not in COMMANDS:
        print(f"usage: python -m web {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 4
    from web import cli

    try:
        return int(getattr(cli, args[0])(args[1:]) or 0)
    except ComplianceError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line and a defined exit code, as `compliance` does
        if debug_enabled():
            raise
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
