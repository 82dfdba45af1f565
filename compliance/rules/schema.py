"""The rule-set file format, as strict pydantic models.

A rule-set file ``rules/<id>.yaml`` has three top-level keys::

    ruleset:      id, version, title, jurisdiction, markets, scope, description, sources
    conditions:   optional named conditions, reused in rules as {use: name}
    rules:        a list of rules

A rule has ``id, title, citation, link, status, effective_from, effective_until, severity,
effect, message, sourcing, when`` and optionally ``unless``, ``needs`` and
``superseded_by``. A condition is one of ``{all: [...]}``, ``{any: [...]}``, ``{not: c}``,
``{use: name}`` or a leaf ``{fact, op, value}`` / ``{fact, op, ref, factor}``; ``op`` is a key
of :data:`compliance.rules.operators.OPERATORS` and ``fact`` a key of ``FACT_SPECS``.

Every model forbids unknown keys and uses strict types, so a typo is a load error rather than
a rule that silently never fires. Numbers written as ``1e25`` (which YAML 1.1 reads as a
string) are accepted as numeric thresholds; any other string where a number belongs is an
error. The value of ``in`` / ``not_in`` on a string fact such as ``destination_country`` may
name a country group as ``{group: D5}``, alone or among codes (``[{group: D5}, MO]``); it
stands for the group's ISO codes, resolved when the rule set is compiled by the resolver the
caller passes to the loader. ``destination_groups`` holds group names itself, so it is tested
with the names: ``{fact: destination_groups, op: contains, value: D5}`` or ``intersects``
with a list. A ``{group: ...}`` anywhere else is an error that says which form to write.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from compliance.facts.names import FACT_SPECS, Kind
from compliance.rules.operators import OPERATORS, Operand
from compliance.rules.plain import VALUE_DOMAINS

RULESET_ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)*$"
CONDITION_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
MARKET_PATTERN = r"^[A-Z]{2}(?:-[A-Z]{2})?$"


Jurisdiction = Literal["EU", "US", "US-CA", "US-NY", "KR", "CN", "ORG"]
StatusName = Literal["in_force", "non_enforced", "revoked", "superseded", "proposed", "vetoed"]
SeverityName = Literal["info", "low", "medium", "high", "critical"]
VerdictName = Literal["triggered", "not_triggered", "uncertain", "not_applicable"]
Sourcing = Literal["V", "S", "M", "C"]

_SCI_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


def as_number(value: Any) -> float | None:
    """``value`` as a finite float if it is a number (or a ``1e25``-style string), else None.

    Infinities, NaN and integers beyond any float (``1e400``, ``.inf``, ten to the 400th) are
    not thresholds: they compare oddly and cannot be written back as a number.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str) and _SCI_NUMBER.match(value.strip()):
        number = float(value)
    else:
        return None
    return number if math.isfinite(number) else None


def check_fact_name(name: str) -> str:
    """``name`` if it is a known fact, else ValueError naming the closest spelling."""
    if name not in FACT_SPECS:
        raise ValueError(f"unknown fact {name!r}{_did_you_mean(name, FACT_SPECS)}")
    return name


def _did_you_mean(name: str, options: Any) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class GroupRef(_Strict):
    """A country group named in a value; resolved to ISO codes at compile time."""

    group: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]


class Condition(_Strict):
    """A condition node: exactly one of all / any / not / use / fact (a leaf)."""

    all_: list[Condition] | None = Field(default=None, alias="all", min_length=1)
    any_: list[Condition] | None = Field(default=None, alias="any", min_length=1)
    not_: Condition | None = Field(default=None, alias="not")
    use: Annotated[str, Field(pattern=CONDITION_NAME_PATTERN)] | None = None
    fact: str | None = None
    op: str | None = None
    value: Any = None
    ref: str | None = None
    factor: float | None = None

    @field_validator("fact", "ref")
    @classmethod
    def _known_fact(cls, name: str | None) -> str | None:
        return None if name is None else check_fact_name(name)

    @field_validator("op")
    @classmethod
    def _known_op(cls, op: str | None) -> str | None:
        if op is not None and op not in OPERATORS:
            raise ValueError(f"unknown operator {op!r}; known: {', '.join(OPERATORS)}")
        return op

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [k for k in ("all_", "any_", "not_", "use", "fact") if getattr(self, k) is not None]
        if len(forms) != 1:
            shown = [f.rstrip("_") for f in forms]
            raise ValueError(
                "a condition needs exactly one of all, any, not, use or fact"
                + (f" (found {', '.join(shown)})" if shown else "")
            )
        leaf_keys = {"op", "value", "ref", "factor"} & self.model_fields_set
        if self.fact is None:
            if leaf_keys:
                raise ValueError(f"{', '.join(sorted(leaf_keys))} only belong in a leaf with 'fact'")
            return self
        self._check_leaf()
        return self

    def _check_leaf(self) -> None:
        if self.op is None:
            raise ValueError("a leaf needs 'op'")
        assert self.fact is not None
        spec = OPERATORS[self.op]
        kind = FACT_SPECS[self.fact].kind
        if kind not in spec.kinds:
            raise ValueError(f"operator {self.op!r} does not apply to {kind.value} fact {self.fact!r}")
        has_value = "value" in self.model_fields_set
        if self.ref is not None or self.factor is not None:
            self._check_ref(spec.operand, has_value)
            return
        if spec.operand is Operand.NONE:
            if has_value:
                raise ValueError(f"operator {self.op!r} takes no value")
            return
        if not has_value:
            raise ValueError(f"operator {self.op!r} needs a value")
        self.value = _normalise_value(self.fact, kind, spec.operand, self.value)

    def _check_ref(self, operand: Operand, has_value: bool) -> None:
        if operand is not Operand.NUMBER:
            raise ValueError(f"'ref' only works with gt, gte, lt, lte (not {self.op!r})")
        if self.ref is None:
            raise ValueError("'factor' needs 'ref'")
        if has_value:
            raise ValueError("give either 'value' or 'ref', not both")
        if FACT_SPECS[self.ref].kind is not Kind.NUMBER:
            raise ValueError(f"ref fact {self.ref!r} is not numeric")
        if self.factor is None:
            self.factor = 1.0
        if not math.isfinite(self.factor) or self.factor <= 0:
            raise ValueError("'factor' must be positive and finite")

    @property
    def is_leaf(self) -> bool:
        """True for a {fact, op, ...} node."""
        return self.fact is not None


def _normalise_value(fact: str, kind: Kind, operand: Operand, value: Any) -> Any:
    """Check a leaf's value against the operator's operand and the fact's kind; return it cleaned."""
    if operand is not Operand.LIST:
        _no_group(fact, value)
    if operand is Operand.NUMBER:
        number = as_number(value)
        if number is None:
            raise ValueError(f"value must be a number (finite), got {value!r}")
        return number
    if operand is Operand.SCALAR:
        return _scalar(fact, kind, value)
    if operand is Operand.STRING:
        if not isinstance(value, str):
            raise ValueError(f"value must be a string, got {value!r}")
        return _in_domain(fact, value)
    if operand is Operand.STRINGS:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ValueError(f"value must be a non-empty list of strings, got {value!r}")
        return [_in_domain(fact, v) for v in value]
    # Operand.LIST: in / not_in.
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValueError(f"value must be a non-empty list or {{group: NAME}}, got {value!r}")
    out: list[Any] = []
    for item in value:
        if isinstance(item, GroupRef):
            # Pydantic may run this validator again on an already-cleaned nested condition.
            out.append(item)
        elif isinstance(item, dict):
            if kind is not Kind.STRING:
                raise ValueError("{group: ...} only works with string facts such as destination_country")
            try:
                out.append(GroupRef.model_validate(item))
            except ValidationError:
                raise ValueError(f"malformed group reference {item!r}; write {{group: NAME}}") from None
        else:
            out.append(_scalar(fact, kind, item))
    return out


def _no_group(fact: str, value: Any) -> None:
    """Refuse ``{group: NAME}`` where it cannot stand, naming the form that would work."""
    items = value if isinstance(value, list) else [value]
    named = next((v.get("group") for v in items if isinstance(v, dict) and "group" in v), None)
    if named is None:
        return
    if fact in VALUE_DOMAINS:
        raise ValueError(
            f"{fact} holds group names: write the name ({named!r}), not {{group: {named}}} "
            f"(e.g. {{fact: {fact}, op: contains, value: {named}}})"
        )
    raise ValueError(
        f"{{group: {named}}} stands for the group's countries, so it only works with 'in' or 'not_in' "
        f"(e.g. {{fact: destination_country, op: in, value: {{group: {named}}}}})"
    )


def _scalar(fact: str, kind: Kind, value: Any) -> Any:
    if kind is Kind.NUMBER:
        number = as_number(value)
        if number is None:
            raise ValueError(f"value must be a number (finite) for numeric fact {fact!r}, got {value!r}")
        return number
    if kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise ValueError(f"value must be true or false for fact {fact!r}, got {value!r}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"value must be a string for fact {fact!r}, got {value!r}")
    return _in_domain(fact, value)


def _in_domain(fact: str, value: str) -> str:
    domain = VALUE_DOMAINS.get(fact)
    if domain is not None and value not in domain:
        raise ValueError(f"{value!r} is not a known value of {fact!r}; known: {', '.join(sorted(domain))}")
    return value


class _EffectBase(_Strict):
    note: str | None = None


class Prohibited(_EffectBase):
    """The act (publishing, exporting) must not happen."""

    type: Literal["prohibited"]


class LicenseRequired(_EffectBase):
    """A licence (or a licence exception) is needed first."""

    type: Literal["license_required"]
    authority: str
    exceptions: list[str] = Field(default_factory=list)
    review_policy: str | None = None


class NotifyAuthority(_EffectBase):
    """An authority must be told, within a deadline when the law sets one."""

    type: Literal["notify_authority"]
    authority: str
    deadline_days: Annotated[int, Field(gt=0)] | None = None
    deadline_hours: Annotated[int, Field(gt=0)] | None = None
    frequency: str | None = None


class Obligations(_EffectBase):
    """Duties that apply, in plain words."""

    type: Literal["obligations"]
    obligations: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    comply_by: date | None = None


class Info(_EffectBase):
    """Something worth knowing; no duty by itself."""

    type: Literal["info"]


Effect = Annotated[Prohibited | LicenseRequired | NotifyAuthority | Obligations | Info, Field(discriminator="type")]


class Source(_Strict):
    """A document the rule set was written from."""

    title: Annotated[str, Field(min_length=1)]
    link: Annotated[str, Field(pattern=r"^https?://\S+$")]


Needs = list[str | list[str]]
"""Context a set or rule needs, else it is not applicable: every entry must be present in the
run's facts; an entry that is a list is met by any one of its facts. For example
``[[hardware, hardware_tpp], [destination_country, destination_groups]]`` needs a target
accelerator and a destination."""


def check_needs(needs: Needs) -> Needs:
    """Validate the fact names in a ``needs`` list."""
    for entry in needs:
        names = entry if isinstance(entry, list) else [entry]
        if not names:
            raise ValueError("an entry of 'needs' must name at least one fact")
        for name in names:
            check_fact_name(name)
    return needs


class Scope(_Strict):
    """When a rule set applies at all.

    ``selected_by``: ``market`` sets apply when the run's markets include one of the set's
    ``markets`` (or when no market was named); ``export`` sets apply to any release, whatever
    the market, except for destinations listed in ``domestic`` (no export happens there);
    ``always`` sets (organisation policy) apply to every run. ``needs``: see :data:`Needs`.
    """

    selected_by: Literal["market", "export", "always"] = "market"
    domestic: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)
    needs: Needs = Field(default_factory=list)

    @field_validator("needs")
    @classmethod
    def _facts(cls, needs: Needs) -> Needs:
        return check_needs(needs)


class RuleSetMeta(_Strict):
    """The ``ruleset:`` header."""

    id: Annotated[str, Field(pattern=RULESET_ID_PATTERN)]
    version: Annotated[str, Field(min_length=1)]
    title: Annotated[str, Field(min_length=1)]
    jurisdiction: Jurisdiction
    markets: list[Annotated[str, Field(pattern=MARKET_PATTERN)]] = Field(default_factory=list)
    scope: Scope = Field(default_factory=Scope)
    description: str = ""
    sources: list[Source] = Field(default_factory=list)

    @model_validator(mode="after")
    def _markets_match_scope(self) -> RuleSetMeta:
        if self.scope.selected_by == "market" and not self.markets:
            raise ValueError("a set selected by market needs at least one entry in 'markets'")
        if self.scope.selected_by != "market" and self.markets:
            raise ValueError(
                f"a set selected by {self.scope.selected_by} takes no 'markets' "
                "(exports are narrowed by destination, organisation policy always applies)"
            )
        if self.scope.domestic and self.scope.selected_by != "export":
            raise ValueError("'scope.domestic' only makes sense for export sets")
        return self


class Rule(_Strict):
    """One rule: a dated, cited legal test and what it means when it holds."""

    id: Annotated[str, Field(pattern=RULE_ID_PATTERN)]
    title: Annotated[str, Field(min_length=1)]
    citation: Annotated[str, Field(min_length=1)]
    link: Annotated[str, Field(pattern=r"^https?://\S+$")]
    status: StatusName
    effective_from: date | None = None
    effective_until: date | None = None
    severity: SeverityName
    effect: Effect
    message: Annotated[str, Field(min_length=1)]
    sourcing: Sourcing
    when: Condition
    unless: Condition | None = None
    needs: Needs = Field(default_factory=list)
    superseded_by: Annotated[str, Field(pattern=RULE_ID_PATTERN)] | None = None

    @field_validator("needs")
    @classmethod
    def _facts(cls, needs: Needs) -> Needs:
        return check_needs(needs)

    @model_validator(mode="after")
    def _dates(self) -> Rule:
        never = self.status in ("proposed", "vetoed")
        if self.effective_from is None and not never and self.status != "superseded":
            raise ValueError(f"a {self.status} rule needs 'effective_from'")
        if self.effective_until is not None:
            if self.effective_from is None:
                raise ValueError("'effective_until' needs 'effective_from'")
            if self.effective_until <= self.effective_from:
                raise ValueError(
                    f"effective_until {self.effective_until} must be after effective_from {self.effective_from}"
                )
        if self.status in ("non_enforced", "revoked") and self.effective_until is None:
            raise ValueError(f"a {self.status} rule needs 'effective_until' (the day it stopped applying)")
        if self.status == "superseded" and self.superseded_by is None:
            raise ValueError("a superseded rule needs 'superseded_by'")
        if self.superseded_by is not None and self.status != "superseded":
            raise ValueError("'superseded_by' only belongs on a superseded rule")
        return self


class RuleSetFile(_Strict):
    """A whole rule-set file."""

    ruleset: RuleSetMeta
    conditions: dict[Annotated[str, Field(pattern=CONDITION_NAME_PATTERN)], Condition] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)


def format_location(loc: tuple[int | str, ...], raw: Any) -> str:
    """A pydantic error location as a readable place: ``rule eu.x: when.all[1].op``.

    ``raw`` is the unvalidated document, used to name a rule by its id rather than its index.
    """
    parts = list(loc)
    prefix = ""
    if len(parts) >= 2 and parts[0] == "rules" and isinstance(parts[1], int):
        index = parts[1]
        rule_id = None
        rules = raw.get("rules") if isinstance(raw, dict) else None
        if isinstance(rules, list) and index < len(rules) and isinstance(rules[index], dict):
            rule_id = rules[index].get("id")
        prefix = f"rule {rule_id}" if isinstance(rule_id, str) else f"rules[{index}]"
        parts = parts[2:]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if prefix and path:
        return f"{prefix}: {path}"
    return prefix or path or "top level"


def describe_error(error: dict[str, Any]) -> str:
    """One pydantic error as a short sentence."""
    kind = error.get("type")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing required key"
    msg = str(error.get("msg", "invalid"))
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
