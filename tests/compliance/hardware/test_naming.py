"""Reduction of accelerator names to base, form and memory."""

from __future__ import annotations

import pytest

from compliance.hardware.naming import NameKey, form_families, name_key, tokens


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("H100", NameKey("h100")),
        ("NVIDIA H100 SXM5 80GB", NameKey("h100", "sxm", 80.0)),
        ("H100-80G", NameKey("h100", None, 80.0)),
        ("NVIDIA A100 SXM4 40 GB", NameKey("a100", "sxm", 40.0)),
        ("A100-40GBs", NameKey("a100", None, 40.0)),
        ("NVIDIA H100 80GB HBM3", NameKey("h100", None, 80.0)),
        ("TPUv4", NameKey("tpuv4")),
        ("Google Cloud TPU v4", NameKey("tpuv4")),
        ("Tesla V100 DGXS 32 GB", NameKey("v100", "sxm", 32.0)),
        ("H100 NVL", NameKey("h100", "nvl")),
        ("A800 PCIe 40 GB", NameKey("a800", "pcie", 40.0)),
        ("H800 GPUs", NameKey("h800")),
        ("GeForce RTX 4090", NameKey("rtx4090")),
    ],
)
def test_name_key(text: str, key: NameKey) -> None:
    assert name_key(text) == key


def test_tokens_join_numbers_with_their_unit() -> None:
    assert tokens("A100 40 GB") == ["a100", "40gb"]
    assert tokens("8×H100") == ["8", "x", "h100"]


def test_compact_form_for_fuzzy_matching() -> None:
    assert NameKey("a100", "pcie", 40.0).compact() == "a100pcie40gb"
    assert NameKey("h100").compact() == "h100"


def test_form_families() -> None:
    assert form_families("SXM4 / PCIe") == {"sxm", "pcie"}
    assert form_families("Cloud-only") == frozenset()
