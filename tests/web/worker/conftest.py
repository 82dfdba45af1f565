"""A Celery app for running tasks in the test process (no worker, no eager mode): tasks are called."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from compliance.settings import Settings


@pytest.fixture
def worker_settings(settings: Settings, hub: Any) -> Settings:
    """The test database, with the local hub as the endpoint."""
    return settings.with_overrides(hf_endpoint=hub.url, hub_retries=0)


@pytest.fixture
def worker_app(worker_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``create_celery`` for the test settings, with ``send_task`` recording into ``app.sent``."""
    from web.worker.celery_app import create_celery, reset_runtime

    reset_runtime()
    app = create_celery(worker_settings)
    app.sent = []

    def record(name: str, args: Any = None, queue: str | None = None, **kw: Any) -> None:
        app.sent.append((name, list(args or []), queue))

    monkeypatch.setattr(app, "send_task", record)
    yield app
    reset_runtime()


@pytest.fixture
def factory(worker_app: Any) -> Any:
    """The worker runtime's session factory."""
    from web.worker.celery_app import runtime

    return runtime(worker_app).database.session_factory
