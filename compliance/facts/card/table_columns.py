"""Accelerator counts and training durations in a table's columns, one row per model.

"| Model | Accelerators | Days |" with "| Wren-2B | 64 × A100 | 9 |": each row gives its model's count
and duration, with the row's label as the subject, so the chooser picks this model's row as it
does for token and hour columns.
"""

from __future__ import annotations

import re

from compliance.facts.card.blocks import Table, trim
from compliance.facts.card.choose import Candidate
from compliance.facts.card.durations import DURATION, duration_quantity
from compliance.facts.card.limits import HOURS_PER_UNIT, MAX_SCAN_CHARS
from compliance.facts.card.quantities import HW_COUNT, canonical_hw, find_hw, parse_number
from compliance.facts.card.roles import HOURS_HEADER, HW_BAD_HEADINGS, LATER_STAGE

# Column headers: (what makes one, what rules it out).
COUNT_HEADER = (
    re.compile(r"(?i:\b(?:accelerators?|gpus?|tpus?|chips?|hardware|devices|npus?)\b)"),
    # a type, a memory size or a rate rather than a count
    re.compile(r"(?i:type|model|memory|\bgb\b|vram|per\b|/|utili[sz]|mfu|%|hours?|time)"),
)
_TIME_UNIT = r"\b(?P<unit>days?|weeks?|months?)\b"
DURATION_HEADER = re.compile(r"(?i:" + _TIME_UNIT + r"|training time|duration|wall[- ]?clock)")
# A header about running the model, not training it ("Minimum VRAM", "Inference framework").
_USE_HEADER = re.compile(r"(?i:infer|deploy|\bserv(?:e[sd]?|ing)\b|requir|recommend|minimum|vram|quantiz|consumer)")
_BARE = re.compile(r"\s?[~≈]?\s?(?P<num>\d{1,3}(?:,\d{3}){0,2}(?:\.\d{1,2})?)\s?")


def scan_columns(table: Table, counts: list[Candidate], durations: list[Candidate]) -> None:
    """Accelerator-count and duration columns of a table whose rows are models."""
    if LATER_STAGE.search(table.headings.rsplit(" / ", 1)[-1]):
        return  # a table about fine-tuning or a later stage
    header = [" ".join(c.split()) for c in table.header]
    header_text = " | ".join(header)
    if HW_BAD_HEADINGS.search(table.headings) or _USE_HEADER.search(header_text):
        return  # hardware requirements or serving figures ("Minimum VRAM", "Inference framework")
    for column, title in enumerate(header):
        if column == 0 or HOURS_HEADER.search(title):
            continue
        is_count = bool(COUNT_HEADER[0].search(title)) and not COUNT_HEADER[1].search(title)
        if not (is_count or DURATION_HEADER.search(title)):
            continue
        # Bare figures in a duration column take the header's unit: "Days", "Training time (days)".
        unit = re.search(_TIME_UNIT, title, re.IGNORECASE)
        for row in table.rows:
            if column >= len(row.cells) or not row.cells[column]:
                continue
            cell = row.cells[column][:MAX_SCAN_CHARS]
            detail = trim(f"{header_text} || {' | '.join(row.cells)}")
            made = _count(cell, title) if is_count else _duration(cell, unit.group("unit") if unit else None)
            if made is None:
                continue
            value, low, high, hardware = made
            cand = Candidate(value, low, high, "", detail, row.line, row.label, from_table=True)
            cand.hardware = hardware
            (counts if is_count else durations).append(cand)


def _count(cell: str, title: str) -> tuple[float, float, float, str | None] | None:
    match = HW_COUNT.search(cell)
    if match is not None:
        count = parse_number(match.group("count"))
        hw = match.group("hw") or find_hw(title)
    else:
        bare = _BARE.fullmatch(cell)
        if bare is None or "." in bare.group("num"):
            return None
        count = parse_number(bare.group("num"))
        hw = find_hw(title)
    if not 1 <= count <= 1_000_000:
        return None
    return count, count, count, canonical_hw(hw) if hw else None


def _duration(cell: str, unit: str | None) -> tuple[float, float, float, str | None] | None:
    match = DURATION.search(cell)
    if match is not None:
        q = duration_quantity(match, cell)
        return None if q is None else (q.value, q.low, q.high, None)
    bare = _BARE.fullmatch(cell)
    if bare is None or unit is None:
        return None
    hours = parse_number(bare.group("num")) * HOURS_PER_UNIT[unit.lower().rstrip("s")]
    return (hours, hours, hours, None) if hours > 0 else None
