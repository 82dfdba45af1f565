"""A card body split into sentences (with their line and headings) and tables, code skipped."""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from compliance.facts.card.limits import (
    MAX_DETAIL_CHARS,
    MAX_PARAGRAPH_CHARS,
    MAX_SCAN_CHARS,
    MAX_TABLE_CELLS,
    MAX_TABLE_LINES,
)
from compliance.facts.card.table_units import apply_header_units


@dataclass
class Sentence:
    text: str
    line: int
    headings: str  # the enclosing headings, lower-cased


@dataclass
class Row:
    label: str  # first cell
    cells: list[str]
    line: int


@dataclass
class Table:
    header: list[str]
    rows: list[Row]
    headings: str
    line: int


_FENCE = re.compile(r"\s{0,3}(`{3,}|~{3,})")

_HEADING = re.compile(r"\s{0,3}(#{1,6})\s*(.*)")

_LIST_ITEM = re.compile(r"\s{0,12}(?:[-*+]|\d{1,3}[.)])\s")

_TAG = re.compile(r"<[^<>]*>")

_INLINE_CODE = re.compile(r"`[^`]*`")

_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()\s]*\)")

_URL = re.compile(r"https?://\S+")

# "10**9" is a power of ten, not bold text.
_EMPHASIS = re.compile(r"(?!(?<=10)\*\*\d)\*\*|__|\\(?=[~*_#|\[\]()])")

_SENTENCE_END = re.compile(r"[.!?](?=\s)|[。！？]")

WORD = re.compile(r"[a-z0-9][a-z0-9.]*")


def trim(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean(line: str) -> str:
    """A line as plain text: no inline code, tags, link targets, URLs or emphasis marks."""
    text = line[:MAX_SCAN_CHARS]
    if "`" in text:
        text = _INLINE_CODE.sub(" ", text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "](" in text:
        text = _LINK.sub(r"\1", text)
    if "://" in text:
        text = _URL.sub(" ", text)
    text = _EMPHASIS.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def _split_sentences(text: str, offsets: list[tuple[int, int]], headings: str) -> Iterator[Sentence]:
    """Sentences of a paragraph, each with the file line where it starts."""
    start = 0
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    ends.append(len(text))
    cursor = 0
    for end in ends:
        piece = text[start:end].strip()
        if piece:
            first = start + (len(text[start:end]) - len(text[start:end].lstrip()))
            while cursor + 1 < len(offsets) and offsets[cursor + 1][0] <= first:
                cursor += 1
            yield Sentence(piece, offsets[cursor][1], headings)
        start = end


def _cells(line: str) -> list[str]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|"):
        text = text[:-1]
    return [cell.strip() for cell in text.split("|")]


def _is_separator(line: str) -> bool:
    if "-" not in line or "|" not in line:
        return False
    cells = _cells(line)
    return bool(cells) and all(c and set(c) <= set(":- ") and "-" in c for c in cells)


_ROWSPAN = re.compile(r"rowspan\s*=\s*[\"']?(\d{1,3})", re.IGNORECASE)

_TR = re.compile(r"<tr\b", re.IGNORECASE)

_CELL = re.compile(r"<t[dh]\b[^<>]*>", re.IGNORECASE)


def _html_table(lines: list[tuple[int, str]], headings: str) -> Table | None:
    """Rows of a simple HTML table (rowspan honoured, colspan ignored)."""
    joined = ""
    starts: list[tuple[int, int]] = []
    for number, line in lines:
        starts.append((len(joined), number))
        joined += line[:MAX_SCAN_CHARS] + "\n"
    row_starts = [m.start() for m in _TR.finditer(joined)]
    if not row_starts:
        return None
    offsets = [offset for offset, _ in starts]
    rows: list[Row] = []
    total_cells = 0
    spans: dict[int, tuple[int, str]] = {}  # column -> (rows left, text)
    for index, begin in enumerate(row_starts):
        end = row_starts[index + 1] if index + 1 < len(row_starts) else len(joined)
        segment = joined[begin:end]
        marks = list(_CELL.finditer(segment))
        raw_cells: list[tuple[str, int]] = []
        for j, mark in enumerate(marks):
            stop = marks[j + 1].start() if j + 1 < len(marks) else len(segment)
            body = segment[mark.end() : stop]
            rowspan = _ROWSPAN.search(mark.group(0))
            text = " ".join(clean(body.replace("\n", " ")).split())
            raw_cells.append((text, int(rowspan.group(1)) if rowspan else 1))
        cells: list[str] = []
        column = 0
        queue = list(raw_cells)
        while queue or any(col >= column for col in spans):
            if column in spans:
                left, text = spans[column]
                cells.append(text)
                if left <= 1:
                    del spans[column]
                else:
                    spans[column] = (left - 1, text)
            elif queue:
                text, span = queue.pop(0)
                cells.append(text)
                if span > 1:
                    spans[column] = (min(span, 100) - 1, text)
            else:
                cells.append("")
            column += 1
            if column > 64:
                break
        row_line = starts[max(bisect_right(offsets, begin) - 1, 0)][1]
        if any(cells):
            rows.append(Row(cells[0] if cells else "", cells, row_line))
            total_cells += len(cells)
            if total_cells > MAX_TABLE_CELLS:
                break  # rowspans can fill 64 columns of every row; a real table is far smaller
    if not rows:
        return None
    header, scaled = apply_header_units(rows[0].cells, [row.cells for row in rows[1:]])
    body_rows = [Row(c[0] if c else "", c, row.line) for row, c in zip(rows[1:], scaled, strict=True)]
    return Table(header, body_rows, headings, rows[0].line)


class _BlockReader:
    """Walks the body once, collecting sentences (with lines and headings) and tables."""

    def __init__(self, body_lines: list[str], first_line: int) -> None:
        self.lines = body_lines
        self.first_line = first_line
        self.index = 0
        self.sentences: list[Sentence] = []
        self.tables: list[Table] = []
        self.heading_stack: list[tuple[int, str]] = []
        self.para_text = ""
        self.para_offsets: list[tuple[int, int]] = []

    def headings(self) -> str:
        return " / ".join(h for _, h in self.heading_stack).lower()

    def line_at(self, index: int) -> str:
        return self.lines[index][:MAX_SCAN_CHARS]

    def flush(self) -> None:
        if self.para_text.strip():
            self.sentences.extend(_split_sentences(self.para_text, self.para_offsets, self.headings()))
        self.para_text, self.para_offsets = "", []

    def add_cells(self, cells: list[str], line: int) -> None:
        for cell in cells:
            self.sentences.extend(_split_sentences(cell, [(0, line)], self.headings()))

    def skip_fence(self, fence: str) -> None:
        while self.index < len(self.lines):
            match = _FENCE.match(self.line_at(self.index))
            self.index += 1
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                return

    def skip_pre(self) -> None:
        while self.index < len(self.lines):
            lower = self.line_at(self.index).lower()
            self.index += 1
            if "</pre>" in lower:
                return

    def read_html_table(self, line: str) -> None:
        block = [(self.first_line + self.index - 1, line)]
        lower = line.lower()
        while "</table>" not in lower and self.index < len(self.lines) and len(block) < MAX_TABLE_LINES:
            line = self.line_at(self.index)
            lower = line.lower()
            block.append((self.first_line + self.index, line))
            self.index += 1
        table = _html_table(block, self.headings())
        if table is not None:
            self.tables.append(table)
            self.add_cells(table.header, table.line)
            for row in table.rows:
                self.add_cells(row.cells, row.line)

    def read_pipe_table(self, line: str) -> None:
        raw_header = [clean(c) for c in _cells(line)]
        first = self.first_line + self.index - 1
        self.index += 1  # the separator
        raw_rows: list[tuple[int, list[str]]] = []
        while self.index < len(self.lines) and "|" in self.line_at(self.index):
            number = self.first_line + self.index
            raw_rows.append((number, [" ".join(clean(c).split()) for c in _cells(self.line_at(self.index))]))
            self.index += 1
        header, rows = apply_header_units(raw_header, [cells for _, cells in raw_rows])
        table = Table(header, [], self.headings(), first)
        for (number, _), cells in zip(raw_rows, rows, strict=True):
            table.rows.append(Row(cells[0] if cells else "", cells, number))
            self.add_cells(cells, number)
            if len(cells) == 2 and cells[0] and cells[1]:
                # A two-column table is a list of key-value pairs: read each row as "key: value".
                self.add_cells([f"{cells[0]}: {cells[1]}"], number)
        self.tables.append(table)

    def add_heading(self, match: re.Match[str]) -> None:
        level = len(match.group(1))
        while self.heading_stack and self.heading_stack[-1][0] >= level:
            self.heading_stack.pop()
        self.heading_stack.append((level, " ".join(clean(match.group(2)).split())[:200]))

    def add_prose(self, line: str, number: int) -> None:
        if _LIST_ITEM.match(line):
            self.flush()
        cleaned = clean(line).strip()
        if not cleaned:
            return
        if len(self.para_text) >= MAX_PARAGRAPH_CHARS:
            self.flush()
        self.para_offsets.append((len(self.para_text), number))
        self.para_text += cleaned + " "

    def read(self) -> None:
        while self.index < len(self.lines):
            line = self.line_at(self.index)
            number = self.first_line + self.index
            self.index += 1
            lower = line.lower()
            fence = _FENCE.match(line)
            heading = _HEADING.match(line)
            if fence or ("<pre" in lower and "</pre>" not in lower) or "<table" in lower or heading:
                self.flush()
            if fence:
                self.skip_fence(fence.group(1))
            elif "<pre" in lower and "</pre>" not in lower:
                self.skip_pre()
            elif "<table" in lower:
                self.read_html_table(line)
            elif "|" in line and self.index < len(self.lines) and _is_separator(self.line_at(self.index)):
                self.flush()
                self.read_pipe_table(line)
            elif heading:
                self.add_heading(heading)
            elif not line.strip():
                self.flush()
            else:
                self.add_prose(line, number)
        self.flush()


def split_blocks(body_lines: list[str], first_line: int) -> tuple[list[Sentence], list[Table]]:
    """Split the body into sentences and tables, skipping code blocks."""
    reader = _BlockReader(body_lines, first_line)
    reader.read()
    return reader.sentences, reader.tables
