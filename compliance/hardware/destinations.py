"""Destinations: ISO 3166 countries and the EAR country groups they belong to.

Both lists are shipped data (``compliance/data/countries.csv`` and
``compliance/data/country_groups.yaml``), loaded once and validated against each other: a group
member that is not an ISO code is a load error. The rules engine resolves ``{group: D5}`` values
through :func:`group_members`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from compliance.errors import InputError, RuleSetError, UsageError
from compliance.facts.model import Evidence, Fact

COUNTRIES_SOURCE = "compliance/data/countries.csv"
GROUPS_SOURCE = "compliance/data/country_groups.yaml"
GROUP_KEYS = ("AIA_TIER1", "A5", "A6", "D1", "D3", "D4", "D5", "E1", "E2", "MACAU")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Country:
    """One ISO 3166-1 entry."""

    alpha2: str
    alpha3: str
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CountryGroup:
    """One EAR country group as shipped."""

    key: str
    name: str
    as_of: str
    checked_against: tuple[str, ...]
    members: frozenset[str]


@dataclass(frozen=True, slots=True)
class GroupTable:
    """The whole country-group file."""

    source: str
    as_of: str
    groups: dict[str, CountryGroup]


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-blind form of a country name."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    words = re.findall(r"[a-z0-9]+", plain)
    return " ".join(w for w in words if w != "the")


def _read_data(name: str) -> str:
    return (resources.files("compliance") / "data" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def countries() -> dict[str, Country]:
    """Every ISO 3166-1 country by alpha-2 code."""
    return _parse_countries(_read_data("countries.csv"), COUNTRIES_SOURCE)


def _parse_countries(text: str, source: str) -> dict[str, Country]:
    out: dict[str, Country] = {}
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != ["alpha2", "alpha3", "name", "aliases"]:
        raise RuleSetError("header must be alpha2,alpha3,name,aliases", source=source, where="row 1")
    for row in reader:
        where = f"row {reader.line_num}"
        alpha2, alpha3, name = row["alpha2"], row["alpha3"], row["name"]
        if not re.fullmatch(r"[A-Z]{2}", alpha2 or "") or not re.fullmatch(r"[A-Z]{3}", alpha3 or ""):
            raise RuleSetError(f"bad ISO codes '{alpha2}', '{alpha3}'", source=source, where=where)
        if alpha2 in out:
            raise RuleSetError(f"duplicate code '{alpha2}'", source=source, where=where)
        if not name:
            raise RuleSetError("name is required", source=source, where=where)
        aliases = tuple(a.strip() for a in (row["aliases"] or "").split(";") if a.strip())
        out[alpha2] = Country(alpha2, alpha3, name, aliases)
    return out


@lru_cache(maxsize=1)
def _name_index() -> dict[str, str]:
    """Folded alpha-3 codes, names and aliases -> alpha-2. A name two countries share
    (none today) would resolve to neither rather than to a guess."""
    index: dict[str, str] = {}
    clashes: set[str] = set()
    for country in countries().values():
        for label in (country.alpha3, country.name, *country.aliases):
            key = _fold(label)
            if key in index and index[key] != country.alpha2:
                clashes.add(key)
            index.setdefault(key, country.alpha2)
    for key in clashes:
        del index[key]
    return index


def resolve_country(code_or_name: str) -> str:
    """ISO alpha-2 code for an alpha-2 or alpha-3 code or a common name ("cn", "CHN",
    "China", "South Korea", "Türkiye"); :class:`UsageError` for anything else."""
    text = (code_or_name or "").strip()
    if not text:
        raise UsageError("country is empty")
    if len(text) == 2 and text.upper() in countries():
        return text.upper()
    hit = _name_index().get(_fold(text)) if len(text) <= 100 else None
    if hit is None:
        raise UsageError(f"unknown country '{text}'")
    return hit


@lru_cache(maxsize=1)
def group_table() -> GroupTable:
    """The shipped country groups, validated against the ISO list."""
    return _parse_groups(_read_data("country_groups.yaml"), GROUPS_SOURCE, set(countries()))


def _parse_groups(text: str, source: str, known_codes: set[str]) -> GroupTable:
    # PyYAML is imported here, not with the module: a check whose rules name no group never needs it.
    from compliance.yamlsafe import load_yaml

    try:
        data = load_yaml(text, source=source)
    except InputError as exc:
        raise RuleSetError(exc.message, source=exc.source, where=exc.where) from None
    if not isinstance(data, dict) or not isinstance(data.get("groups"), dict):
        raise RuleSetError("expected a mapping with 'source', 'as_of' and 'groups'", source=source)
    as_of = str(data.get("as_of", ""))
    if not _DATE.fullmatch(as_of):
        raise RuleSetError(f"'as_of' must be a YYYY-MM-DD date, got '{as_of}'", source=source)
    groups: dict[str, CountryGroup] = {}
    for key, body in data["groups"].items():
        where = f"group {key}"
        if key not in GROUP_KEYS:
            raise RuleSetError(f"unknown group key '{key}'", source=source, where=where)
        if not isinstance(body, dict) or not isinstance(body.get("members"), list):
            raise RuleSetError("expected a mapping with a 'members' list", source=source, where=where)
        not_text = [m for m in body["members"] if not isinstance(m, str)]
        if not_text:
            # YAML reads a bare NO (Norway) as false; such a code must be quoted.
            raise RuleSetError(f"member {not_text[0]!r} is not a quoted code", source=source, where=where)
        members = list(body["members"])
        unknown = sorted(set(members) - known_codes)
        if unknown:
            raise RuleSetError(f"not ISO alpha-2 codes: {', '.join(unknown)}", source=source, where=where)
        dupes = sorted({m for m in members if members.count(m) > 1})
        if dupes:
            raise RuleSetError(f"listed twice: {', '.join(dupes)}", source=source, where=where)
        group_as_of = str(body.get("as_of", as_of))
        if not _DATE.fullmatch(group_as_of):
            raise RuleSetError(f"'as_of' must be a YYYY-MM-DD date, got '{group_as_of}'", source=source,
                               where=where)  # fmt: skip
        groups[key] = CountryGroup(
            key=key,
            name=str(body.get("name", key)),
            as_of=group_as_of,
            checked_against=tuple(str(c) for c in body.get("checked_against", [])),
            members=frozenset(members),
        )
    missing = [k for k in GROUP_KEYS if k not in groups]
    if missing:
        raise RuleSetError(f"missing group(s) {', '.join(missing)}", source=source)
    return GroupTable(source=str(data.get("source", "")), as_of=as_of, groups=groups)


def _group_key(group: str) -> str:
    """ "D:5", "d5" and "D5" all name group D5."""
    return re.sub(r"[\s:]", "", str(group)).upper()


def resolve_group(group: str) -> str:
    """The group key (``D5``) for a spelling of it (``D:5``, ``d5``); :class:`UsageError` for a
    group the shipped table does not define, since it comes from a declaration."""
    key = _group_key(group)
    if key not in GROUP_KEYS:
        raise UsageError(f"unknown country group '{str(group)[:40]}'; known: {', '.join(GROUP_KEYS)}")
    return key


def group_members(group: str) -> frozenset[str]:
    """ISO alpha-2 members of a group key (AIA_TIER1, A5, A6, D1, D3, D4, D5, E1, E2, MACAU).

    An unknown key is a :class:`RuleSetError`, since it comes from a rule file.
    """
    found = group_table().groups.get(_group_key(group))
    if found is None:
        raise RuleSetError(f"unknown country group '{group}'; known: {', '.join(GROUP_KEYS)}")
    return found.members


def country_groups(code: str) -> list[str]:
    """The group keys a country belongs to, in :data:`GROUP_KEYS` order."""
    alpha2 = resolve_country(code)
    table = group_table().groups
    return [key for key in GROUP_KEYS if alpha2 in table[key].members]


def destination_facts(code: str) -> list[Fact]:
    """``destination_country`` and ``destination_groups`` for a destination, with the group
    file and its as-of date as evidence."""
    alpha2 = resolve_country(code)
    country = countries()[alpha2]
    table = group_table()
    groups = country_groups(alpha2)
    dates = sorted({table.groups[g].as_of for g in groups}) or [table.as_of]
    listed = ", ".join(groups) if groups else "no listed group"
    return [
        Fact(
            "destination_country",
            alpha2,
            method="declared",
            evidence=[Evidence("catalog", COUNTRIES_SOURCE, f"'{code}' resolves to {alpha2} ({country.name})")],
        ),
        Fact(
            "destination_groups",
            groups,
            method="catalog",
            evidence=[
                Evidence(
                    "catalog",
                    GROUPS_SOURCE,
                    f"{alpha2} is in {listed} (country groups as of {table.as_of}; "
                    f"groups used dated {', '.join(dates)})",
                )
            ],
        ),
    ]
