"""The ``write_set`` fixture: rule-set documents written to tmp_path as ``<id>.yaml``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

WriteSet = Callable[..., Path]


@pytest.fixture
def write_set(tmp_path: Path) -> WriteSet:
    """``write_set(doc, name=None)`` writes a rule-set document as ``<id>.yaml`` and returns the path."""

    def write(doc: dict[str, Any], name: str | None = None, directory: Path | None = None) -> Path:
        folder = directory or tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (name or f"{doc['ruleset']['id']}.yaml")
        path.write_text(yaml.safe_dump(copy.deepcopy(doc), sort_keys=False), encoding="utf-8")
        return path

    return write
