"""One accelerator (integrated circuit) of the catalog and the figures computed from it.

TPP follows ECCN 3A090: for each precision the dense rate (TFLOPS or TOPS) times the bit length,
and the highest product counts. TF32 is left out by default: it is a 19-bit format in a 32-bit
container, and counting it at 32 bits doubles the TPP of chips that run it at the BF16 rate
(AWS Trainium, Inferentia2). :attr:`Accelerator.tpp_with_tf32` gives that reading.
Performance density is TPP per mm² of applicable die area.
"""

from __future__ import annotations

from dataclasses import dataclass

from compliance.errors import UsageError

DEFAULT_SOURCE = "compliance/data/hardware.csv"

# Precision -> (column, bit length used by the TPP formula).
PRECISIONS: dict[str, tuple[str, int]] = {
    "fp64": ("fp64_tflops", 64),
    "fp32": ("fp32_tflops", 32),
    "tf32": ("tf32_tflops", 32),
    "bf16": ("bf16_tflops", 16),
    "fp16": ("fp16_tflops", 16),
    "fp8": ("fp8_tflops", 8),
    "int8": ("int8_tops", 8),
    "fp4": ("fp4_tflops", 4),
}
# For the estimator: which catalog rate stands in for a requested precision when it is missing.
_PEAK_FALLBACK = {"bf16": ("bf16", "fp16"), "fp16": ("fp16", "bf16")}


@dataclass(frozen=True, slots=True)
class TppTerm:
    """One precision's contribution to TPP: dense rate times bit length."""

    precision: str
    rate: float
    bits: int

    @property
    def product(self) -> float:
        """rate x bits."""
        return self.rate * self.bits

    def describe(self) -> str:
        """``bf16 989.5x16=15832``."""
        return f"{self.precision} {fmt_number(self.rate)}x{self.bits}={fmt_number(self.product)}"


@dataclass(frozen=True, slots=True)
class Accelerator:
    """One integrated circuit (package) of the catalog, with its spec facts.

    Rates are dense peak TFLOPS (TOPS for INT8), ``None`` where no source gives them.
    """

    id: str
    vendor: str
    name: str
    aliases: tuple[str, ...] = ()
    form_factor: str = ""
    datacenter: bool | None = None
    fp64_tflops: float | None = None
    fp32_tflops: float | None = None
    tf32_tflops: float | None = None
    bf16_tflops: float | None = None
    fp16_tflops: float | None = None
    fp8_tflops: float | None = None
    int8_tops: float | None = None
    fp4_tflops: float | None = None
    die_area_mm2: float | None = None
    memory_gb: float | None = None
    memory_type: str | None = None
    mem_bw_tbps: float | None = None
    hbm_stack_area_mm2: float | None = None
    interconnect_gbps: float | None = None
    tdp_w: float | None = None
    developer_country: str | None = None
    release_year: int | None = None
    estimated: bool = False
    sources: tuple[str, ...] = ()
    notes: str = ""
    source_file: str = DEFAULT_SOURCE
    line: int | None = None

    def rate(self, precision: str) -> float | None:
        """The dense rate in TFLOPS/TOPS for one precision name (``bf16``, ``int8``...)."""
        if precision not in PRECISIONS:
            raise UsageError(f"unknown precision '{precision}'; known: {', '.join(PRECISIONS)}")
        value: float | None = getattr(self, PRECISIONS[precision][0])
        return value

    def tpp_terms(self, include_tf32: bool = False) -> tuple[TppTerm, ...]:
        """The rate x bits products that TPP is the maximum of, largest first."""
        terms = [
            TppTerm(precision, rate, bits)
            for precision, (_, bits) in PRECISIONS.items()
            if (include_tf32 or precision != "tf32") and (rate := self.rate(precision)) is not None
        ]
        return tuple(sorted(terms, key=lambda t: -t.product))

    @property
    def tpp(self) -> float | None:
        """Total processing performance (3A090), TF32 left out; ``None`` without any rate."""
        terms = self.tpp_terms()
        return terms[0].product if terms else None

    @property
    def tpp_with_tf32(self) -> float | None:
        """TPP when TF32 is counted at 32 bits (the contested reading)."""
        terms = self.tpp_terms(include_tf32=True)
        return terms[0].product if terms else None

    @property
    def performance_density(self) -> float | None:
        """TPP per mm² of applicable die area; ``None`` when either is unknown."""
        tpp = self.tpp
        if tpp is None or not self.die_area_mm2:
            return None
        return tpp / self.die_area_mm2

    def peak_flops(self, precision: str = "bf16") -> float | None:
        """Dense peak in FLOP/s (OP/s for int8) for the compute estimator.

        ``bf16`` falls back to the FP16 rate when no BF16 rate is published (V100, Ascend), and
        ``fp16`` to BF16; other precisions are taken as they are.
        """
        for candidate in _PEAK_FALLBACK.get(precision, (precision,)):
            rate = self.rate(candidate)
            if rate is not None:
                return rate * 1e12
        return None

    @property
    def memory_bandwidth_gbps(self) -> float | None:
        """DRAM bandwidth in GB/s."""
        return None if self.mem_bw_tbps is None else self.mem_bw_tbps * 1000.0

    @property
    def is_hbm(self) -> bool:
        """True when the memory is an HBM generation."""
        return bool(self.memory_type) and str(self.memory_type).upper().startswith("HBM")

    @property
    def hbm_bandwidth_density(self) -> float | None:
        """HBM bandwidth per mm² of stack footprint (3A090.c); ``None`` when not HBM or unknown."""
        bandwidth = self.memory_bandwidth_gbps
        if not self.is_hbm or bandwidth is None or not self.hbm_stack_area_mm2:
            return None
        return bandwidth / self.hbm_stack_area_mm2

    def tpp_detail(self) -> str:
        """The TPP arithmetic in one line, for evidence and ``hardware show``."""
        terms = self.tpp_terms()
        if not terms:
            return "no dense rate in the catalog"
        text = f"max({', '.join(t.describe() for t in terms)}) = {fmt_number(terms[0].product)}"
        tf32 = self.tpp_with_tf32
        if tf32 is not None and self.tpp is not None and tf32 > self.tpp:
            text += f"; TF32 left out (at 32 bits it would give {fmt_number(tf32)})"
        return text


def fmt_number(value: float | None, digits: int = 3) -> str:
    """Numbers as people write them: no trailing zeros, ``?`` for unknown."""
    if value is None:
        return "?"
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text if float(text) != 0 else f"{value:.3g}"
