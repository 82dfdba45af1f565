"""Context facts and display rows for a target accelerator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compliance.errors import UsageError
from compliance.facts.model import Confidence, Evidence, Fact
from compliance.hardware.accelerator import Accelerator, fmt_number

if TYPE_CHECKING:
    from compliance.hardware.catalog import Catalog


def hardware_facts(acc: Accelerator, count: int) -> list[Fact]:
    """The context facts for a target accelerator and how many of them.

    Evidence is the catalog row (kind ``catalog``) with the arithmetic as detail; the count is
    the user's declaration.
    """
    if count < 1:
        raise UsageError(f"hardware count must be at least 1, got {count}")
    confidence = Confidence.LIKELY if acc.estimated else Confidence.CONFIDENT
    row = f"{acc.vendor} {acc.name} (id {acc.id})"

    def evidence(detail: str) -> list[Evidence]:
        return [Evidence("catalog", acc.source_file, f"{row}: {detail}", acc.line)]

    def fact(name: str, value: Any, detail: str, method: str, missing: str) -> Fact:
        if value is None:
            return Fact(
                name, None, confidence=Confidence.UNKNOWN, method="none", evidence=evidence(missing), note=missing
            )
        return Fact(name, value, confidence=confidence, method=method, evidence=evidence(detail))

    tpp_fact = fact(
        "hardware_tpp", acc.tpp, f"TPP = {acc.tpp_detail()}", "computed", "no dense throughput figure in the catalog"
    )
    if acc.tpp is not None and acc.tpp_with_tf32 is not None and acc.tpp_with_tf32 > acc.tpp:
        tpp_fact.alternatives.append(
            Fact(
                "hardware_tpp",
                acc.tpp_with_tf32,
                confidence=confidence,
                method="computed",
                evidence=evidence(f"TF32 {fmt_number(acc.tf32_tflops)}x32 = {fmt_number(acc.tpp_with_tf32)}"),
                note="TF32 counted at 32 bits",
            )
        )
    pd = acc.performance_density
    pd_detail = f"PD = TPP {fmt_number(acc.tpp)} / die area {fmt_number(acc.die_area_mm2)} mm² = {fmt_number(pd)}"
    bandwidth = acc.memory_bandwidth_gbps
    density = acc.hbm_bandwidth_density
    density_missing = (
        f"memory is {acc.memory_type or 'unknown'}, not HBM"
        if not acc.is_hbm
        else "HBM stack footprint not in the catalog"
    )
    return [
        Fact("hardware", acc.id, confidence=confidence, method="catalog", evidence=evidence("catalog row")),
        Fact(
            "hardware_count",
            count,
            method="declared",
            evidence=[Evidence("declared", "hardware spec", f"{count} x {acc.id}")],
        ),
        tpp_fact,
        fact(
            "hardware_performance_density",
            pd,
            pd_detail,
            "computed",
            "die area not public" if acc.tpp is not None else "no TPP",
        ),
        fact(
            "hardware_datacenter",
            acc.datacenter,
            f"datacenter = {acc.datacenter}",
            "catalog",
            "datacenter marketing status not settled",
        ),
        fact(
            "hardware_memory_bandwidth_gbps",
            bandwidth,
            f"{fmt_number(acc.mem_bw_tbps)} TB/s = {fmt_number(bandwidth)} GB/s",
            "catalog",
            "memory bandwidth not in the catalog",
        ),
        fact(
            "hardware_hbm_bandwidth_density",
            density,
            f"{fmt_number(bandwidth)} GB/s / {fmt_number(acc.hbm_stack_area_mm2)} mm² of HBM = {fmt_number(density)}",
            "computed",
            density_missing,
        ),
        fact(
            "hardware_developer_country",
            acc.developer_country,
            f"designed in {acc.developer_country}",
            "catalog",
            "developer country not in the catalog",
        ),
    ]


def hardware_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """One plain dict per accelerator for ``compliance hardware list``: computed figures only."""
    return [hardware_row(acc) for acc in catalog]


def hardware_row(acc: Accelerator) -> dict[str, Any]:
    """The figures ``compliance hardware show NAME`` prints for one accelerator."""
    return {
        "id": acc.id,
        "name": acc.name,
        "vendor": acc.vendor,
        "aliases": list(acc.aliases),
        "tpp": acc.tpp,
        "tpp_with_tf32": acc.tpp_with_tf32,
        "tpp_detail": acc.tpp_detail(),
        "performance_density": acc.performance_density,
        "datacenter": acc.datacenter,
        "memory_gb": acc.memory_gb,
        "memory_type": acc.memory_type,
        "memory_bandwidth_gbps": acc.memory_bandwidth_gbps,
        "hbm_bandwidth_density": acc.hbm_bandwidth_density,
        "peak_bf16_flops": acc.peak_flops("bf16"),
        "peak_fp8_flops": acc.peak_flops("fp8"),
        "developer_country": acc.developer_country,
        "estimated": acc.estimated,
        "sources": list(acc.sources),
    }
