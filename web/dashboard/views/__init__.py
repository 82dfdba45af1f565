"""The dashboard's pages, one module per area; importing them adds their routes to the blueprint."""

from __future__ import annotations


def load() -> None:
    """Import every view module (once; later calls do nothing)."""
    from web.dashboard.views import (  # noqa: F401
        auth,
        checks,
        common,
        hardware,
        models,
        overview,
        rules,
        scans,
        tokens,
        waivers,
    )
