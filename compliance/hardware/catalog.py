"""The accelerator catalog: loading and validating the CSV, and looking chips up by name.

The catalog (``compliance/data/hardware.csv``) stores only what vendors and public sources say
about a chip: dense peak rates per precision, die area, memory, links, power. It stores no
export classification: the rule sets decide from the figures :mod:`compliance.hardware.accelerator`
computes, with the arithmetic shown in the evidence (:mod:`compliance.hardware.facts`).
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from compliance.errors import RuleSetError, UsageError
from compliance.hardware.accelerator import DEFAULT_SOURCE, PRECISIONS, Accelerator, TppTerm
from compliance.hardware.facts import hardware_facts, hardware_row, hardware_rows
from compliance.hardware.naming import NameKey, classify, form_families, name_key, tokens
from compliance.hardware.specs import MAX_COUNT, parse_hardware_spec

__all__ = [
    "COLUMNS",
    "MAX_COUNT",
    "Accelerator",
    "Catalog",
    "TppTerm",
    "hardware_facts",
    "hardware_row",
    "hardware_rows",
    "load_catalog",
    "parse_catalog",
    "parse_hardware_spec",
]

MAX_CATALOG_BYTES = 5 * 1024 * 1024
MAX_FIND_CHARS = 2000

COLUMNS = (
    "id",
    "vendor",
    "name",
    "aliases",
    "form_factor",
    "datacenter",
    "fp64_tflops",
    "fp32_tflops",
    "tf32_tflops",
    "bf16_tflops",
    "fp16_tflops",
    "fp8_tflops",
    "int8_tops",
    "fp4_tflops",
    "die_area_mm2",
    "memory_gb",
    "memory_type",
    "mem_bw_tbps",
    "hbm_stack_area_mm2",
    "interconnect_gbps",
    "tdp_w",
    "developer_country",
    "release_year",
    "estimated",
    "sources",
    "notes",
)

_NUMBER_COLUMNS = (
    *(col for col, _ in PRECISIONS.values()),
    "die_area_mm2",
    "memory_gb",
    "mem_bw_tbps",
    "hbm_stack_area_mm2",
    "interconnect_gbps",
    "tdp_w",
)
MEMORY_TYPES = ("HBM", "HBM2", "HBM2e", "HBM3", "HBM3e", "GDDR6", "GDDR6X", "GDDR7", "LPDDR5")

_SLUG = re.compile(r"[a-z0-9][a-z0-9.-]{0,63}")
_SOURCE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SOURCE_LINE = re.compile(r"#\s*source\s+(\S+?)\s*:\s*(.+)$")
_COUNTRY = re.compile(r"[A-Z]{2}")


class Catalog:
    """The accelerators of one catalog file, with name lookup."""

    def __init__(self, accelerators: Sequence[Accelerator], source: str = DEFAULT_SOURCE) -> None:
        self.source = source
        self._items = list(accelerators)
        self._by_id: dict[str, Accelerator] = {}
        self._exact: dict[NameKey, Accelerator] = {}
        self._by_base: dict[str, list[Accelerator]] = {}
        self._forms: dict[str, frozenset[str]] = {}
        self._memories: dict[str, frozenset[float]] = {}
        self._labels: dict[str, Accelerator] = {}
        for acc in self._items:
            self._index(acc)

    def _index(self, acc: Accelerator) -> None:
        where = f"row {acc.line}" if acc.line else None
        if acc.id in self._by_id:
            first = self._by_id[acc.id]
            raise RuleSetError(f"duplicate id '{acc.id}' (first on row {first.line})", source=self.source, where=where)
        self._by_id[acc.id] = acc
        forms: set[str] = set(form_families(acc.form_factor))
        memories: set[float] = {acc.memory_gb} if acc.memory_gb is not None else set()
        for label in (acc.id.replace("-", " "), acc.name, *acc.aliases):
            key = name_key(label)
            if not key.base:
                raise RuleSetError(f"name or alias '{label}' has no identifying word", source=self.source, where=where)
            other = self._exact.get(key)
            if other is not None and other is not acc:
                raise RuleSetError(
                    f"alias '{label}' also names '{other.id}' (row {other.line})",
                    source=self.source,
                    where=where,
                )
            self._exact[key] = acc
            bucket = self._by_base.setdefault(key.base, [])
            if acc not in bucket:
                bucket.append(acc)
            if key.form:
                forms.add(key.form)
            if key.memory_gb is not None:
                memories.add(key.memory_gb)
            self._labels.setdefault(key.compact(), acc)
            self._labels.setdefault(label.lower(), acc)
        self._forms[acc.id] = frozenset(forms)
        self._memories[acc.id] = frozenset(memories)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Accelerator]:
        return iter(self._items)

    def all(self) -> list[Accelerator]:
        """Every accelerator, in file order."""
        return list(self._items)

    def by_id(self, acc_id: str) -> Accelerator | None:
        """The accelerator with this exact id, or None."""
        return self._by_id.get(acc_id)

    def _match(self, key: NameKey) -> Accelerator | None:
        """Exact key first; else the first row of that base that fits the form and memory given."""
        hit = self._exact.get(key)
        if hit is not None:
            return hit
        candidates = self._by_base.get(key.base, [])
        if key.form:
            narrowed = [c for c in candidates if key.form in self._forms[c.id]]
            candidates = narrowed or candidates
        if key.memory_gb is not None:
            narrowed = [c for c in candidates if key.memory_gb in self._memories[c.id]]
            candidates = narrowed or candidates
        return candidates[0] if candidates else None

    def lookup(self, name: str) -> Accelerator | None:
        """Match a name without scanning prose: case, hyphens, vendor words, memory suffixes,
        form words and filler ("GPUs") do not matter; a memory size or form picks the variant."""
        if not name or not name.strip() or len(name) > MAX_FIND_CHARS:
            return None
        return self._match(name_key(name))

    def find(self, text: str) -> Accelerator | None:
        """Lenient match of free text such as "A100 80GB", "8x H800 GPUs" or "trained on TPU v4".

        Tries :meth:`lookup` first, then looks for the longest run of words in the text that
        names a known chip, and applies any memory size or form the text mentions.
        """
        hit = self.lookup(text)
        if hit is not None or not text or len(text) > MAX_FIND_CHARS:
            return hit
        base, form, memory = classify(tokens(text))
        for length in range(min(len(base), 4), 0, -1):
            for start in range(len(base) - length + 1):
                joined = "".join(base[start : start + length])
                # A bare number in prose ("3090 steps") is far likelier a count than a chip.
                if joined in self._by_base and not joined.isdigit():
                    return self._match(NameKey(joined, form, memory))
        return None

    def find_all(self, text: str) -> list[Accelerator]:
        """Every accelerator named in a list such as "Google TPU v4,Google TPU v3"."""
        found: list[Accelerator] = []
        for part in re.split(r"[,;/+&]|\band\b|\bor\b", text or ""):
            acc = self.find(part) if part.strip() else None
            if acc is not None and acc not in found:
                found.append(acc)
        return found

    def suggestions(self, name: str, limit: int = 3) -> list[str]:
        """Catalog names close to ``name``, best first."""
        query = name_key(name)
        probes = [p for p in (query.compact(), name.strip().lower()) if p]
        names: list[str] = []
        for probe in probes:
            for label in difflib.get_close_matches(probe, list(self._labels), n=limit * 2, cutoff=0.6):
                acc_name = self._labels[label].name
                if acc_name not in names:
                    names.append(acc_name)
        if query.base:
            for base, accs in self._by_base.items():
                if base.startswith(query.base) or (len(base) >= 3 and query.base.startswith(base)):
                    names.extend(a.name for a in accs if a.name not in names)
        return names[:limit]

    def get(self, name: str) -> Accelerator:
        """The accelerator a name denotes; :class:`UsageError` with suggestions when none does."""
        if not name or not name.strip():
            raise UsageError("hardware name is empty")
        hit = self.lookup(name)
        if hit is not None:
            return hit
        close = self.suggestions(name)
        if close:
            hint = "; did you mean " + ", ".join(f"'{n}'" for n in close) + "?"
        else:
            hint = "; `compliance hardware list` shows the catalog"
        raise UsageError(f"unknown hardware '{name.strip()}'{hint}")


# --- loading -------------------------------------------------------------------------------------


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load and validate a catalog CSV (the shipped one by default); cached per file version.

    Any defect raises :class:`RuleSetError` naming the file, the row (line number) and the column.
    """
    if path is None:
        return _load_shipped()
    file = Path(path)
    try:
        stat = file.stat()
    except OSError as exc:
        raise RuleSetError(f"cannot read hardware catalog: {exc.strerror}", source=str(file)) from None
    return _load_file(str(file), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1)
def _load_shipped() -> Catalog:
    text = (resources.files("compliance") / "data" / "hardware.csv").read_text(encoding="utf-8")
    return parse_catalog(text, DEFAULT_SOURCE)


@lru_cache(maxsize=32)
def _load_file(path: str, mtime_ns: int, size: int) -> Catalog:
    # mtime and size are part of the cache key so an edited file is read again.
    if size > MAX_CATALOG_BYTES:
        raise RuleSetError(f"hardware catalog larger than {MAX_CATALOG_BYTES} bytes", source=path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleSetError(f"cannot read hardware catalog: {exc}", source=path) from None
    return parse_catalog(text, path)


def parse_catalog(text: str, source: str) -> Catalog:
    """Parse catalog CSV text. Lines starting with ``#`` are comments; ``# source KEY: what``
    lines define the source keys rows may cite. A record must fit on one line."""
    header: list[str] | None = None
    source_keys: set[str] = set()
    accelerators: list[Accelerator] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            match = _SOURCE_LINE.match(stripped)
            if match:
                source_keys.add(match.group(1))
            continue
        fields = next(csv.reader([line]))
        if header is None:
            header = _check_header(fields, source, lineno)
            continue
        if len(fields) != len(header):
            raise RuleSetError(
                f"{len(fields)} fields where the header has {len(header)}",
                source=source,
                where=f"row {lineno}",
            )
        row = dict(zip(header, (f.strip() for f in fields), strict=True))
        accelerators.append(_RowParser(row, source, lineno, source_keys).accelerator())
    if header is None:
        raise RuleSetError("no header row", source=source)
    if not accelerators:
        raise RuleSetError("no accelerator rows", source=source)
    return Catalog(accelerators, source)


def _check_header(fields: list[str], source: str, lineno: int) -> list[str]:
    names = [f.strip() for f in fields]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [c for c in names if c not in COLUMNS]
    dupes = sorted({c for c in names if names.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    if dupes:
        problems.append(f"duplicate column(s) {', '.join(dupes)}")
    if problems:
        raise RuleSetError("; ".join(problems), source=source, where=f"row {lineno}")
    return names


class _RowParser:
    """Turns one CSV row into an :class:`Accelerator`, naming the column of any defect."""

    def __init__(self, row: dict[str, str], source: str, lineno: int, source_keys: set[str]) -> None:
        self.row = row
        self.source = source
        self.lineno = lineno
        self.source_keys = source_keys

    def fail(self, column: str, message: str) -> RuleSetError:
        return RuleSetError(message, source=self.source, where=f"row {self.lineno}, column '{column}'")

    def text(self, column: str, *, required: bool = False, limit: int = 200) -> str:
        value = self.row[column]
        if required and not value:
            raise self.fail(column, "value is required")
        if len(value) > limit:
            raise self.fail(column, f"longer than {limit} characters")
        return value

    def number(self, column: str) -> float | None:
        raw = self.row[column]
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise self.fail(column, f"bad number '{raw}'") from None
        if not math.isfinite(value) or value <= 0:
            raise self.fail(column, f"must be a positive number, got '{raw}'")
        return value

    def flag(self, column: str) -> bool | None:
        raw = self.row[column].lower()
        if not raw:
            return None
        if raw in ("true", "yes"):
            return True
        if raw in ("false", "no"):
            return False
        raise self.fail(column, f"expected true, false or blank, got '{self.row[column]}'")

    def listing(self, column: str, pattern: re.Pattern[str] | None = None) -> tuple[str, ...]:
        items = tuple(item.strip() for item in self.row[column].split(";") if item.strip())
        for item in items:
            if len(item) > 100 or (pattern is not None and not pattern.fullmatch(item)):
                raise self.fail(column, f"malformed entry '{item}'")
        return items

    def accelerator(self) -> Accelerator:
        acc_id = self.text("id", required=True)
        if not _SLUG.fullmatch(acc_id):
            raise self.fail("id", f"'{acc_id}' is not a slug (lower-case letters, digits, '-', '.')")
        numbers: dict[str, Any] = {column: self.number(column) for column in _NUMBER_COLUMNS}
        memory_type = self._memory_type()
        if numbers["hbm_stack_area_mm2"] is not None and not (memory_type or "").upper().startswith("HBM"):
            raise self.fail("hbm_stack_area_mm2", "given for a chip whose memory is not HBM")
        sources = self.listing("sources", _SOURCE_KEY)
        if not sources:
            raise self.fail("sources", "at least one source key is required")
        undefined = [k for k in sources if self.source_keys and k not in self.source_keys]
        if undefined:
            raise self.fail("sources", f"source key '{undefined[0]}' is not defined in a '# source' line")
        return Accelerator(
            id=acc_id,
            vendor=self.text("vendor", required=True),
            name=self.text("name", required=True),
            aliases=self.listing("aliases"),
            form_factor=self.text("form_factor"),
            datacenter=self.flag("datacenter"),
            memory_type=memory_type,
            developer_country=self._country(),
            release_year=self._year(),
            estimated=bool(self.flag("estimated")),
            sources=sources,
            notes=self.text("notes", limit=500),
            source_file=self.source,
            line=self.lineno,
            **numbers,
        )

    def _memory_type(self) -> str | None:
        raw = self.row["memory_type"]
        if not raw:
            return None
        for known in MEMORY_TYPES:
            if raw.lower() == known.lower():
                return known
        raise self.fail("memory_type", f"unknown memory type '{raw}'; known: {', '.join(MEMORY_TYPES)}")

    def _country(self) -> str | None:
        raw = self.row["developer_country"]
        if raw and not _COUNTRY.fullmatch(raw):
            raise self.fail("developer_country", f"expected an ISO alpha-2 code, got '{raw}'")
        return raw or None

    def _year(self) -> int | None:
        raw = self.row["release_year"]
        if not raw:
            return None
        if not raw.isdigit() or not 1990 <= int(raw) <= 2100:
            raise self.fail("release_year", f"bad year '{raw}'")
        return int(raw)
