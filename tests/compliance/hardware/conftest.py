"""Shared fixture: the shipped catalog."""

from __future__ import annotations

import pytest

from compliance.hardware.catalog import Catalog, load_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()
