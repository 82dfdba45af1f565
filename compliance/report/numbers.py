"""Number formatting shared by the human-readable renderers."""

from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing stays off the inspect path (tests/compliance/cli/test_main.py)
    from typing import Any

_SCALE = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def count(x: float | None) -> str:
    """``8030261248`` → ``8.03B``; for parameters and tokens."""
    if x is None:
        return "?"
    for factor, suffix in _SCALE:
        if abs(x) >= factor:
            return f"{x / factor:.3g}{suffix}"
    return f"{x:g}"


def sci(x: float | None) -> str:
    """``3.8e25``-style, for FLOP and other quantities spanning many orders of magnitude."""
    if x is None:
        return "?"
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    text = f"{x:.2e}"
    mantissa, _, exponent = text.partition("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def quantity(value: Any, unit: str = "") -> str:
    """Format a fact value by its unit."""
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "unknown"}[value]
    if isinstance(value, int | float):
        if unit in ("FLOP", "USD", "GB/s", "TPP", "FLOP/s") or abs(value) >= 1e15:
            return sci(float(value))
        if unit in ("parameters", "tokens"):
            return count(float(value))
        return f"{value:,.4g}" if isinstance(value, float) else f"{value:,}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {count(v) if isinstance(v, int | float) else v}" for k, v in value.items())
    return str(value)


def interval(low: float | None, high: float | None, unit: str = "") -> str:
    """``[3e25 – 4.9e25]``, with ``?`` for an unknown end."""
    if low is None and high is None:
        return ""
    if low == high:
        return ""
    left = quantity(low, unit) if low is not None else "?"
    right = quantity(high, unit) if high is not None else "∞"
    return f"[{left} – {right}]"
