"""The catalogue of fact names: what each one means, its kind and unit.

Rules may only refer to names listed here, and ``--fact`` / ``--facts`` may only declare them,
so a typo is a load error instead of a rule that never fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """The shape of a fact's value."""

    NUMBER = "number"  # a real quantity, may be an interval (FLOP, tokens, hours, USD)
    BOOL = "bool"
    STRING = "string"
    LIST = "list"  # of strings
    MAPPING = "mapping"  # e.g. parameters by dtype


@dataclass(frozen=True, slots=True)
class FactSpec:
    """What a fact name means."""

    name: str
    kind: Kind
    unit: str
    description: str
    context: bool = False  # describes the deployment (destination, hardware), not the model
    # The range a number may take: at least 0, above 0 when ``positive``, at most ``maximum``.
    # A declaration outside it is refused (a count, a compute or a duration is never negative).
    positive: bool = False
    maximum: float | None = None

    def out_of_range(self, low: float, high: float) -> str | None:
        """Why an interval ``low..high`` is not a value of this number, or None when it is."""
        if self.positive and low <= 0:
            return "must be positive (above 0)"
        if low < 0:
            return "must not be negative"
        if self.maximum is not None and high > self.maximum:
            return f"must be at most {self.maximum:g}"
        return None


_SPECS = [
    # What the model is.
    FactSpec("parameters", Kind.NUMBER, "parameters", "Total parameter count.", positive=True),
    FactSpec("active_parameters", Kind.NUMBER, "parameters", "Parameters active per token (MoE).", positive=True),
    FactSpec("parameters_by_dtype", Kind.MAPPING, "parameters", "Parameter count per stored dtype."),
    FactSpec("architecture", Kind.STRING, "", "Architecture class named in config.json."),
    FactSpec("model_type", Kind.STRING, "", "config.json model_type."),
    FactSpec("output_modalities", Kind.LIST, "", "What the model generates: text, image, audio, video…"),
    FactSpec("pipeline_tag", Kind.STRING, "", "The hub task tag."),
    FactSpec("license", Kind.STRING, "", "License identifier."),
    FactSpec("open_source_license", Kind.BOOL, "", "License allows access, use, modification, sharing."),
    FactSpec("open_weights", Kind.BOOL, "", "Weights are (or will be) published."),
    FactSpec("base_model", Kind.STRING, "", "The model this one was derived from."),
    FactSpec("base_model_relation", Kind.STRING, "", "finetune, adapter, merge or quantized."),
    FactSpec("datasets", Kind.LIST, "", "Training datasets named in the card."),
    FactSpec("primarily_bio_sequence_data", Kind.BOOL, "", "Trained mainly on biological sequences."),
    FactSpec("fundamental_rights_risk", Kind.BOOL, "", "Declared broad, serious fundamental-rights risk."),
    FactSpec("distilled_from_frontier", Kind.BOOL, "", "Knowledge-distilled from a frontier model."),
    # Declared capabilities (the ENFORCE Act's interim test): "exhibits, or could foreseeably be
    # modified to exhibit" each one. Nothing in the files can show them, so only a declaration
    # (yes or no) sets them; undeclared, they are unknown.
    FactSpec(
        "capability_cbrn_uplift",
        Kind.BOOL,
        "",
        "Could substantially lower the barrier to designing, making, acquiring or using CBRN weapons.",
    ),
    FactSpec(
        "capability_offensive_cyber",
        Kind.BOOL,
        "",
        "Could enable offensive cyber operations through automated vulnerability discovery and exploitation.",
    ),
    FactSpec(
        "capability_evades_oversight",
        Kind.BOOL,
        "",
        "Could evade human control or oversight through deception or obfuscation.",
    ),
    FactSpec(
        "undeclared_derivation",
        Kind.BOOL,
        "",
        "A copy or probable derivation of a known model (same weights, or same distinctive layout) not declared.",
    ),
    FactSpec("architecture_family", Kind.STRING, "", "Known family whose module layout the model shares."),
    # How it was trained.
    FactSpec("training_tokens", Kind.NUMBER, "tokens", "Tokens seen in training (all epochs).", positive=True),
    FactSpec("training_compute_flop", Kind.NUMBER, "FLOP", "Cumulative training compute.", positive=True),
    FactSpec("base_model_compute_flop", Kind.NUMBER, "FLOP", "Training compute of the base model.", positive=True),
    FactSpec("finetune_compute_flop", Kind.NUMBER, "FLOP", "Compute of the modification alone."),
    FactSpec(
        "finetune_tokens",
        Kind.NUMBER,
        "tokens",
        "Tokens of stages after pretraining (fine-tuning, continued pretraining).",
    ),
    FactSpec("training_hardware", Kind.STRING, "", "Accelerator the model was trained on."),
    FactSpec(
        "training_hardware_count", Kind.NUMBER, "chips", "Number of accelerators used in training.", positive=True
    ),
    FactSpec("training_gpu_hours", Kind.NUMBER, "chip-hours", "Accelerator-hours of training.", positive=True),
    FactSpec("training_duration_hours", Kind.NUMBER, "hours", "Wall-clock training time.", positive=True),
    FactSpec(
        "training_utilization",
        Kind.NUMBER,
        "fraction",
        "Model FLOP utilisation during training.",
        positive=True,
        maximum=1.0,
    ),
    FactSpec("compute_cost_usd", Kind.NUMBER, "USD", "Cost of the training compute."),
    # Who releases it, where and on what.
    FactSpec("developer_revenue_usd", Kind.NUMBER, "USD", "Developer's annual revenue incl. affiliates.", True),
    FactSpec("developer_compute_spend_usd", Kind.NUMBER, "USD", "Developer's total frontier spend.", True),
    FactSpec("developer_hq_country", Kind.STRING, "", "ISO country of the developer's HQ.", True),
    FactSpec("destination_country", Kind.STRING, "", "ISO country the weights or chips go to.", True),
    FactSpec("destination_groups", Kind.LIST, "", "EAR country groups of the destination.", True),
    FactSpec("markets", Kind.LIST, "", "Markets the model is placed on (EU, US-CA, US-NY, KR, CN).", True),
    FactSpec("public_service_cn", Kind.BOOL, "", "Offered as a service to the public in China.", True),
    FactSpec("hardware", Kind.STRING, "", "Target accelerator (catalog name).", True),
    FactSpec("hardware_count", Kind.NUMBER, "chips", "Number of target accelerators.", True, positive=True),
    FactSpec("hardware_tpp", Kind.NUMBER, "TPP", "Total processing performance of the target IC.", True),
    FactSpec("hardware_performance_density", Kind.NUMBER, "TPP/mm²", "TPP per applicable die area.", True),
    FactSpec("hardware_datacenter", Kind.BOOL, "", "Target IC is designed or marketed for datacenters.", True),
    FactSpec("hardware_memory_bandwidth_gbps", Kind.NUMBER, "GB/s", "Target IC's DRAM bandwidth.", True),
    FactSpec("hardware_hbm_bandwidth_density", Kind.NUMBER, "GB/s/mm²", "HBM bandwidth density.", True),
    FactSpec("hardware_developer_country", Kind.STRING, "", "Country where the target IC was designed.", True),
]

FACT_SPECS: dict[str, FactSpec] = {spec.name: spec for spec in _SPECS}
