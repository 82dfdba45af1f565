"""Context facts and display rows for a target accelerator."""

from __future__ import annotations

import pytest

from compliance.errors import UsageError
from compliance.facts.model import Confidence
from compliance.facts.names import FACT_SPECS
from compliance.hardware.catalog import Catalog
from compliance.hardware.facts import hardware_facts, hardware_rows


def test_hardware_facts_for_h100(catalog: Catalog) -> None:
    facts = {f.name: f for f in hardware_facts(catalog.get("H100"), 8)}
    assert set(facts) == {
        "hardware", "hardware_count", "hardware_tpp", "hardware_performance_density",
        "hardware_datacenter", "hardware_memory_bandwidth_gbps", "hardware_hbm_bandwidth_density",
        "hardware_developer_country",
    }  # fmt: skip
    assert set(facts) <= set(FACT_SPECS)
    assert facts["hardware"].value == "h100-sxm"
    assert facts["hardware_count"].value == 8
    tpp = facts["hardware_tpp"]
    assert tpp.value == pytest.approx(15832)
    assert tpp.evidence[0].kind == "catalog"
    assert tpp.evidence[0].source == "compliance/data/hardware.csv"
    assert tpp.evidence[0].line == catalog.get("H100").line
    assert "bf16 989.5x16=15832" in tpp.evidence[0].detail
    assert "814 mm²" in facts["hardware_performance_density"].evidence[0].detail
    assert facts["hardware_performance_density"].value == pytest.approx(19.45, abs=0.005)
    assert facts["hardware_datacenter"].value is True
    assert facts["hardware_memory_bandwidth_gbps"].value == pytest.approx(3350)
    assert facts["hardware_developer_country"].value == "US"
    assert facts["hardware_hbm_bandwidth_density"].value is None
    assert facts["hardware_hbm_bandwidth_density"].confidence is Confidence.UNKNOWN


def test_unknown_figures_become_unknown_facts_with_a_reason(catalog: Catalog) -> None:
    facts = {f.name: f for f in hardware_facts(catalog.get("TPU v5p"), 1)}
    pd = facts["hardware_performance_density"]
    assert pd.value is None and pd.confidence is Confidence.UNKNOWN
    assert pd.note == "die area not public"
    gddr = {f.name: f for f in hardware_facts(catalog.get("L4"), 1)}
    assert "not HBM" in (gddr["hardware_hbm_bandwidth_density"].note or "")
    rtx6000 = {f.name: f for f in hardware_facts(catalog.get("RTX 6000 Ada"), 1)}
    assert rtx6000["hardware_datacenter"].value is None


def test_tf32_reading_is_kept_as_an_alternative(catalog: Catalog) -> None:
    tpp = next(f for f in hardware_facts(catalog.get("Inferentia2"), 1) if f.name == "hardware_tpp")
    assert tpp.value == pytest.approx(3040)
    assert [a.value for a in tpp.alternatives] == [pytest.approx(6080)]


def test_estimated_rows_give_weaker_confidence(catalog: Catalog) -> None:
    tpp = next(f for f in hardware_facts(catalog.get("Ascend 910C"), 1) if f.name == "hardware_tpp")
    assert tpp.confidence is Confidence.LIKELY
    assert next(f for f in hardware_facts(catalog.get("H100"), 1) if f.name == "hardware_tpp").confidence is (
        Confidence.CONFIDENT
    )


def test_hardware_facts_rejects_zero_count(catalog: Catalog) -> None:
    with pytest.raises(UsageError):
        hardware_facts(catalog.get("H100"), 0)


def test_hardware_rows(catalog: Catalog) -> None:
    rows = hardware_rows(catalog)
    assert len(rows) == len(catalog)
    h100 = next(r for r in rows if r["id"] == "h100-sxm")
    assert h100["tpp"] == pytest.approx(15832)
    assert h100["performance_density"] == pytest.approx(19.45, abs=0.005)
    assert h100["memory_bandwidth_gbps"] == pytest.approx(3350)
    assert h100["datacenter"] is True
    assert h100["vendor"] == "NVIDIA"
    assert not any("class" in key for key in h100)
