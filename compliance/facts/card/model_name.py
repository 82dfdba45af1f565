"""Sizes stated in a model's name: "-34B", "8x7B" (experts), "A3B" (active), "-1.5B", "-350M".

A name is a label, not a measurement: labs round sizes in names ("7B" for 6.7 to 7.6 billion), so a size
read from a name is speculative, with an interval wide enough for that rounding, and it is the source of
last resort (a config, a weight header or the card's prose all win over it).
"""

from __future__ import annotations

import re

from compliance.facts.model import Confidence, Evidence, Fact

# A name's size is rounded to the marketing figure: Qwen2-7B has 7.6e9, Llama-2-7b 6.7e9.
NAME_SIZE_SPREAD = (0.8, 1.2)
# "8x7B": experts share attention and embeddings, so the total is below experts x size; public
# mixtures sit between about 0.65 and 0.85 of the product.
EXPERT_PRODUCT_SPREAD = (0.6, 1.0)
EXPERT_PRODUCT_VALUE = 0.8

_SIZE = re.compile(
    r"(?<![A-Za-z0-9.])(?:(?P<experts>\d{1,3})\s?[x×]\s?)?(?P<num>\d{1,4}(?:[.p_]\d{1,3})?)(?P<mult>[BbMm])"
    r"(?![A-Za-z0-9])"
)
_ACTIVE = re.compile(r"(?<![A-Za-z0-9.])[Aa](?P<num>\d{1,3}(?:[.p_]\d{1,2})?)(?P<mult>[BbMm])(?![A-Za-z0-9])")
_SCALE = {"b": 1e9, "m": 1e6}


def _value(num: str, mult: str) -> float:
    return float(num.replace("p", ".").replace("_", ".")) * _SCALE[mult.lower()]


def sizes_from_name(model_name: str | None) -> list[Fact]:
    """``parameters`` and ``active_parameters`` facts read from a model's name (repository or folder)."""
    if not model_name:
        return []
    name = model_name.rsplit("/", 1)[-1][:200]
    parts = re.split(r"[-_ ]", name)
    facts: list[Fact] = []
    for part in parts:
        active = _ACTIVE.fullmatch(part)
        if active and not any(f.name == "active_parameters" for f in facts):
            value = _value(active.group("num"), active.group("mult"))
            facts.append(_fact("active_parameters", value, *NAME_SIZE_SPREAD, model_name, part, "active per token"))
            continue
        size = _SIZE.fullmatch(part)
        if size is None or any(f.name == "parameters" for f in facts):
            continue
        value = _value(size.group("num"), size.group("mult"))
        if size.group("experts"):
            experts = int(size.group("experts"))
            product = experts * value
            low, high = EXPERT_PRODUCT_SPREAD
            facts.append(
                Fact(
                    "parameters",
                    product * EXPERT_PRODUCT_VALUE,
                    product * low,
                    product * high,
                    confidence=Confidence.SPECULATIVE,
                    method="model-name",
                    evidence=[
                        Evidence(
                            "model-name",
                            model_name,
                            f"{part}: {experts} experts of {part[len(size.group('experts')) + 1 :]}",
                        )
                    ],
                    note="read from the model's name: experts share attention and embeddings, so the total is "
                    "below experts x expert size",
                )
            )
        elif value >= 1e6:
            facts.append(_fact("parameters", value, *NAME_SIZE_SPREAD, model_name, part, "total"))
    return facts


def _fact(name: str, value: float, low: float, high: float, model_name: str, part: str, what: str) -> Fact:
    return Fact(
        name,
        value,
        value * low,
        value * high,
        confidence=Confidence.SPECULATIVE,
        method="model-name",
        evidence=[Evidence("model-name", model_name, f"{part}: {what}")],
        note="read from the model's name: a rounded label, the source of last resort",
    )
