"""What would settle an uncertain finding: the facts that leave it undecided, and answers that decide it.

Derived from the rule itself, never written per rule. The undecided clauses (see
:mod:`compliance.rules.decision`) name the facts to ask about; each clause's operator and
threshold give candidate answers (yes/no for a flag; values on either side of each threshold
for a number; a listed value and one outside the list for text). Every candidate is then put
through the rule again, declared exactly as ``--fact FACT=VALUE`` would declare it, and only
answers that decide the finding are kept. When several facts are undecided, the answers
decide it together: one answer to every question, in any combination.
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from compliance.errors import UsageError
from compliance.facts.model import Fact
from compliance.facts.names import FACT_SPECS, Kind
from compliance.rules.decision import Clause
from compliance.rules.describe import fact_label, format_factor, format_quantity
from compliance.rules.memo import remembered
from compliance.rules.plain import VALUE_DOMAINS

Verdict = Callable[[Mapping[str, Fact]], bool]
"""True when the rule, evaluated over these facts, is decided (triggered or not triggered)."""

MAX_COMBINATIONS = 256  # beyond this, answers are only checked one fact at a time
_OTHER = "other"  # a text answer outside every value the rule looks for


def settle(
    clauses: Iterable[Clause], log: Iterable[dict[str, Any]], facts: Mapping[str, Fact], decided: Verdict
) -> list[dict[str, Any]]:
    """``[{"fact", "question", "answers"}]`` for the undecided ``clauses`` of one finding.

    The undecided clauses say which facts to ask about; every comparison in ``log`` that reads
    such a fact adds its threshold to the candidates (a decided comparison can flip once the
    fact is answered). ``decided`` re-evaluates the rule over a fact mapping. A fact whose
    candidates never help decide the finding is left out.
    """
    wanted: dict[str, list[dict[str, Any]]] = {}
    for clause in clauses:
        for name in _asked(clause.entry, facts):
            wanted.setdefault(name, []).append(clause.entry)
    reading: dict[str, list[dict[str, Any]]] = {name: [] for name in wanted}
    for entry in log:
        for name in {entry["fact"], entry.get("ref")} & set(wanted):
            reading[str(name)].append(entry)
    candidates = {name: _answers_to_try(name, reading[name], facts) for name in wanted}
    candidates = {name: values for name, values in candidates.items() if values}
    answers = _verified(candidates, facts, decided)
    return [
        {"fact": name, "question": _asked_as(name, wanted[name]), "answers": values}
        for name, values in answers.items()
        if values
    ]


# The answers to try and the question asked depend on the rule's comparisons alone (unless one
# compares with a reference, whose bounds are the facts'); the same few are worked out for every
# uncertain finding, so each is worked out once.
_TRIES: dict[Hashable, tuple[str, ...]] = {}
_QUESTIONS: dict[Hashable, str] = {}


def _rule_side(entries: list[dict[str, Any]]) -> tuple[Any, ...]:
    """What of ``entries`` the rule fixes: fact, operator, reference, factor and (without a
    reference) threshold of each."""
    out = []
    for entry in entries:
        ref = entry.get("ref")
        threshold = None if ref is not None else entry.get("threshold")
        out.append((entry["fact"], entry.get("op"), ref, entry.get("factor"),
                    tuple(threshold) if isinstance(threshold, list) else threshold))  # fmt: skip
    return tuple(out)


def _answers_to_try(name: str, entries: list[dict[str, Any]], facts: Mapping[str, Fact]) -> list[str]:
    """The declarable candidate answers for ``name``."""

    def work_out() -> tuple[str, ...]:
        return tuple(a for a in _candidates(name, entries, facts) if _declarable(name, a))

    if any(entry.get("ref") is not None for entry in entries):
        return list(work_out())
    tries: tuple[str, ...] = remembered(_TRIES, (name, _rule_side(entries)), work_out)
    return list(tries)


def _asked_as(name: str, entries: list[dict[str, Any]]) -> str:
    """:func:`_question`, once per fact and comparisons."""
    return remembered(_QUESTIONS, (name, _rule_side(entries)), lambda: _question(name, entries))


@functools.lru_cache(maxsize=512)
def declared(name: str, answer: str) -> Fact:
    """The fact ``--fact name=answer`` declares (the same parser, so the check sees the same fact).

    Cached: the same few answers are tried for every finding. Callers must not modify the fact.
    """
    from compliance.facts.declared import parse_fact_option

    return parse_fact_option(f"{name}={answer}")


def _declarable(name: str, answer: str) -> bool:
    """Whether ``--fact name=answer`` is accepted (a closed vocabulary may refuse a value)."""
    try:
        declared(name, answer)
    except UsageError:
        return False
    return True


def _unknown(fact: Fact | None) -> bool:
    return fact is None or (fact.value is None and fact.low is None and fact.high is None)


def _asked(entry: Mapping[str, Any], facts: Mapping[str, Fact]) -> list[str]:
    """The facts whose answer decides an undecided comparison."""
    name = str(entry["fact"])
    if FACT_SPECS[name].kind is Kind.MAPPING or entry.get("op") in ("known", "unknown"):
        return []
    ref = entry.get("ref")
    if ref is None:
        return [name]
    asked = [name] if _unknown(facts.get(name)) else []
    if _unknown(facts.get(str(ref))):
        asked.append(str(ref))
    # Both known but overlapping: a definite value of the compared fact decides it.
    return asked or [name]


def _candidates(name: str, entries: list[dict[str, Any]], facts: Mapping[str, Fact]) -> list[str]:
    kind = FACT_SPECS[name].kind
    if kind is Kind.BOOL:
        return ["yes", "no"]
    if kind is Kind.NUMBER:
        points: set[float] = set()
        exact: set[float] = set()  # thresholds an answer may equal (=, in): the threshold itself decides
        for entry in entries:
            found = [p for p in _points(name, entry, facts) if math.isfinite(p)]
            points.update(found)
            if entry.get("op") in ("eq", "ne", "in", "not_in"):
                exact.update(found)
        return _numbers(sorted(points), sorted(exact))
    values: list[str] = []
    for entry in entries:
        threshold = entry.get("threshold")
        for value in threshold if isinstance(threshold, list) else [threshold]:
            if isinstance(value, str) and value not in values:
                values.append(value)
    if not values:
        return []
    # One value the rule looks for, one outside them all: either way the clause is decided.
    folded = {v.casefold() for v in values}
    domain = sorted(VALUE_DOMAINS.get(name, ()))
    outside = [v for v in domain if v.casefold() not in folded]
    if outside:
        return [values[0], outside[0]]
    other = _OTHER
    while other.casefold() in folded:
        other += "_"
    return [values[0], other]


def _points(name: str, entry: Mapping[str, Any], facts: Mapping[str, Fact]) -> list[float]:
    """The numbers ``name`` is compared with in one comparison (thresholds, members, scaled references)."""
    if entry.get("ref") is None:
        threshold = entry.get("threshold")
        raw = threshold if isinstance(threshold, list) else [threshold]
        return [float(t) for t in raw if isinstance(t, int | float) and not isinstance(t, bool)]
    factor = float(entry.get("factor") or 1.0)
    if name == entry["fact"]:
        return [float(t) for t in (entry.get("threshold_low"), entry.get("threshold_high")) if t is not None]
    # ``name`` is the reference: the compared fact's bounds, scaled back.
    compared = facts.get(str(entry["fact"]))
    if compared is None or factor == 0:
        return []
    return [float(b) / factor for b in (compared.low, compared.high) if b is not None]


def _numbers(points: list[float], exact: list[float]) -> list[str]:
    """Round values below, between and above the ``points``, and the ``exact`` ones, ascending."""
    if not points:
        return []
    out: list[float] = list(exact)
    if points[0] > 0:
        out.append(_nice_below(points[0]))
    for low, high in itertools.pairwise(points):
        out.append(_between(low, high))
    out.append(_nice_above(points[-1]))
    return list(dict.fromkeys(_number_text(v) for v in sorted(out)))


_STEPS = (1.0, 2.0, 5.0)
_SLACK = 1e-9  # 5 × 1e23 is 5.000000000000001e23 in floating point


def _nice_below(t: float) -> float:
    """The largest 1, 2 or 5 × 10^k at most half of ``t`` (``1e24`` → ``5e23``)."""
    target = t / 2
    if target <= 0:  # half of the smallest float (5e-324) is 0: nothing rounder lies below
        return 0.0
    exponent = math.floor(math.log10(target))
    for scale in (10.0**exponent, 10.0 ** (exponent - 1)):
        for step in reversed(_STEPS):
            if step * scale <= target * (1 + _SLACK):
                return float(_number_text(step * scale))
    return target


def _nice_above(t: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at least twice ``t`` (``3.33e22`` → ``1e23``); 1 for 0."""
    if t <= 0:
        return 1.0
    target = t * 2
    if math.isinf(target):  # twice a threshold near the largest float: the largest float it is
        return sys.float_info.max
    exponent = math.floor(math.log10(target))
    for scale in (10.0**exponent, 10.0 ** (exponent + 1)):
        for step in _STEPS:
            if step * scale >= target * (1 - _SLACK):
                return float(_number_text(step * scale))
    return target


def _between(low: float, high: float) -> float:
    """A short number strictly between ``low`` and ``high``."""
    # Each factor halved or rooted first: low * high and low + high overflow near the largest float.
    middle = math.sqrt(low) * math.sqrt(high) if low > 0 else low / 2 + high / 2
    for digits in range(1, 6):
        rounded = float(f"{middle:.{digits - 1}e}")
        if low < rounded < high:
            return rounded
    return middle


def _number_text(value: float) -> str:
    """``5e23``, ``4800``, ``1.5e22``: what ``--fact`` reads back as the same number."""
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    mantissa, _, exponent = f"{value:.6e}".partition("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def _verified(candidates: dict[str, list[str]], facts: Mapping[str, Fact], decided: Verdict) -> dict[str, list[str]]:
    """The candidates that decide the finding: alone for one fact, in every combination for several."""
    names = list(candidates)
    if len(names) == 1 or math.prod(len(v) for v in candidates.values()) > MAX_COMBINATIONS:
        return {
            name: [a for a in values if decided({**facts, name: declared(name, a)})]
            for name, values in candidates.items()
        }
    parsed = {name: {a: declared(name, a) for a in values} for name, values in candidates.items()}
    kept = {name: list(values) for name, values in candidates.items()}
    changed = True
    while changed and all(kept.values()):
        changed = False
        for name in names:
            others = [n for n in names if n != name]
            for answer in list(kept[name]):
                for combo in itertools.product(*(kept[n] for n in others)):
                    trial = {**facts, name: parsed[name][answer]}
                    trial.update({n: parsed[n][a] for n, a in zip(others, combo, strict=True)})
                    if not decided(trial):
                        kept[name].remove(answer)
                        changed = True
                        break
    return kept if all(kept.values()) else {name: [] for name in names}


def _question(name: str, entries: list[dict[str, Any]]) -> str:
    spec = FACT_SPECS[name]
    label = fact_label(name)
    if spec.kind is Kind.BOOL:
        return f"{spec.description.rstrip('.')}: yes or no?"
    if spec.kind is Kind.NUMBER:
        points: list[str] = []
        for entry in entries:
            if entry.get("ref") is not None and entry["fact"] == name:
                factor = float(entry.get("factor") or 1.0)
                scaled = "" if factor == 1.0 else f"{format_factor(factor)} of "
                shown = f"{scaled}the {fact_label(str(entry['ref']))}"
            elif entry.get("ref") is not None:
                shown = f"the {fact_label(str(entry['fact']))}"
            else:
                threshold = entry.get("threshold")
                raw = threshold if isinstance(threshold, list) else [threshold]
                shown = ", ".join(format_quantity(float(t), name) for t in raw if isinstance(t, int | float))
            if shown and shown not in points:
                points.append(shown)
        against = f" The rule compares it with {' and '.join(points)}." if points else ""
        return f"What is the {label}?{against}"
    return f"What is the {label}?"
