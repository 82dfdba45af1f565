"""Check options as JSON: validated when a check is submitted, turned into ``CheckOptions`` when it runs.

The stored form (``inputs["options"]`` of a check) is a JSON object with these keys, all
optional::

    as_of                 "YYYY-MM-DD"; absent: the day the check runs
    rules                 ["eu-ai-act-gpai", ...] rule-set ids; absent: every shipped set
    destination           country code or name ("AE", "China")
    markets               ["EU", "US-CA", ...]
    hardware              "H100x1024"
    open_weights          true | false
    developer_revenue_usd number
    fail_on               "info" | "low" | "medium" | "high" | "critical" (default "high")
    fail_on_uncertain     true | false (default true)
    use_waivers           true | false (default true): apply the stored waivers
    exact                 true | false: exact parameter counts (needs the ``exact`` extra)
    facts                 {"fact_name": value, ...} declared facts (scalars, lists, "LOW..HIGH")
    declared_by           {"fact_name": "ana@example.com in the dashboard", ...}: who declared
                          which of ``facts``; their evidence then reads "declared by ana@..."

Rule sets are named by id only: a path would let an API caller make the server read a file.
Everything is validated at submission, so a bad option is a 4xx for the caller, not a failed
task in a worker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from compliance.errors import InputError, UsageError
from compliance.facts.model import Evidence, Fact

_RULESET_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_BOOL_KEYS = ("open_weights", "fail_on_uncertain", "use_waivers", "exact")
_KEYS = frozenset(
    {"as_of", "rules", "destination", "markets", "hardware", "developer_revenue_usd", "fail_on", "facts",
     "declared_by", *_BOOL_KEYS}
)  # fmt: skip
MAX_DECLARED_FACTS = 100


@dataclass(slots=True)
class ResolvedOptions:
    """What a stored options object means for one run."""

    options: Any  # compliance.check.CheckOptions
    declared: list[Fact]
    use_exact: bool
    use_waivers: bool


def normalise_options(raw: Mapping[str, Any] | None, *, source: str = "options") -> dict[str, Any]:
    """Validate check options (the keys above) and return their JSON form; UsageError on a defect."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise UsageError("check options must be an object", source=source)
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise UsageError(f"unknown option {unknown[0]!r}; known: {', '.join(sorted(_KEYS))}", source=source)
    out: dict[str, Any] = {}
    if raw.get("as_of") is not None:
        out["as_of"] = _date(raw["as_of"], source).isoformat()
    if raw.get("rules"):
        rules = _str_list(raw["rules"], "rules", source)
        bad = [r for r in rules if not _RULESET_ID.match(r)]
        if bad:
            raise UsageError(f"rules: {bad[0]!r} is not a rule-set id", source=source)
        out["rules"] = rules
    out.update(_context(raw, source))
    if raw.get("developer_revenue_usd") is not None:
        revenue = raw["developer_revenue_usd"]
        if isinstance(revenue, bool) or not isinstance(revenue, int | float) or not 0 <= revenue < 1e15:
            raise UsageError("developer_revenue_usd must be a non-negative amount in USD", source=source)
        out["developer_revenue_usd"] = float(revenue)
    if raw.get("fail_on") is not None:
        from compliance.rules.findings import Severity

        try:
            out["fail_on"] = Severity(str(raw["fail_on"]).lower()).value
        except ValueError:
            raise UsageError(
                f"fail_on must be one of {', '.join(s.value for s in Severity)}, got {raw['fail_on']!r}", source=source
            ) from None
    for key in _BOOL_KEYS:
        if raw.get(key) is not None:
            if not isinstance(raw[key], bool):
                raise UsageError(f"{key} must be true or false", source=source)
            out[key] = raw[key]
    if raw.get("facts"):
        facts = raw["facts"]
        if not isinstance(facts, Mapping) or len(facts) > MAX_DECLARED_FACTS:
            raise UsageError(f"facts must be an object of at most {MAX_DECLARED_FACTS} facts", source=source)
        out["facts"] = {str(k): v for k, v in facts.items()}
        declared_facts(out["facts"], origin=source)  # validate now, not in the worker
    if raw.get("declared_by"):
        out["declared_by"] = _declarers(raw["declared_by"], out.get("facts") or {}, source)
    return out


def _declarers(raw: Any, facts: Mapping[str, Any], source: str) -> dict[str, str]:
    """``declared_by``: for some of the declared facts, who declared them (whitespace collapsed)."""
    if not isinstance(raw, Mapping) or not set(raw) <= set(facts):
        raise UsageError("declared_by must name, for facts declared in 'facts', who declared them", source=source)
    return {str(name): " ".join(_text(who, "declared_by", source).split()) for name, who in raw.items()}


def _context(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The deployment-context options: destination, markets, hardware."""
    out: dict[str, Any] = {}
    if raw.get("destination"):
        from compliance.hardware.destinations import resolve_country

        out["destination"] = resolve_country(_text(raw["destination"], "destination", source))
    if raw.get("markets"):
        from compliance.check import MARKETS

        markets = [m.upper() for m in _str_list(raw["markets"], "markets", source)]
        bad = [m for m in markets if m not in MARKETS]
        if bad:
            raise UsageError(f"markets: unknown market {bad[0]!r}; choose from {', '.join(MARKETS)}", source=source)
        out["markets"] = markets
    if raw.get("hardware"):
        from compliance.hardware.catalog import load_catalog, parse_hardware_spec

        spec = _text(raw["hardware"], "hardware", source)
        parse_hardware_spec(spec, load_catalog())
        out["hardware"] = spec
    return out


def declared_facts(facts: Mapping[str, Any], *, origin: str) -> list[Fact]:
    """Parse declared facts ``{name: value}``; the evidence names ``origin`` (who declared them)."""
    from compliance.facts.declared import parse_fact_option

    out = []
    for name, value in facts.items():
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, int | float | str):
            text = str(value)
        elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            text = ",".join(str(v) for v in value)
        else:
            raise UsageError(f"facts: {name} must be a number, text, yes/no or a list", source=origin)
        if "\n" in text or len(text) > 1000:
            raise UsageError(f"facts: {name} is too long or spans lines", source=origin)
        try:
            fact = parse_fact_option(f"{name}={text}")
        except InputError as exc:
            raise UsageError(exc.message, source=origin) from None
        fact.evidence = [Evidence("declared", origin, f"{name}={text}")]
        out.append(fact)
    return out


def resolve_options(stored: Mapping[str, Any], *, today: date, origin: str) -> ResolvedOptions:
    """The ``CheckOptions`` for stored options; ``today`` is the default ``as_of`` and waiver day."""
    from compliance.check import CheckOptions

    as_of = date.fromisoformat(stored["as_of"]) if stored.get("as_of") else today
    options = CheckOptions(
        as_of=as_of,
        rules=list(stored.get("rules") or ()),
        destination=stored.get("destination"),
        markets=list(stored.get("markets") or ()),
        hardware=stored.get("hardware"),
        open_weights=stored.get("open_weights"),
        developer_revenue_usd=stored.get("developer_revenue_usd"),
        fail_on=stored.get("fail_on", "high"),
        fail_on_uncertain=stored.get("fail_on_uncertain", True),
        use_waivers=bool(stored.get("use_waivers", True)),  # the service passes the stored waivers in
        today=today,
    )
    by = stored.get("declared_by") or {}
    declared = [
        fact
        for name, value in (stored.get("facts") or {}).items()
        for fact in declared_facts({name: value}, origin=f"declared by {by[name]}" if name in by else origin)
    ]
    return ResolvedOptions(options, declared, bool(stored.get("exact", False)), bool(stored.get("use_waivers", True)))


def _date(value: Any, source: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"as_of expects a date YYYY-MM-DD, got {value!r}", source=source) from None


def _text(value: Any, key: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise UsageError(f"{key} must be a short text", source=source)
    return value.strip()


def _str_list(value: Any, key: str, source: str) -> list[str]:
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > 50:
        raise UsageError(f"{key} must be a list of at most 50 names", source=source)
    return [v.strip() for v in value if v.strip()]
