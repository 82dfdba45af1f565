"""Numbers as cards write them: figures with scale words, quantifiers, durations, accelerator names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from compliance.facts.card.limits import (
    ABOUT_REL,
    EXACT_REL_CAP,
    NEARLY_LOW_FACTOR,
    OVER_HIGH_FACTOR,
    PARAM_REL_CAP,
    PARAM_REL_FLOOR,
)


@dataclass
class Quantity:
    value: float
    low: float
    high: float
    qualifier: str  # "over", "about", "nearly", "" (exact)


_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"

QTY = re.compile(
    r"(?<![A-Za-z0-9.,_/-])" + _NUM + r"(?P<plus>\+)?"
    # "7-billion-parameter": a hyphen may join a figure to a scale word, never to a letter unit.
    r"(?:[\s-](?=(?i:trillion|billion|million|thousand)\b)|\s?)"
    r"(?P<mult>(?i:trillion|billion|million|thousand|bn|mn|tn)|GT|万亿|亿|万|[TBMK]|k)?"
    # Chinese units are followed directly by Latin words ("3万亿tokens"), other units are not.
    r"(?P<plus2>\+)?(?:(?<=[万亿])|(?![A-Za-z0-9]))"
)

MULT = {
    "trillion": 1e12,
    "tn": 1e12,
    "t": 1e12,
    "万亿": 1e12,
    "billion": 1e9,
    "gt": 1e9,  # giga-tokens, as TII writes "5,500 GT"
    "bn": 1e9,
    "b": 1e9,
    "亿": 1e8,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "万": 1e4,
    "thousand": 1e3,
    "k": 1e3,
}

_OVER = re.compile(r"(?i:over|more than|at least|above|exceeding|in excess of|upwards of|beyond|超过|超|逾)\s*$")

_ABOUT = re.compile(
    r"(?i:about|approximately|approx\.?|around|roughly|circa|ca\.|some|an estimated|on average|average of"
    r"|~|≈|約|约|大约)\s*~?\s*$"
)

_NEARLY = re.compile(r"(?i:nearly|almost|close to|just under|up to|under)\s*$")


def parse_number(text: str) -> float:
    """A numeral's value, thousands separators dropped ("1,024" -> 1024.0)."""
    return float(text.replace(",", ""))


def ulp(text: str) -> float:
    """The value of the last stated digit of a numeral ("2" -> 1, "2.5" -> 0.1, "1,000" -> 1)."""
    digits = text.replace(",", "")
    if "." in digits:
        return 10.0 ** -len(digits.split(".", 1)[1])
    return 1.0


def interval(value: float, rel_exact: float, before: str, plus: bool) -> Quantity:
    tail = before[-40:]
    if plus or _OVER.search(tail):
        return Quantity(value, value, value * OVER_HIGH_FACTOR, "over")
    if _ABOUT.search(tail):
        return Quantity(value, value * (1 - ABOUT_REL), value * (1 + ABOUT_REL), "about")
    if _NEARLY.search(tail):
        return Quantity(value, value * NEARLY_LOW_FACTOR, value, "nearly")
    return Quantity(value, value * (1 - rel_exact), value * (1 + rel_exact), "")


_STACKED = re.compile(r"\s?(?i:(trillion|billion|million|thousand))\b")


def quantity(match: re.Match[str], text: str, *, kind: str = "count") -> Quantity:
    """Value and interval of a :data:`QTY` match, reading the quantifier before it."""
    num = match.group("num")
    mult_text = (match.group("mult") or "").lower()
    mult = MULT.get(mult_text, 1.0)
    stacked = _STACKED.match(text, match.end()) if mult_text else None
    if stacked:
        # "7 trillion trillion tokens": read as written, so that plausibility rejects it loudly.
        mult *= MULT[stacked.group(1).lower()]
    value = parse_number(num) * mult
    rel = 0.5 * ulp(num) / parse_number(num) if parse_number(num) else 0.0
    if kind == "params":
        rel = min(max(rel, PARAM_REL_FLOOR), PARAM_REL_CAP)
    elif kind == "duration":
        rel = min(rel, PARAM_REL_CAP)
    elif mult != 1.0 or "." in num:
        rel = min(rel, EXACT_REL_CAP)
    else:
        rel = 0.0  # a full integer ("184,320 GPU hours") is exact
    plus = bool(match.group("plus") or match.group("plus2"))
    return interval(value, rel, text[: match.start()], plus)


# ---------------------------------------------------------------------------------------------
# Accelerators

_HW = (
    r"(?P<hw>(?:(?:NVIDIA|Nvidia|nvidia|AMD|Google|Cloud|Intel|Huawei|AWS)\s)?"
    r"(?:[ABH]\d{2,3}|V100|P100|K80|T4|L4|L40S?|A10G|GB\d{3}|MI\d{3}X?|RTX\s?\d{4}|TPU\s?v?\d[a-z]{0,2}"
    r"|Gaudi\s?\d|Ascend\s?\d{3}[A-Z]?|Trainium\d?)"
    r"(?:[\s-](?:SXM\d?|PCIe|NVL))?(?:[\s-]?\(?\d{2,3}\s?GB?\)?)?)"
)

HW_RE = re.compile(r"(?<![A-Za-z0-9])" + _HW + r"(?![A-Za-z0-9])")

_GPU_WORD = r"(?i:gpus?|tpus?|chips?|accelerators?|cards?|devices?|cores?)"

HW_COUNT = re.compile(
    r"(?<![A-Za-z0-9.,/-])(?P<count>\d{1,3}(?:,\d{3})+|\d{1,7})[\s-]?(?:[x×*]\s?)?"
    r"(?:" + _HW + r"s?(?:\s" + _GPU_WORD + r")?|" + _GPU_WORD + r")(?![A-Za-z0-9])"
)

HOURS_AFTER = re.compile(
    r"\s?(?:" + _HW + r"\s?-?\s?)?(?P<word>" + _GPU_WORD + r"[\s-]?)?"
    r"(?i:hours?|hrs?)(?![A-Za-z])"
)


def canonical_hw(text: str) -> str:
    """A readable accelerator name: vendor prefix and memory normalised ("A100 80GB")."""
    name = " ".join(text.replace("-", " ").replace("(", " ").replace(")", " ").split())
    name = re.sub(r"(?<=\d)\s?G$", "GB", name)
    name = re.sub(r"(\d)\s?GB\b", r"\1GB", name)
    name = re.sub(r"^(?:Cloud|Google)\s", "", name)
    name = re.sub(r"^TPU\s?v?(\d)", r"TPU v\1", name)
    name = re.sub(r"^(Nvidia|nvidia)\s", "NVIDIA ", name)
    bare = name.split()[0]
    if re.match(r"[ABHLV]\d|RTX|GB\d", bare):
        name = "NVIDIA " + name
    elif bare.startswith("MI"):
        name = "AMD " + name
    elif bare.startswith("TPU"):
        name = "Google " + name
    return name


def fmt(value: float) -> str:
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= scale:
            return f"{value / scale:.4g}{suffix}"
    return f"{value:.4g}"


def find_hw(text: str) -> str | None:
    match = HW_RE.search(text)
    return match.group("hw") if match else None
