"""How free-text accelerator names are reduced to something comparable.

Model cards and Epoch rows spell the same chip many ways ("NVIDIA H100 SXM5 80GB",
"H100-80G", "TPUv4", "8x H100 GPUs"). A name is cut into tokens and each token sorted into one
of three parts: the *base* (what the chip is: ``h100``, ``tpuv4``), an optional *form* family
(``sxm``, ``pcie``, ``nvl``, ``oam``) and an optional *memory* size in GB. Vendor words, memory
technology words and filler ("GPUs", "chips") are dropped, on both the catalog side and the
query side, so they never decide a match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Dropped wherever they appear: they name the maker, the memory technology or the kind of
# thing, never which chip it is.
NOISE_WORDS = frozenset(
    {
        # makers and product-line prefixes
        "nvidia", "amd", "google", "intel", "habana", "huawei", "aws", "amazon", "cambricon",
        "tesla", "geforce", "radeon", "instinct", "cloud",
        # memory technologies
        "hbm", "hbm2", "hbm2e", "hbm3", "hbm3e", "gddr6", "gddr6x", "gddr7", "lpddr5",
        # filler
        "gpu", "gpus", "chip", "chips", "card", "cards", "accelerator", "accelerators", "node",
        "nodes", "module", "modules", "tensor", "core", "cores", "the", "of", "with",
    }
)  # fmt: skip

# Form-factor words and the family each belongs to. HGX/DGX boards carry SXM modules.
FORM_WORDS = {
    "sxm": "sxm",
    "sxm2": "sxm",
    "sxm3": "sxm",
    "sxm4": "sxm",
    "sxm5": "sxm",
    "hgx": "sxm",
    "dgx": "sxm",
    "dgxs": "sxm",
    "pcie": "pcie",
    "pci": "pcie",
    "nvl": "nvl",
    "oam": "oam",
}

_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)(?:g|gb|gbs|gib)$")
_UNIT_ONLY = frozenset({"g", "gb", "gbs", "gib"})


@dataclass(frozen=True, slots=True)
class NameKey:
    """A name reduced to base, form family and memory size (GB)."""

    base: str
    form: str | None = None
    memory_gb: float | None = None

    def compact(self) -> str:
        """One string for fuzzy comparison ("did you mean")."""
        out = self.base
        if self.form:
            out += self.form
        if self.memory_gb is not None:
            out += f"{self.memory_gb:g}gb"
        return out


def tokens(text: str) -> list[str]:
    """Lower-case word tokens with a number and its "GB" unit joined ("40 GB" -> "40gb")."""
    raw = _TOKEN.findall(text.lower().replace("×", " x "))
    out: list[str] = []
    for tok in raw:
        if tok in _UNIT_ONLY and out and re.fullmatch(r"\d+(?:\.\d+)?", out[-1]):
            out[-1] = out[-1] + "gb"
        else:
            out.append(tok)
    return out


def classify(toks: list[str]) -> tuple[list[str], str | None, float | None]:
    """Split tokens into base tokens, the first form family and the first memory size."""
    base: list[str] = []
    form: str | None = None
    memory: float | None = None
    for tok in toks:
        if tok in NOISE_WORDS:
            continue
        if tok in FORM_WORDS:
            form = form or FORM_WORDS[tok]
            continue
        mem = _MEMORY.match(tok)
        if mem:
            if memory is None:
                memory = float(mem.group(1))
            continue
        base.append(tok)
    return base, form, memory


def name_key(text: str) -> NameKey:
    """Reduce one name to its :class:`NameKey`."""
    base, form, memory = classify(tokens(text))
    return NameKey("".join(base), form, memory)


def form_families(text: str) -> frozenset[str]:
    """Every form family a text mentions ("SXM4 / PCIe" -> {"sxm", "pcie"})."""
    return frozenset(FORM_WORDS[t] for t in tokens(text) if t in FORM_WORDS)
