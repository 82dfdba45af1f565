"""Dispatch a report dict to the renderer of a format."""

from __future__ import annotations

import importlib
import json

from compliance.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FORMATS = ("text", "json", "sarif", "junit", "markdown")


def render(report: dict[str, Any], fmt: str, *, verbose: bool = False) -> str:
    """Render the report contract in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        # ASCII-only: a lone surrogate smuggled in through a JSON config cannot break the write.
        return json.dumps(report, indent=2, ensure_ascii=True, default=str) + "\n"
    if fmt == "text":
        from compliance.report.text import render as text

        return text(report, verbose=verbose)
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    module = importlib.import_module(f"compliance.report.{fmt}")
    return str(module.render(report))
