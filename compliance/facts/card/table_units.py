"""A scale stated once in a table's header applied to the bare figures under it.

Tables often put the scale in the column header or row label and leave the cells bare:
"| Training tokens (billions) | 1,800 |", "| Params (B) |", "| GPU hours (k) |", "| Tokens [T] |",
"| Data seen (tokens, in billions) |". Each bare cell in such a column or row is rewritten with the
scale word ("1,800 billion") and the scale is dropped from the label, so the table reads as if the
card had written the unit in every cell. A cell that already carries a unit ("2T") is left alone.
"""

from __future__ import annotations

import re

_SCALE_WORDS = {
    "trillion": "trillion",
    "trillions": "trillion",
    "tn": "trillion",
    "t": "trillion",
    "billion": "billion",
    "billions": "billion",
    "bn": "billion",
    "b": "billion",
    "million": "million",
    "millions": "million",
    "mn": "million",
    "m": "million",
    "thousand": "thousand",
    "thousands": "thousand",
    "k": "thousand",
}

# The scale is the last thing in a trailing bracket: "(B)", "[T]", "(in billions)", "(tokens, millions)".
_HEADER_UNIT = re.compile(
    r"\s?[(\[](?:(?P<inner>[^()\[\]]{0,30}?)(?:,\s?|\s))?(?:in\s)?(?P<unit>(?i:trillions?|billions?|millions?|thousands?|tn|bn|mn)"
    r"|[TBMKk])[)\]]\s*$"
)
# A cell holding only a figure, perhaps with a quantifier or a plus: "1,800", "~15", "6.4", "> 2", "300+".
_BARE = re.compile(
    r"(?P<lead>(?:[~≈<>]|(?i:about|approx\.?|around|over|roughly|nearly|more than))?\s?)"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<plus>\+?)"
)


def header_unit(title: str) -> tuple[str, str | None]:
    """The title without its trailing scale, and the scale word ("Tokens (T)" -> ("Tokens", "trillion")).

    Other words in the bracket stay, after a comma: "Data seen (tokens, in billions)" -> "Data seen, tokens".
    """
    match = _HEADER_UNIT.search(title)
    if match is None:
        return title, None
    inner = (match.group("inner") or "").strip(" ,")
    if inner[-1:].isdigit():
        return title, None  # "Heron (7 B)": a model's size, not a scale for the row
    if inner.lower() == "in":
        inner = ""
    stripped = title[: match.start()].rstrip() + (f", {inner}" if inner else "")
    return stripped, _SCALE_WORDS[match.group("unit").lower()]


def scaled_cell(cell: str, scale: str | None) -> str:
    """``cell`` with ``scale`` written after its figure, when the cell is a bare figure."""
    if scale is None:
        return cell
    match = _BARE.fullmatch(cell.strip())
    if match is None:
        return cell
    return f"{match.group('lead')}{match.group('num')} {scale}{match.group('plus')}"


def apply_header_units(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows with each column's and each row label's scale written into the bare cells."""
    titles_units = [header_unit(title) for title in header]
    new_header = [title for title, _ in titles_units]
    new_rows = []
    for cells in rows:
        label, row_scale = header_unit(cells[0]) if cells else ("", None)
        row = [label] if cells else []
        for column, cell in enumerate(cells[1:], start=1):
            column_scale = titles_units[column][1] if column < len(titles_units) else None
            row.append(scaled_cell(cell, row_scale or column_scale))
        new_rows.append(row)
    return new_header, new_rows
