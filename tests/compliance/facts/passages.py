"""Held-out model-card passages and the rules that judge a parser's reading of them.

The passages live in ``card_passages/*.yaml``, one list of mappings per file::

    - id: words-twelve-trillion          # unique across all files
      class: number_words                # the class of difficulty the passage stands for
      model_name: acme/Kestrel-7B        # passed to parse_card as model_name
      parameters_hint: 7e9               # optional, passed to parse_card
      text: |                            # the card (or a piece of one), front matter allowed
        ...
      expect:                            # fact name -> what must hold
        training_tokens: {value: 12e12, rel: 0.02}

An expectation is a mapping with these keys (numbers may be written ``12e12``):

``value`` (with ``rel``, default 0.02)
    The fact is present, its value lies within ``rel`` of ``value``, and ``value`` lies inside the
    fact's ``[low, high]`` (an open bound is no limit).
``min`` / ``max``
    The fact is present and its value lies within these bounds (used where the card leaves two
    readings open, such as a base total with or without the continued-pretraining tokens).
``absent: true``
    The fact is missing, or carries no value (bounds alone are allowed: a family total may be
    kept as an upper bound).
``optional: true``
    The fact may be missing; when present, the other keys must hold.
``not_value``
    When present, the fact's value is not within 5% of this figure (a family total, say).
``confidence_max``
    When present, the fact's confidence is this tier or weaker (``speculative``); a missing fact
    passes.
``contains``
    For a text fact (hardware, base model): the value, lower-cased with punctuation turned into
    spaces, contains this text as a whole token (``H20`` does not match ``H200``).

The module is shared by the test (one case per passage) and by ``bench/paraphrases.py``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compliance.facts.model import Confidence, Fact

PASSAGE_DIR = Path(__file__).with_name("card_passages")

NUMERIC_FACTS = frozenset(
    {
        "training_tokens",
        "finetune_tokens",
        "training_gpu_hours",
        "training_duration_hours",
        "training_hardware_count",
        "parameters",
        "active_parameters",
    }
)
TEXT_FACTS = frozenset({"training_hardware", "base_model"})
CLASSES = (
    "plain",
    "number_words",
    "params_prose",
    "params_name",
    "distractors",
    "size_table",
    "distillation",
    "key_value",
    "continued_pretraining",
    "family_gpu_hours",
    "implausible",
    "duration_words",
    "hardware",
)
DEFAULT_REL = 0.02
NOT_VALUE_REL = 0.05
# Float noise allowed when an expected figure sits exactly on an interval's bound.
BOUND_SLACK = 1e-9

_PASSAGE_KEYS = {"id", "class", "model_name", "parameters_hint", "text", "expect"}
_EXPECT_KEYS = {"value", "rel", "min", "max", "absent", "optional", "not_value", "confidence_max", "contains"}


class PassageError(ValueError):
    """A fixture file that does not follow the schema above."""


@dataclass(frozen=True)
class Expectation:
    """What must hold for one fact of one passage."""

    fact: str
    value: float | None = None
    rel: float = DEFAULT_REL
    minimum: float | None = None
    maximum: float | None = None
    absent: bool = False
    optional: bool = False
    not_value: float | None = None
    confidence_max: Confidence | None = None
    contains: str | None = None

    def describe(self) -> str:
        """A short statement of the expectation, for failure lines."""
        parts = []
        if self.absent:
            parts.append("absent")
        if self.value is not None:
            parts.append(f"≈{self.value:.4g} (±{self.rel:.0%})")
        if self.minimum is not None:
            parts.append(f"≥{self.minimum:.4g}")
        if self.maximum is not None:
            parts.append(f"≤{self.maximum:.4g}")
        if self.not_value is not None:
            parts.append(f"not ≈{self.not_value:.4g}")
        if self.confidence_max is not None:
            parts.append(f"at most {self.confidence_max.value}")
        if self.contains is not None:
            parts.append(f"contains {self.contains!r}")
        if self.optional:
            parts.append("or missing")
        return ", ".join(parts)


@dataclass(frozen=True)
class Passage:
    """One card passage with its expectations."""

    id: str
    cls: str
    model_name: str
    parameters_hint: float | None
    text: str
    expectations: tuple[Expectation, ...]
    source: str


@dataclass(frozen=True)
class Outcome:
    """The verdict on one expectation: ``problem`` is None when it holds."""

    passage: Passage
    expectation: Expectation
    problem: str | None

    @property
    def held(self) -> bool:
        """True when the expectation holds."""
        return self.problem is None


def _number(raw: Any, where: str) -> float:
    # PyYAML reads "12e12" as a string (YAML 1.1 wants "12.0e+12"), so strings are accepted.
    if isinstance(raw, bool):
        raise PassageError(f"{where}: expected a number, got {raw!r}")
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise PassageError(f"{where}: expected a number, got {raw!r}") from None
    if not math.isfinite(number):
        raise PassageError(f"{where}: not a finite number: {raw!r}")
    return number


def _expectation(fact: str, raw: Any, where: str) -> Expectation:
    if fact not in NUMERIC_FACTS | TEXT_FACTS:
        raise PassageError(f"{where}: no checker for fact {fact!r}")
    if not isinstance(raw, dict) or not raw:
        raise PassageError(f"{where}: expectation must be a non-empty mapping")
    unknown = set(raw) - _EXPECT_KEYS
    if unknown:
        raise PassageError(f"{where}: unknown keys {sorted(unknown)}")

    def num(key: str) -> float | None:
        return None if raw.get(key) is None else _number(raw[key], f"{where}.{key}")

    confidence = raw.get("confidence_max")
    try:
        tier = None if confidence is None else Confidence(confidence)
    except ValueError:
        raise PassageError(f"{where}: unknown confidence {confidence!r}") from None
    contains = raw.get("contains")
    if contains is not None and (fact not in TEXT_FACTS or not isinstance(contains, str)):
        raise PassageError(f"{where}: contains applies to text facts only")
    if fact in TEXT_FACTS and any(key in raw for key in ("value", "min", "max", "not_value")):
        raise PassageError(f"{where}: numeric bounds on a text fact")
    expectation = Expectation(
        fact=fact,
        value=num("value"),
        rel=_number(raw["rel"], f"{where}.rel") if "rel" in raw else DEFAULT_REL,
        minimum=num("min"),
        maximum=num("max"),
        absent=bool(raw.get("absent", False)),
        optional=bool(raw.get("optional", False)),
        not_value=num("not_value"),
        confidence_max=tier,
        contains=contains,
    )
    if expectation.absent and len(raw) > 1:
        raise PassageError(f"{where}: absent excludes every other key")
    return expectation


def _passage(raw: Any, source: str) -> Passage:
    if not isinstance(raw, dict):
        raise PassageError(f"{source}: every entry must be a mapping")
    pid = raw.get("id")
    where = f"{source}:{pid}"
    if not isinstance(pid, str) or not pid:
        raise PassageError(f"{source}: an entry has no id")
    unknown = set(raw) - _PASSAGE_KEYS
    missing = {"id", "class", "model_name", "text", "expect"} - set(raw)
    if unknown or missing:
        raise PassageError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    if raw["class"] not in CLASSES:
        raise PassageError(f"{where}: unknown class {raw['class']!r}")
    if not isinstance(raw["text"], str) or not isinstance(raw["model_name"], str):
        raise PassageError(f"{where}: text and model_name must be strings")
    expect = raw["expect"]
    if not isinstance(expect, dict) or not expect:
        raise PassageError(f"{where}: expect must be a non-empty mapping")
    hint = raw.get("parameters_hint")
    return Passage(
        id=pid,
        cls=raw["class"],
        model_name=raw["model_name"],
        parameters_hint=None if hint is None else _number(hint, f"{where}.parameters_hint"),
        text=raw["text"],
        expectations=tuple(_expectation(fact, spec, f"{where}.{fact}") for fact, spec in expect.items()),
        source=source,
    )


def load_passages(directory: Path = PASSAGE_DIR) -> list[Passage]:
    """Every passage in ``directory``'s YAML files, in file then document order.

    Raises :class:`PassageError` on a malformed entry or a repeated id.
    """
    passages: list[Passage] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(entries, list):
            raise PassageError(f"{path.name}: the file must hold a list of passages")
        for raw in entries:
            passage = _passage(raw, path.name)
            if passage.id in seen:
                raise PassageError(f"{path.name}: id {passage.id!r} is used twice")
            seen.add(passage.id)
            passages.append(passage)
    return passages


def _token_pattern(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _contains(value: Any, wanted: str) -> bool:
    items = value if isinstance(value, list | tuple) else [value]
    needle = _token_pattern(wanted)
    # A needle ending in a digit may not run on into more digits ("h20" is not "h200").
    tail = r"(?![0-9])" if needle[-1:].isdigit() else ""
    pattern = re.compile(r"(?<![a-z0-9])" + re.escape(needle) + tail)
    return any(pattern.search(_token_pattern(str(item))) for item in items)


def _within(figure: float, fact: Fact) -> bool:
    low = -math.inf if fact.low is None else float(fact.low) * (1 - BOUND_SLACK)
    high = math.inf if fact.high is None else float(fact.high) * (1 + BOUND_SLACK)
    return low <= figure <= high


def check_numeric(exp: Expectation, fact: Fact) -> str | None:
    """The first way a present numeric fact breaks ``exp``, or None."""
    value = fact.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"value {value!r} is not a number"
    value = float(value)
    if exp.value is not None:
        if abs(value - exp.value) > exp.rel * abs(exp.value):
            return f"value {value:.4g} is not within {exp.rel:.0%} of {exp.value:.4g}"
        if not _within(exp.value, fact):
            return f"interval [{fact.low}, {fact.high}] does not contain {exp.value:.4g}"
    if exp.minimum is not None and value < exp.minimum * (1 - BOUND_SLACK):
        return f"value {value:.4g} is below {exp.minimum:.4g}"
    if exp.maximum is not None and value > exp.maximum * (1 + BOUND_SLACK):
        return f"value {value:.4g} is above {exp.maximum:.4g}"
    if exp.not_value is not None and abs(value - exp.not_value) <= NOT_VALUE_REL * abs(exp.not_value):
        return f"value {value:.4g} is the figure it must not be ({exp.not_value:.4g})"
    return None


def check(exp: Expectation, fact: Fact | None) -> str | None:
    """Why ``fact`` breaks ``exp`` (one line), or None when it holds."""
    present = fact is not None and fact.value is not None
    if exp.absent:
        return None if not present else f"expected no value, got {summary(fact)}"
    if exp.confidence_max is not None and present:
        assert fact is not None
        if fact.confidence.rank < exp.confidence_max.rank:
            return f"confidence {fact.confidence.value} is stronger than {exp.confidence_max.value}: {summary(fact)}"
    if not present:
        if exp.optional or exp.confidence_max is not None:
            return None
        return "no value found"
    assert fact is not None
    if exp.contains is not None:
        return None if _contains(fact.value, exp.contains) else f"{fact.value!r} does not name {exp.contains!r}"
    if exp.fact in NUMERIC_FACTS:
        return check_numeric(exp, fact)
    return None


def summary(fact: Fact | None) -> str:
    """The fact's value, interval, confidence and first evidence, on one line."""
    if fact is None:
        return "none"
    if isinstance(fact.value, float | int) and not isinstance(fact.value, bool):
        shown = f"{fact.value:.4g} [{_bound(fact.low)}, {_bound(fact.high)}]"
    else:
        shown = repr(fact.value)
    text = f"{shown} {fact.confidence.value}"
    if fact.evidence:
        text += f" from {fact.evidence[0].detail[:80]!r}"
    if fact.alternatives:
        text += f" (alternatives: {', '.join(_alt(a) for a in fact.alternatives[:4])})"
    return text


def _bound(bound: float | None) -> str:
    return "-" if bound is None else f"{bound:.4g}"


def _alt(fact: Fact) -> str:
    value = fact.value
    return f"{value:.4g}" if isinstance(value, int | float) and not isinstance(value, bool) else repr(value)


def evaluate(passage: Passage) -> list[Outcome]:
    """Parse ``passage`` and judge every expectation.

    A parser error counts against every expectation of the passage (a card must never crash it).
    """
    from compliance.errors import ComplianceError
    from compliance.facts.card import parse_card

    try:
        info = parse_card(passage.text, parameters_hint=passage.parameters_hint, model_name=passage.model_name)
    except ComplianceError as exc:
        return [Outcome(passage, exp, f"parse_card raised {type(exc).__name__}: {exc}") for exp in passage.expectations]
    return [Outcome(passage, exp, check(exp, info.fact(exp.fact))) for exp in passage.expectations]
