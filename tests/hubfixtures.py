"""pytest plugin: the project's local hub (``web.hubserver``) serving the demo registry.

Register it once, in tests/conftest.py: ``pytest_plugins = ["tests.hubfixtures"]``.

Fixtures:
- ``hub_server`` (session): one threaded server with the demo registry and the test controls.
- ``hub``: the same server with its request log, faults and settings reset before and after
  the test. Use it in tests; ``hub.url`` is the endpoint to give the client.
- ``hub_api``: an ``HfApi`` bound to ``hub.url`` with no token.

huggingface_hub reads HF_* variables when it is imported, so this module never imports it at
top level; tests/conftest.py sets the environment (telemetry and xet off, a temporary HF_HOME,
no HF_TOKEN) before anything does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask
    from huggingface_hub import HfApi

    from web.hubserver.app import HubState
    from web.hubserver.controls import Fault

# Requests the client makes on its own (agent detection); request-count assertions skip them.
BACKGROUND_PATHS = ("/api/agent-harnesses",)


@dataclass
class HubServer:
    """A running local hub and handles on its controls."""

    url: str
    app: Flask

    @property
    def state(self) -> HubState:
        """Registry, config, log and faults."""
        from web.hubserver.app import hub_state

        return hub_state(self.app)

    def log(
        self, *, path: str | None = None, method: str | None = None, background: bool = False
    ) -> list[dict[str, Any]]:
        """Finished requests in arrival order, optionally those whose path contains ``path``."""
        entries = self.state.controls.log()
        if not background:
            entries = [e for e in entries if e["path"] not in BACKGROUND_PATHS]
        if path is not None:
            entries = [e for e in entries if path in e["path"]]
        if method is not None:
            entries = [e for e in entries if e["method"] == method.upper()]
        return entries

    def bytes_sent(self, *, path: str | None = None) -> int:
        """Body bytes sent, over the logged requests (optionally filtered by path)."""
        return sum(e["bytes"] for e in self.log(path=path))

    def clear_log(self) -> None:
        """Forget logged requests."""
        self.state.controls.clear_log()

    def fault(self, match: str = "", **spec: Any) -> Fault:
        """Install a fault (see :class:`web.hubserver.controls.Fault` for the keys)."""
        from web.hubserver.controls import Fault

        return self.state.controls.add_fault(Fault(match=match, **spec))

    def configure(self, *, page_size: int | None = None, max_body: int | None = None) -> None:
        """Change run-time settings until the next reset."""
        if page_size is not None:
            self.state.config.page_size = page_size
        if max_body is not None:
            self.state.config.max_body = max_body

    def reset(self) -> None:
        """Clear the log and the faults and restore the settings."""
        self.state.controls.reset()


@contextmanager
def demo_hub() -> Iterator[HubServer]:
    """The demo registry served on 127.0.0.1 (with test controls) until the block ends."""
    from web.hubserver import DemoRegistry, create_hub_app, start_hub_server

    app = create_hub_app(DemoRegistry(), controls=True)
    url, stop = start_hub_server(app)
    try:
        yield HubServer(url, app)
    finally:
        stop()


@pytest.fixture(scope="session")
def hub_server() -> Iterator[HubServer]:
    """The demo registry served on 127.0.0.1 for the whole session."""
    with demo_hub() as server:
        yield server


@pytest.fixture
def hub(hub_server: HubServer) -> Iterator[HubServer]:
    """The session hub with a clean log, no faults and default settings."""
    hub_server.reset()
    yield hub_server
    hub_server.reset()


@pytest.fixture
def hub_api(hub: HubServer) -> HfApi:
    """An anonymous ``HfApi`` talking to the local hub."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=False)
