"""The ``compliance`` command line: a thin layer over the services.

Exit codes are part of the contract (see ``compliance.errors.ExitCode``): 0 pass, 1 a
triggered finding at or above ``--fail-on``, 2 inconclusive, 3 model not found or not
accessible, 4 usage, input or rule-set error. Errors print one line, never a traceback.
"""

from __future__ import annotations

import sys

import click

from compliance.errors import ComplianceError, ExitCode


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    from compliance.cli.group import cli

    try:
        code = cli.main(args=argv, prog_name="compliance", standalone_mode=False)
    except ComplianceError as exc:
        click.echo(f"error: {exc.one_line()}", err=True)
        sys.exit(int(exc.exit_code))
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(int(ExitCode.INPUT))
    except click.ClickException as exc:
        # Click's usage errors exit 2 by default; ours are 4 (2 means inconclusive).
        exc.show()
        sys.exit(int(ExitCode.INPUT))
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(code if isinstance(code, int) else 0)
