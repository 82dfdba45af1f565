"""Service tests: both database backends, a small rule book written per test, a fake hub."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compliance.settings import Settings
from tests.compliance.services.fakes import RULESET_ID, FakeInspector, policy_yaml
from tests.compliance.storage.databases import (  # noqa: F401 - fixtures, found by name
    database_url,
    engine,
    postgres_session_url,
    session,
    session_factory,
    sqlite_template,
)


@pytest.fixture
def make_book(tmp_path: Path) -> Callable[..., Any]:
    """``make_book(threshold, **kw)`` writes the test policy and loads it as a rule book."""
    from compliance.rules.loader import load_rulesets

    counter = iter(range(1000))

    def make(threshold: float = 1e9, **kw: str) -> Any:
        folder = tmp_path / f"rules-{next(counter)}"
        folder.mkdir()
        path = folder / f"{RULESET_ID}.yaml"
        path.write_text(policy_yaml(threshold, **kw), encoding="utf-8")
        return load_rulesets([path])

    return make


@pytest.fixture
def book(make_book: Callable[..., Any]) -> Any:
    """The test policy with a 1e9-parameter threshold."""
    return make_book(1e9)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings that point nowhere real."""
    return Settings(data_dir=tmp_path, hf_endpoint="http://127.0.0.1:9", hub_offline=True)


@pytest.fixture
def inspector() -> FakeInspector:
    """A fresh fake inspector."""
    return FakeInspector()
