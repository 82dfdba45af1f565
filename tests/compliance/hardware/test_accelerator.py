"""TPP, performance density and peak rates computed from catalog rows."""

from __future__ import annotations

import pytest

from compliance.errors import UsageError
from compliance.hardware.catalog import (
    COLUMNS,
    Catalog,
)


@pytest.mark.parametrize(
    ("name", "tpp", "pd"),
    [
        ("A100", 4992, 6.04),
        ("H100", 15832, 19.45),
        ("H20", 2368, 2.91),
        ("L4", 1940, 6.59),
    ],
)
def test_tpp_and_density_match_published_figures(catalog: Catalog, name: str, tpp: float, pd: float) -> None:
    acc = catalog.get(name)
    assert acc.tpp == pytest.approx(tpp, abs=0.5)
    assert acc.performance_density == pytest.approx(pd, abs=0.005)


def test_rtx_4090_tpp_matches_published_within_rounding(catalog: Catalog) -> None:
    # Published 5,286 (besthub) / 5,285 (hardware.md); datasheet rounding explains the rest.
    assert catalog.get("RTX 4090").tpp == pytest.approx(5285, abs=1.5)


def test_mi325x_tpp_matches_published_and_has_no_density(catalog: Catalog) -> None:
    acc = catalog.get("MI325X")
    assert acc.tpp == pytest.approx(20919, abs=1)
    assert acc.performance_density is None  # die area not public


def test_fp64_matrix_rate_sets_mi210_tpp(catalog: Catalog) -> None:
    acc = catalog.get("MI210")
    assert acc.tpp_terms()[0].precision == "fp64"
    assert acc.tpp == pytest.approx(2899.2)


def test_tf32_is_left_out_unless_asked(catalog: Catalog) -> None:
    trn = catalog.get("Trainium")
    assert trn.tpp == pytest.approx(3360)
    assert trn.tpp_with_tf32 == pytest.approx(6080)
    assert "TF32 left out" in trn.tpp_detail()
    h100 = catalog.get("H100")
    assert h100.tpp_with_tf32 == h100.tpp  # TF32 at half the BF16 rate only ties


def test_rtx_4090d_reproduces_its_published_tpp(catalog: Catalog) -> None:
    assert catalog.get("RTX 4090D").tpp == pytest.approx(4707)


def test_peak_flops_for_the_estimator(catalog: Catalog) -> None:
    h100 = catalog.get("H100")
    assert h100.peak_flops() == pytest.approx(989.5e12)
    assert h100.peak_flops("fp8") == pytest.approx(1979e12)
    assert catalog.get("V100").peak_flops("bf16") == pytest.approx(125e12)  # FP16 fallback
    assert catalog.get("TPU v4").peak_flops("fp16") == pytest.approx(275e12)  # BF16 fallback
    assert catalog.get("TPU v4").peak_flops("fp8") is None
    assert catalog.get("Ascend 910C").peak_flops() == pytest.approx(800e12)
    with pytest.raises(UsageError, match="unknown precision"):
        h100.peak_flops("fp12")


def test_placeholder_row_has_no_figures(catalog: Catalog) -> None:
    acc = catalog.get("MI308X")
    assert acc.tpp is None
    assert acc.performance_density is None
    assert acc.peak_flops() is None


def test_memory_bandwidth_and_hbm(catalog: Catalog) -> None:
    h200 = catalog.get("H200")
    assert h200.memory_bandwidth_gbps == pytest.approx(4800)
    assert h200.is_hbm
    assert not catalog.get("L40S").is_hbm
    assert h200.hbm_bandwidth_density is None  # no stack footprint in the catalog


def test_every_row_is_sourced_and_stores_no_classification(catalog: Catalog) -> None:
    assert not any("class" in column for column in COLUMNS)
    assert len(catalog) >= 50
    for acc in catalog:
        assert acc.sources, acc.id
        assert acc.developer_country, acc.id
        assert acc.line is not None


def test_training_chips_have_a_dense_16_bit_peak(catalog: Catalog) -> None:
    for name in ["V100", "P100", "A100 40GB", "A800", "H800", "TPU v3", "TPU v4", "TPU v5e", "TPU v5p",
                 "Trainium", "Trainium2", "MI250X", "Ascend 910B", "Gaudi 2"]:  # fmt: skip
        assert catalog.get(name).peak_flops("bf16"), name
