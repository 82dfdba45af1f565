"""Fixtures for the hub tests: one isolated run per test, and folder hubs for extra cases.

The demo hub itself (``hub``, ``hub_server``) comes from ``tests/hubfixtures.py``. ``Run``
gives each test its own settings, cache directory and session, so nothing one test reads is
reused by another. ``start_folder_hub`` serves a temporary folder of repos, for the cases the
demo registry does not hold (cycles, mismatched bases).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from compliance.hub.client import HubClient
from compliance.hub.lineage import HubSession
from compliance.settings import Settings
from tests.hubfixtures import HubServer


def hub_requests(hub: HubServer) -> list[dict[str, Any]]:
    """Logged requests made by the code under test (the client's agent detection excluded)."""
    return hub.log()


@dataclass
class Run:
    """One test's settings, cache and session: nothing leaks between tests."""

    settings: Settings
    cache_dir: Path
    session: HubSession

    def client(self, **changes: Any) -> HubClient:
        """A client for these settings (with overrides)."""
        return HubClient(self.settings.with_overrides(**changes), cache_dir=self.cache_dir)

    def inspect(self, text: str, **kw: Any) -> Any:
        """``inspect_hub`` on ``ORG/NAME[@REV]`` with this run's cache and session."""
        from compliance.hub.inspect import inspect_hub
        from compliance.targets import parse_target

        settings = kw.pop("settings", self.settings)
        return inspect_hub(parse_target(text), settings, cache_dir=self.cache_dir, session=self.session, **kw)


def make_run(url: str, directory: Path) -> Run:
    """Settings pointing at ``url``, a private cache and a fresh session."""
    settings = Settings(hf_endpoint=url, hub_timeout=5.0, hub_budget=20.0, hub_retries=3)
    return Run(settings, directory / "hub-cache", HubSession())


@pytest.fixture
def run(hub: HubServer, tmp_path: Path) -> Run:
    """A run against the demo hub."""
    return make_run(hub.url, tmp_path)


@pytest.fixture
def start_folder_hub(tmp_path: Path) -> Iterator[Callable[[Path], HubServer]]:
    """Start (on demand) a hub serving a folder ``ORG/NAME/<files>``; stopped after the test."""
    from web.hubserver import create_hub_app, start_hub_server

    stops: list[Callable[[], None]] = []

    def start(root: Path) -> HubServer:
        app = create_hub_app(root, controls=True)
        url, stop = start_hub_server(app)
        stops.append(stop)
        return HubServer(url, app)

    yield start
    for stop in stops:
        stop()
