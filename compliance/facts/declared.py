"""Facts declared by the user (``--fact KEY=VALUE``, ``--facts FILE.yaml``).

A declaration overrides whatever was found in the model's files, and says so: its evidence is
"declared". Numbers accept plain and scientific notation, SI-style suffixes common in ML
(``7B``, ``15T``, ``3.3M``) and intervals (``8e24..2e25``), which the rules judge as intervals.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from compliance.errors import InputError, UsageError
from compliance.facts.model import Confidence, Evidence, Fact
from compliance.facts.names import FACT_SPECS, Kind
from compliance.regularfile import read_regular

_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}
_NUMBER = re.compile(r"^\s*([+-]?[0-9][0-9_,]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([kKmMbBgGtTpP])?\s*$")
_TRUE = {"yes", "true", "1", "y", "on"}
_FALSE = {"no", "false", "0", "n", "off"}
MAX_DECLARED_BYTES = 1024 * 1024


def parse_number(text: str) -> float:
    """Parse ``7B``, ``1.5e12``, ``15T``, ``1,024,000`` (or ``-3``) into a float; raise ValueError otherwise.

    A sign is read so that a negative declaration is refused for its range, not as "not a number".
    """
    match = _NUMBER.match(text)
    if not match:
        raise ValueError(f"not a number: {text!r}")
    number = float(match.group(1).replace(",", "").replace("_", ""))
    if match.group(2):
        number *= _SUFFIX[match.group(2).lower()]
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {text!r}")
    return number


def _number_fact(name: str, raw: Any, evidence: Evidence) -> Fact:
    if isinstance(raw, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(raw, int | float):
        # YAML reads .nan, .inf and integers beyond any float; none is a quantity (NaN would
        # even pass every range check, as it compares false with everything).
        try:
            value = float(raw)
        except OverflowError:
            raise ValueError("not a finite number: an integer beyond any quantity") from None
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {raw!r}")
        low = high = value
    elif isinstance(raw, str) and ".." in raw:
        left, _, right = raw.partition("..")
        low, high = parse_number(left), parse_number(right)
        if low > high:
            raise ValueError(f"interval {raw!r} has its low end above its high end")
        value = math.sqrt(low * high) if low > 0 else (low + high) / 2
    elif isinstance(raw, str):
        value = parse_number(raw)
        low = high = value
    else:
        raise ValueError(f"expected a number or an interval LOW..HIGH, got {type(raw).__name__}")
    problem = FACT_SPECS[name].out_of_range(low, high)
    if problem:
        raise ValueError(f"{problem}, got {raw!r}" if isinstance(raw, str) else problem)
    return Fact(name, value, low, high, Confidence.CONFIDENT, "declared", [evidence])


def _groups(items: list[str]) -> list[str]:
    from compliance.hardware.destinations import resolve_group

    return list(dict.fromkeys(resolve_group(item) for item in items))


def _country(text: str) -> str:
    from compliance.hardware.destinations import resolve_country

    return resolve_country(text)


def _markets(items: list[str]) -> list[str]:
    from compliance.check import MARKETS

    unknown = [m for m in items if m.upper() not in MARKETS]
    if unknown:
        raise ValueError(f"unknown market {unknown[0][:40]!r}; choose from {', '.join(MARKETS)}")
    return list(dict.fromkeys(m.upper() for m in items))


# Facts whose values the rules compare with fixed sets: a declaration outside the set would
# never match and silently change a finding, so it is refused, and a spelling is normalised
# (``d:5`` -> ``D5``, ``China`` -> ``CN``).
_VOCABULARY: dict[str, Any] = {
    "destination_groups": _groups,
    "destination_country": _country,
    "developer_hq_country": _country,
    "hardware_developer_country": _country,
    "markets": _markets,
}


def _coerce(name: str, raw: Any, evidence: Evidence) -> Fact:
    fact = _coerce_kind(name, raw, evidence)
    check = _VOCABULARY.get(name)
    if check is not None:
        try:
            fact.value = check(fact.value)
        except UsageError as exc:  # the look-ups' own error; the caller adds the file or option
            raise ValueError(exc.message) from None
    return fact


def _coerce_kind(name: str, raw: Any, evidence: Evidence) -> Fact:
    spec = FACT_SPECS[name]
    if spec.kind is Kind.NUMBER:
        return _number_fact(name, raw, evidence)
    if spec.kind is Kind.BOOL:
        if isinstance(raw, bool):
            value = raw
        elif isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            value = raw.strip().lower() in _TRUE
        else:
            raise ValueError("expected yes or no")
        return Fact(name, value, confidence=Confidence.CONFIDENT, method="declared", evidence=[evidence])
    if spec.kind is Kind.LIST:
        if isinstance(raw, str):
            items = [part.strip() for part in raw.split(",") if part.strip()]
        elif isinstance(raw, list) and all(isinstance(x, str | int | float) for x in raw):
            items = [str(x) for x in raw]
        else:
            raise ValueError("expected a comma-separated list")
        return Fact(name, items, confidence=Confidence.CONFIDENT, method="declared", evidence=[evidence])
    if spec.kind is Kind.MAPPING:
        raise ValueError("cannot be declared")
    if not isinstance(raw, str | int | float) or isinstance(raw, bool) or not str(raw).strip():
        raise ValueError("expected a non-empty text value")
    text = str(raw).strip()
    return Fact(name, text, confidence=Confidence.CONFIDENT, method="declared", evidence=[evidence])


def _check_name(name: str, source: str) -> None:
    if name not in FACT_SPECS:
        import difflib

        close = difflib.get_close_matches(name, list(FACT_SPECS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"unknown fact {name!r}{hint}", source=source)


def parse_fact_option(option: str) -> Fact:
    """Parse one ``--fact KEY=VALUE`` option."""
    key, sep, raw = option.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(f"--fact expects KEY=VALUE, got {option!r}")
    _check_name(key, "--fact")
    evidence = Evidence("declared", "--fact", f"{key}={raw.strip()}")
    try:
        return _coerce(key, raw.strip(), evidence)
    except ValueError as exc:
        raise UsageError(f"{key}: {exc}", source="--fact") from None


def load_facts_file(path: Path) -> list[Fact]:
    """Parse a ``--facts FILE.yaml`` mapping of fact names to values.

    A value is a scalar (``7e24``, ``"8e24..2e25"``, ``yes``) or a mapping with ``value`` and
    optional ``low``, ``high``, ``note`` and ``source`` (where the declarer got it).
    """
    from compliance.yamlsafe import load_yaml  # only with --facts: a plain check never needs PyYAML

    source = str(path)
    raw = read_regular(path, limit=MAX_DECLARED_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=source) from None
    data = load_yaml(text, source=source)
    if data is None:
        return []
    if not isinstance(data, dict):
        raise InputError("expected a mapping of fact names to values", source=source)
    facts = []
    for key, body in data.items():
        name = str(key)
        _check_name(name, source)
        try:
            facts.append(_declared_entry(name, body, source))
        except ValueError as exc:
            raise InputError(str(exc), source=source, where=name) from None
    return facts


def _declared_entry(name: str, body: Any, source: str) -> Fact:
    note = None
    if isinstance(body, dict):
        unknown = set(body) - {"value", "low", "high", "note", "source"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(map(str, unknown))}")
        note = body.get("note")
        origin = body.get("source")
        detail = f"{name}={body.get('value')!r}" + (f" (source: {origin})" if origin else "")
        evidence = Evidence("declared", source, detail)
        if "low" in body or "high" in body:
            if FACT_SPECS[name].kind is not Kind.NUMBER:
                raise ValueError("low/high only apply to numbers")
            low = _number_fact(name, body.get("low", body.get("value")), evidence).value
            high = _number_fact(name, body.get("high", body.get("value")), evidence).value
            raw = body.get("value", f"{low}..{high}")
            fact = _number_fact(name, raw, evidence)
            if low > high or not low <= fact.value <= high:
                raise ValueError("expected low <= value <= high")
            fact.low, fact.high = low, high
        else:
            if "value" not in body:
                raise ValueError("a mapping needs a 'value'")
            fact = _coerce(name, body["value"], evidence)
    else:
        fact = _coerce(name, body, Evidence("declared", source, f"{name}={body!r}"))
    fact.note = str(note) if note else None
    return fact
