"""Validated rule sets as plain data, and the light objects the engine evaluates.

:mod:`compliance.rules.schema` validates a rule-set file with pydantic; :func:`to_plain` turns
the validated document into dicts, lists, strings, numbers and ``None`` (what JSON holds), and
:func:`rule_from` / :func:`condition_from` / :func:`meta_from` rebuild from that the objects the
compiler, the describer and the book read. Both the first load of a file and a load from the
compiled cache (:mod:`compliance.rules.cache`) go through the plain form, so they give the same
book; and this module imports neither pydantic nor PyYAML, which keeps a warm ``check`` fast.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compliance.rules.schema import RuleSetFile

# The country-group keys agreed with compliance/hardware, which owns their membership.
COUNTRY_GROUPS = frozenset({"AIA_TIER1", "A5", "A6", "D1", "D3", "D4", "D5", "E1", "E2", "MACAU"})
# Facts whose string members must come from a closed vocabulary.
VALUE_DOMAINS: dict[str, frozenset[str]] = {"destination_groups": COUNTRY_GROUPS}

Needs = list[str | list[str]]


def unmet_needs(needs: Needs, present: Container[str]) -> str | None:
    """A sentence naming the unmet entries of ``needs``, or None when all are met."""
    unmet = []
    for entry in needs:
        names = entry if isinstance(entry, list) else [entry]
        if not any(name in present for name in names):
            unmet.append(" or ".join(names))
    return f"needs {' and '.join(unmet)}, which this run does not give" if unmet else None


class GroupName:
    """A country group named in a condition's value (``{group: D5}``), resolved when compiled."""

    __slots__ = ("group",)

    def __init__(self, group: str) -> None:
        self.group = group

    def __repr__(self) -> str:
        return f"GroupName({self.group!r})"


def group_of(item: Any) -> str | None:
    """The group an item of a value list names (a :class:`GroupName` or the schema's
    ``GroupRef``), or None for a plain value."""
    group = getattr(item, "group", None)
    return group if isinstance(group, str) else None


class Condition:
    """One condition node, as validated: exactly one of ``all_``, ``any_``, ``not_``, ``use``
    or ``fact`` (a leaf, with ``op`` and ``value`` or ``ref`` and ``factor``)."""

    __slots__ = ("all_", "any_", "data", "fact", "factor", "not_", "op", "ref", "use", "value")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data: Mapping[str, Any] = data  # as written, for ``rules show``
        self.all_ = _children(data.get("all"))
        self.any_ = _children(data.get("any"))
        inner = data.get("not")
        self.not_: Condition | None = None if inner is None else Condition(inner)
        self.use: str | None = data.get("use")
        self.fact: str | None = data.get("fact")
        self.op: str | None = data.get("op")
        value = data.get("value")
        if isinstance(value, list):
            value = [GroupName(v["group"]) if isinstance(v, dict) else v for v in value]
        self.value: Any = value
        self.ref: str | None = data.get("ref")
        self.factor: float | None = data.get("factor")

    @property
    def is_leaf(self) -> bool:
        """True for a {fact, op, ...} node."""
        return self.fact is not None


def _children(items: list[Any] | None) -> list[Condition] | None:
    return None if items is None else [Condition(c) for c in items]


def condition_from(data: Mapping[str, Any]) -> Condition:
    """A condition from its plain form."""
    return Condition(data)


# Plain classes with __slots__ rather than dataclasses: building a dataclass costs about a
# millisecond at import, and this module is on every check's start-up path.


class RuleSpec:
    """One validated rule: its fields, its conditions and its effect as plain data."""

    __slots__ = (
        "citation",
        "data",
        "effect",
        "effective_from",
        "effective_until",
        "id",
        "link",
        "message",
        "needs",
        "severity",
        "sourcing",
        "status",
        "superseded_by",
        "title",
        "unless",
        "when",
    )

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.id: str = data["id"]
        self.title: str = data["title"]
        self.citation: str = data["citation"]
        self.link: str = data["link"]
        self.status: str = data["status"]
        self.effective_from = _date(data.get("effective_from"))
        self.effective_until = _date(data.get("effective_until"))
        self.severity: str = data["severity"]
        self.effect: dict[str, Any] = data["effect"]
        self.message: str = data["message"]
        self.sourcing: str = data["sourcing"]
        self.when = Condition(data["when"])
        unless = data.get("unless")
        self.unless = None if unless is None else Condition(unless)
        self.needs: Needs = data.get("needs", [])
        self.superseded_by: str | None = data.get("superseded_by")
        # Every field but the conditions, as ``rules show`` prints it.
        self.data: Mapping[str, Any] = {k: v for k, v in data.items() if k not in ("when", "unless")}


def rule_from(data: Mapping[str, Any]) -> RuleSpec:
    """A rule from its plain form (see :func:`to_plain`)."""
    return RuleSpec(data)


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


class Scope:
    """When a rule set applies (see :class:`compliance.rules.schema.Scope`)."""

    __slots__ = ("domestic", "needs", "selected_by")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.selected_by: str = data["selected_by"]
        self.domestic: list[str] = list(data["domestic"])
        self.needs: Needs = data["needs"]


class SetMeta:
    """The ``ruleset:`` header of a validated file."""

    __slots__ = ("description", "id", "jurisdiction", "markets", "scope", "sources", "title", "version")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.id: str = data["id"]
        self.version: str = data["version"]
        self.title: str = data["title"]
        self.jurisdiction: str = data["jurisdiction"]
        self.markets: list[str] = list(data["markets"])
        self.scope = Scope(data["scope"])
        self.description: str = data["description"]
        self.sources: list[dict[str, str]] = [{"title": s["title"], "link": s["link"]} for s in data["sources"]]


def meta_from(data: Mapping[str, Any]) -> SetMeta:
    """A rule-set header from its plain form."""
    return SetMeta(data)


def to_plain(doc: RuleSetFile) -> dict[str, Any]:
    """A validated rule-set file as JSON-ready data: ``{"ruleset", "conditions", "rules"}``.

    Conditions keep only the keys written (or set by validation, such as a ``ref``'s default
    ``factor`` and a ``1e25`` string read as a number); rules drop empty fields.
    """

    def condition(cond: Any) -> dict[str, Any]:
        return dict(cond.model_dump(mode="json", by_alias=True, exclude_unset=True))

    rules: list[dict[str, Any]] = []
    for rule in doc.rules:
        out = rule.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"when", "unless"})
        out["when"] = condition(rule.when)
        if rule.unless is not None:
            out["unless"] = condition(rule.unless)
        rules.append(out)
    return {
        "ruleset": doc.ruleset.model_dump(mode="json"),
        "conditions": {name: condition(c) for name, c in doc.conditions.items()},
        "rules": rules,
    }
