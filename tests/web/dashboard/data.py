"""Stored checks for the dashboard tests, made without a network: uploaded metadata, run in-process."""

from __future__ import annotations

from typing import Any

from flask import Flask

from compliance.demo import CONFIG

CARD_15T = """---
license: apache-2.0
pipeline_tag: text-generation
---
# A test model

The model was pretrained on 15 trillion tokens of public text.
"""

HOSTILE_CARD = """---
license: "<script>window.__xss = 1</script>"
pipeline_tag: text-generation
---
# <img src=x onerror="window.__xss = 2">

The model was pretrained on 2 trillion tokens <b onmouseover="window.__xss = 3">of text</b>.
<script>window.__xss = 4</script>
"""


def stored_check(
    app: Flask,
    model_ref: str,
    *,
    card: str = CARD_15T,
    config: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    requested_by: str = "tests@example.com",
    run: bool = True,
) -> str:
    """Submit a check of uploaded metadata (and run it here unless ``run`` is false); returns its id."""
    from compliance.services.checks import run_check, submit_check
    from compliance.storage.db import session_factory, session_scope

    factory = session_factory(app.extensions["dashboard"].engine)
    with session_scope(factory) as session:
        check = submit_check(
            session,
            model_ref=model_ref,
            source="api",
            options=options or {"markets": ["EU"], "open_weights": True},
            uploaded={"card": card, "config": config or CONFIG},
            requested_by=requested_by,
        )
        check_id = check.id
    if run:
        run_check(factory, check_id, settings=app.extensions["dashboard"].settings)
    return check_id


def run_stored(app: Flask, check_id: str) -> None:
    """Run a queued check here, as the worker would (hub models go to the app's hub)."""
    from compliance.services.checks import run_check
    from compliance.storage.db import session_factory

    factory = session_factory(app.extensions["dashboard"].engine)
    run_check(factory, check_id, settings=app.extensions["dashboard"].settings)


def registry_model(app: Flask, model_id: str, check_id: str | None) -> None:
    """Put a model in the registry with ``check_id`` as its latest check (what a scan does)."""
    from compliance.storage.db import session_scope
    from compliance.storage.tables import ModelRow

    with session_scope(app.extensions["dashboard"].engine) as session:
        session.add(ModelRow(id=model_id, author=model_id.split("/")[0], latest_check_id=check_id, last_sha="a" * 40))


def known_only_by_bounds(app: Flask, check_id: str, *, low: float | None = None, high: float | None = None) -> None:
    """Make a stored check's training compute known only by bounds (as a card-only estimate can be)."""
    from compliance.storage.db import session_scope
    from compliance.storage.tables import CheckDataRow

    with session_scope(app.extensions["dashboard"].engine) as session:
        data = session.get(CheckDataRow, check_id)
        assert data is not None and data.facts is not None
        facts = dict(data.facts)
        facts["training_compute_flop"] = {**facts["training_compute_flop"], "value": None, "low": low, "high": high}
        data.facts = facts
        session.add(data)
