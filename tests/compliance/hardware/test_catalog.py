"""Catalog name matching, loading and CSV validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import RuleSetError, UsageError
from compliance.hardware.catalog import (
    COLUMNS,
    Catalog,
    load_catalog,
)

# Every spelling in the bench corpus's `hardware` column, and what it must resolve to.
BENCH_SPELLINGS = {
    "NVIDIA H100 SXM5 80GB": "h100-sxm",
    "NVIDIA A100": "a100-sxm-80gb",
    "NVIDIA A100 SXM4 40 GB": "a100-sxm-40gb",
    "NVIDIA A100 SXM4 80 GB": "a100-sxm-80gb",
    "Google TPU v4": "tpu-v4",
    "NVIDIA H800 SXM5": "h800-sxm",
    "Google TPU v3": "tpu-v3",
    "Google TPU v5e": "tpu-v5e",
    "H100-80GB": "h100-sxm",
    "Google TPU v5p": "tpu-v5p",
    "H100-80G": "h100-sxm",
    "NVIDIA A800 PCIe 40 GB": "a800-pcie-40gb",
    "Huawei Ascend 910C": "ascend-910c",
    "NVIDIA H200 SXM": "h200-sxm",
    "NVIDIA Tesla V100 DGXS 32 GB": "v100-sxm2",
}

# Spellings from model cards and common usage.
CARD_SPELLINGS = {
    "A100 80GB": "a100-sxm-80gb",
    "A100-80GB": "a100-sxm-80gb",
    "A100 40GB GPUs": "a100-sxm-40gb",
    "A100-40GBs": "a100-sxm-40gb",
    "16 A100-40G GPUs": "a100-sxm-40gb",
    "a100 pcie 40gb": "a100-pcie-40gb",
    "NVIDIA H100 80GB HBM3": "h100-sxm",
    "H100 SXM": "h100-sxm",
    "h100": "h100-sxm",
    "H100 PCIe": "h100-pcie",
    "H100 94GB": "h100-nvl",
    "H800 GPUs": "h800-sxm",
    "H800 GPU hours": "h800-sxm",
    "TPU v4": "tpu-v4",
    "TPUv3 chips": "tpu-v3",
    "tpu-v5e": "tpu-v5e",
    "TPU v5 lite": "tpu-v5e",
    "trained on 256 H100 80GB GPUs in 32 p5 instances": "h100-sxm",
    "16 H20 GPUs for deployment": "h20",
    "MI250X GPUs": "mi250x",
    "RTX 4090": "rtx-4090",
    "GeForce RTX 4090": "rtx-4090",
    "RTX 3090": "rtx-3090",
    "NVIDIA A800 80GB": "a800-80gb",
    "V100 PCIe 16GB": "v100-pcie",
    "Trn1": "trainium",
    "Gaudi2": "gaudi2",
    "GB200 NVL72": "gb200",
}


@pytest.mark.parametrize(("text", "expected"), sorted({**BENCH_SPELLINGS, **CARD_SPELLINGS}.items()))
def test_real_world_spellings_resolve(catalog: Catalog, text: str, expected: str) -> None:
    found = catalog.find(text)
    assert found is not None and found.id == expected


@pytest.mark.parametrize(("text", "expected"), sorted(BENCH_SPELLINGS.items()))
def test_bench_names_resolve_without_prose_scan(catalog: Catalog, text: str, expected: str) -> None:
    assert catalog.get(text).id == expected


def test_find_all_splits_lists(catalog: Catalog) -> None:
    assert [a.id for a in catalog.find_all("AMD Radeon Instinct MI250X,NVIDIA A100")] == ["mi250x", "a100-sxm-80gb"]
    assert [a.id for a in catalog.find_all("Google TPU v4,Google TPU v3")] == ["tpu-v4", "tpu-v3"]
    assert catalog.find_all("") == []


def test_find_returns_none_for_unrelated_text(catalog: Catalog) -> None:
    assert catalog.find("a cat on a mat") is None
    assert catalog.find("") is None
    assert catalog.lookup("trained on 256 H100 GPUs") is None  # strict lookup does not scan prose
    assert catalog.find("fine-tuned for 3090 steps") is None  # bare numbers in prose are not chips
    assert catalog.get("3090").id == "rtx-3090"  # ...but a bare number alone still resolves


def test_unknown_name_suggests_close_names(catalog: Catalog) -> None:
    with pytest.raises(UsageError) as err:
        catalog.get("MI300")
    assert "unknown hardware 'MI300'; did you mean" in str(err.value)
    assert "Instinct MI300X" in str(err.value)
    with pytest.raises(UsageError, match="did you mean 'H100 SXM5 80GB'"):
        catalog.get("H10O")


def test_unknown_name_without_close_match_points_to_the_list(catalog: Catalog) -> None:
    with pytest.raises(UsageError, match="compliance hardware list"):
        catalog.get("zzzz")
    with pytest.raises(UsageError, match="empty"):
        catalog.get("  ")


def test_by_id_and_all(catalog: Catalog) -> None:
    assert catalog.by_id("h100-sxm") is catalog.get("H100")
    assert catalog.by_id("nope") is None
    assert [a.id for a in catalog.all()] == [a.id for a in catalog]


GOOD_ROW = {
    "id": "x1", "vendor": "Acme", "name": "X1", "aliases": "X-1", "form_factor": "PCIe card",
    "datacenter": "true", "bf16_tflops": "100", "fp8_tflops": "200", "die_area_mm2": "500",
    "memory_gb": "80", "memory_type": "HBM3", "mem_bw_tbps": "3", "developer_country": "US",
    "release_year": "2024", "estimated": "false", "sources": "acme-ds", "notes": "test row",
}  # fmt: skip


def write_catalog(tmp_path: Path, *rows: dict[str, str], sources: str = "# source acme-ds: Acme datasheet") -> Path:
    lines = [sources, ",".join(COLUMNS)]
    for row in rows:
        lines.append(",".join(row.get(c, "") for c in COLUMNS))
    path = tmp_path / "hw.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_custom_catalog_loads(tmp_path: Path) -> None:
    cat = load_catalog(write_catalog(tmp_path, GOOD_ROW))
    acc = cat.get("X-1")
    assert acc.tpp == pytest.approx(1600)
    assert acc.performance_density == pytest.approx(3.2)
    assert acc.line == 3
    assert acc.source_file.endswith("hw.csv")


def test_shipped_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


def test_file_catalog_is_cached_until_it_changes(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, GOOD_ROW)
    first = load_catalog(path)
    assert load_catalog(str(path)) is first
    write_catalog(tmp_path, GOOD_ROW, {**GOOD_ROW, "id": "x2", "name": "X2", "aliases": ""})
    assert len(load_catalog(path)) == 2


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        ({"bf16_tflops": "abc"}, "row 3, column 'bf16_tflops'", "bad number 'abc'"),
        ({"die_area_mm2": "-5"}, "row 3, column 'die_area_mm2'", "positive"),
        ({"die_area_mm2": "nan"}, "row 3, column 'die_area_mm2'", "positive"),
        ({"id": "X 1"}, "row 3, column 'id'", "not a slug"),
        ({"name": ""}, "row 3, column 'name'", "required"),
        ({"datacenter": "maybe"}, "row 3, column 'datacenter'", "expected true, false"),
        ({"memory_type": "SRAM"}, "row 3, column 'memory_type'", "unknown memory type"),
        ({"developer_country": "USA"}, "row 3, column 'developer_country'", "ISO alpha-2"),
        ({"release_year": "1850"}, "row 3, column 'release_year'", "bad year"),
        ({"sources": ""}, "row 3, column 'sources'", "at least one"),
        ({"sources": "nowhere"}, "row 3, column 'sources'", "not defined"),
        ({"memory_type": "GDDR6", "hbm_stack_area_mm2": "100"}, "row 3, column 'hbm_stack_area_mm2'", "not HBM"),
        ({"aliases": "80GB"}, "row 3", "no identifying word"),
    ],
)
def test_validation_errors_name_file_row_and_column(
    tmp_path: Path, change: dict[str, str], where: str, message: str
) -> None:
    path = write_catalog(tmp_path, {**GOOD_ROW, **change})
    with pytest.raises(RuleSetError) as err:
        load_catalog(path)
    text = str(err.value)
    assert text.startswith(f"{path}: {where}: ")
    assert message in text


def test_duplicate_id_names_both_rows(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, GOOD_ROW, {**GOOD_ROW, "aliases": "", "name": "Other"})
    with pytest.raises(RuleSetError, match=r"hw.csv: row 4: duplicate id 'x1' \(first on row 3\)"):
        load_catalog(path)


def test_alias_naming_two_chips_is_rejected(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, GOOD_ROW, {**GOOD_ROW, "id": "y1", "name": "Y1", "aliases": "x 1"})
    with pytest.raises(RuleSetError, match=r"row 4: alias 'x 1' also names 'x1' \(row 3\)"):
        load_catalog(path)


def test_header_and_shape_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,vendor,name,colour\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"bad.csv: row 1: missing column\(s\) .*unknown column\(s\) colour"):
        load_catalog(path)
    path.write_text("# only comments\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="no header row"):
        load_catalog(path)
    path.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="no accelerator rows"):
        load_catalog(path)
    path.write_text(",".join(COLUMNS) + "\nx1,Acme\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"row 2: 2 fields where the header has"):
        load_catalog(path)


def test_missing_file_is_a_ruleset_error(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="cannot read hardware catalog"):
        load_catalog(tmp_path / "absent.csv")
