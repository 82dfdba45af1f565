"""The fact model: a value, an interval, a confidence tier, a method and the evidence behind it.

Every number the rules turn on is a :class:`Fact`. Numbers are in plain units (parameters,
tokens, FLOP, hours, US dollars). An exact fact has ``low == high == value``; an estimate has
an interval; an unknown fact has ``value is None`` and may still carry bounds (for example a
compute ceiling derived from the parameter count alone). ``high is None`` means unbounded.
"""

from __future__ import annotations

from enum import StrEnum

from compliance.records import FrozenRecord, Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Confidence(StrEnum):
    """Confidence tiers, as Epoch AI uses them."""

    CONFIDENT = "confident"
    LIKELY = "likely"
    SPECULATIVE = "speculative"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """0 for the strongest tier, 3 for unknown."""
        return _RANK[self]

    def weaker(self, steps: int = 1) -> Confidence:
        """The tier ``steps`` below this one (never past unknown)."""
        order = list(Confidence)
        return order[min(len(order) - 1, self.rank + steps)]

    @staticmethod
    def weakest(*tiers: Confidence) -> Confidence:
        """The weakest of several tiers: an estimate is only as good as its weakest input."""
        return max(tiers, key=lambda t: t.rank) if tiers else Confidence.UNKNOWN


_RANK = {Confidence.CONFIDENT: 0, Confidence.LIKELY: 1, Confidence.SPECULATIVE: 2, Confidence.UNKNOWN: 3}


class Evidence(FrozenRecord):
    """Where a fact came from.

    ``kind`` names the sort of source (``safetensors-header``, ``config``, ``card-metadata``,
    ``card-text``, ``declared``, ``hub-api``, ``catalog``, ``derived``, ``lineage``, ``exact``);
    ``source`` is the file, URL or option; ``detail`` is what was read there (a key, a header
    summary, or the quoted sentence); ``line`` is a 1-based line number in ``source`` when known.
    """

    __slots__ = ("kind", "source", "detail", "line")

    def __init__(self, kind: str, source: str, detail: str, line: int | None = None) -> None:
        self.kind = kind
        self.source = source
        self.detail = detail
        self.line = line

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {"kind": self.kind, "source": self.source, "detail": self.detail}
        if self.line is not None:
            out["line"] = self.line
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        """Inverse of :meth:`to_dict`."""
        return cls(str(data["kind"]), str(data["source"]), str(data["detail"]), data.get("line"))


class Fact(Record):
    """One fact about a model, with its interval, confidence, method and evidence.

    A numeric value with no bounds given is exact: ``low`` and ``high`` default to it.
    """

    __slots__ = ("name", "value", "low", "high", "confidence", "method", "evidence", "note", "alternatives")

    def __init__(
        self,
        name: str,
        value: Any,
        low: float | None = None,
        high: float | None = None,
        confidence: Confidence = Confidence.CONFIDENT,
        method: str = "reported",
        evidence: list[Evidence] | None = None,
        note: str | None = None,
        alternatives: list[Fact] | None = None,
    ) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if low is None:
                low = float(value)
            if high is None:
                high = float(value)
        self.name = name
        self.value = value
        self.low = low
        self.high = high
        self.confidence = confidence
        self.method = method
        self.evidence: list[Evidence] = [] if evidence is None else evidence
        self.note = note
        # Other estimates of the same fact that were not chosen (shown, never silently dropped).
        self.alternatives: list[Fact] = [] if alternatives is None else alternatives

    @property
    def known(self) -> bool:
        """True when the fact has a value (bounds alone do not count)."""
        return self.value is not None

    @property
    def is_numeric(self) -> bool:
        """True when the fact is a number or a numeric interval."""
        if isinstance(self.value, bool):
            return False
        return isinstance(self.value, int | float) or (
            self.value is None and (self.low is not None or self.high is not None)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``facts`` entries of the report contract)."""
        out: dict[str, Any] = {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence.value,
            "method": self.method,
            "evidence": [e.to_dict() for e in self.evidence],
        }
        if self.note:
            out["note"] = self.note
        if self.alternatives:
            out["alternatives"] = [a.to_dict() for a in self.alternatives]
        return out

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> Fact:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=name,
            value=data.get("value"),
            low=data.get("low"),
            high=data.get("high"),
            confidence=Confidence(data.get("confidence", "unknown")),
            method=str(data.get("method", "reported")),
            evidence=[Evidence.from_dict(e) for e in data.get("evidence", [])],
            note=data.get("note"),
            alternatives=[cls.from_dict(name, a) for a in data.get("alternatives", [])],
        )


def unknown(name: str, note: str | None = None) -> Fact:
    """A fact that nothing supports."""
    return Fact(name=name, value=None, confidence=Confidence.UNKNOWN, method="none", note=note)


class FactSet:
    """The facts about one model, by name, in the order they were found."""

    def __init__(self, facts: dict[str, Fact] | None = None) -> None:
        self._facts: dict[str, Fact] = dict(facts or {})

    def __contains__(self, name: object) -> bool:
        return name in self._facts

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._facts.values())

    def __len__(self) -> int:
        return len(self._facts)

    def get(self, name: str) -> Fact | None:
        """The fact, or None."""
        return self._facts.get(name)

    def value(self, name: str, default: Any = None) -> Any:
        """The fact's value, or ``default`` when absent or unknown."""
        fact = self._facts.get(name)
        return default if fact is None or fact.value is None else fact.value

    def set(self, fact: Fact) -> None:
        """Add or replace a fact."""
        self._facts[fact.name] = fact

    def names(self) -> list[str]:
        """Names of the facts present."""
        return list(self._facts)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """JSON-ready form, keyed by fact name."""
        return {name: fact.to_dict() for name, fact in self._facts.items()}

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, Any]]) -> FactSet:
        """Inverse of :meth:`to_dict`."""
        return cls({name: Fact.from_dict(name, body) for name, body in data.items()})
