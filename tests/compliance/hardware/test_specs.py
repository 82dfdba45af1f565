"""Parsing hardware specs such as "H100x8"."""

from __future__ import annotations

import pytest

from compliance.errors import UsageError
from compliance.hardware.catalog import Catalog
from compliance.hardware.specs import MAX_COUNT, parse_hardware_spec


@pytest.mark.parametrize(
    ("spec", "acc_id", "count"),
    [
        ("H100", "h100-sxm", 1),
        ("H100x8", "h100-sxm", 8),
        ("h100 x 1024", "h100-sxm", 1024),
        ("8x H100", "h100-sxm", 8),
        ("A100 80GB x 16", "a100-sxm-80gb", 16),
        ("H100 × 2", "h100-sxm", 2),
        ("h100*1,024", "h100-sxm", 1024),
        ("MI300Xx8", "mi300x", 8),
        ("MLU370-X8", "mlu370", 1),  # the X8 is part of the name, not a count
        ("MLU370-X8 x 4", "mlu370", 4),
    ],
)
def test_parse_hardware_spec(catalog: Catalog, spec: str, acc_id: str, count: int) -> None:
    acc, n = parse_hardware_spec(spec, catalog)
    assert (acc.id, n) == (acc_id, count)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("H100x0", "between 1 and"),
        ("H100x-3", "between 1 and"),
        (f"H100x{MAX_COUNT + 1}", "between 1 and"),
        ("H100 x 1.5", "malformed hardware count '1.5'"),
        ("H100x", "malformed hardware count ''"),
        ("H100 x many", "malformed hardware count 'many'"),
        ("", "empty"),
        ("Q9000x8", "unknown hardware 'Q9000'"),
        ("x" * 300, "longer than"),
    ],
)
def test_bad_hardware_specs(catalog: Catalog, spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_hardware_spec(spec, catalog)
