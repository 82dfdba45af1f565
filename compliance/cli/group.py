"""The command group. Core commands are listed here; the web package adds the service
commands (``serve``, ``worker``, ``beat``, ``db``, ``tokens``, ``users``, ``scan``) through the
``compliance.commands`` entry-point group, so the core never imports the web layer and a CI
gate run never pays for loading it.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from compliance import __version__

_CORE = {
    "inspect": "compliance.cli.check:inspect_command",
    "check": "compliance.cli.check:check_command",
    "rules": "compliance.cli.rules:rules_group",
    "hardware": "compliance.cli.hardware:hardware_group",
}


def _plugins() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="compliance.commands")}


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*_CORE, *_plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _CORE.get(cmd_name)
        if target is not None:
            module, _, attr = target.partition(":")
            command = getattr(importlib.import_module(module), attr)
            return command if isinstance(command, click.Command) else None
        plugin = _plugins().get(cmd_name)
        if plugin is None:
            return None
        command = plugin.load()
        return command if isinstance(command, click.Command) else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="compliance")
def cli() -> None:
    """Which export-control and open-release rules does a model trigger, and why?"""
