"""Facts from a model card: a Hugging Face README.md (YAML front matter + Markdown prose).

Two sources, two evidence kinds:

* ``card-metadata``: the front matter (licence, base model and relation, datasets, pipeline tag,
  CO2 block), exact as far as the uploader is concerned;
* ``card-text``: figures stated in the prose and tables (training tokens, accelerator-hours,
  accelerator type and count, training duration, parameter count), each quoted with its line.

Cards are hostile input. Every regex here is bounded (no nested unbounded repetition), every
scanned line is cut to :data:`MAX_SCAN_CHARS`, and the YAML goes through the bounded loader, so
a crafted card costs time linear in its size. Numbers inside code blocks are ignored.

Choosing among several statements of the same quantity (family cards list one row per model
size) follows one rule for every fact: statements whose subject names a model size near
``parameters_hint`` (or names ``model_name``) win; otherwise the largest stated value is kept and
the others go to :attr:`Fact.alternatives`, with a note. Statements about fine-tuning, continued
pre-training or annealing on top of a base are never reported as the base's training tokens or
hours: they are listed in the fact's note instead.
"""

from __future__ import annotations

import html
import itertools
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compliance.errors import InputError, ModelFileError
from compliance.facts.licenses import classify_license
from compliance.facts.model import Confidence, Evidence, Fact
from compliance.facts.names import FACT_SPECS
from compliance.yamlsafe import load_yaml

MAX_CARD_BYTES = 5 * 1024 * 1024
# Longest stretch of one line that the prose patterns look at; real cards' longest lines are
# a few thousand characters (HTML tables on one line), so this loses nothing that matters.
MAX_SCAN_CHARS = 4000
# A paragraph (lines joined) is cut here: sentences about training are short.
MAX_PARAGRAPH_CHARS = 8000
# An HTML table longer than this many lines is not parsed as a table (its text is still prose).
MAX_TABLE_LINES = 3000
MAX_DETAIL_CHARS = 300
MAX_ALTERNATIVES = 8

# "over 2T tokens" / "more than" / "at least": the figure is a floor. Labs round down to a
# round number and switch to the next round number once they pass it, so a figure much above
# 1.25x would have been stated as that next number ("over 2T" is not said of 3T).
OVER_HIGH_FACTOR = 1.25
# "about" / "approximately" / "~": the figure is rounded either way.
ABOUT_REL = 0.10
# "nearly 2T" / "almost": just below the figure.
NEARLY_LOW_FACTOR = 0.9
# A bare figure ("2T tokens") is read as rounded to its last digit but, for token and hour
# counts, no looser than this: labs quote those to a few percent ("2T" is 2.0T, not 1.5-2.5T).
EXACT_REL_CAP = 0.025
# Parameter counts are marketing sizes ("7B" for 6.74e9): at least this loose, at most 25%.
PARAM_REL_FLOOR = 0.05
PARAM_REL_CAP = 0.25
# A subject naming a size within this ratio of the hint is "about this model".
SIZE_MATCH_RATIO = 1.6
SIZE_CLOSE_RATIO = 1.15
# Training token counts below this are context lengths, batch sizes or fine-tuning sets.
MIN_TRAINING_TOKENS = 1e9
HOURS_PER_UNIT = {"hour": 1.0, "day": 24.0, "week": 168.0, "month": 730.0, "year": 8760.0}


@dataclass
class CardInfo:
    """What a model card says: its front matter, its prose and the facts found in both."""

    metadata: dict[str, Any]
    has_front_matter: bool
    body: str
    facts: list[Fact]
    warnings: list[str] = field(default_factory=list)

    def fact(self, name: str) -> Fact | None:
        """The fact of that name, or None."""
        for fact in self.facts:
            if fact.name == name:
                return fact
        return None


def parse_card_file(path: Path, *, parameters_hint: float | None = None, model_name: str | None = None) -> CardInfo:
    """Read and parse a model card file.

    Raises :class:`InputError` when the file is missing or larger than :data:`MAX_CARD_BYTES`
    and :class:`ModelFileError` when it is not UTF-8 or its front matter is malformed.
    """
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CARD_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read model card: {exc.strerror or exc}", source=source) from None
    if len(data) > MAX_CARD_BYTES:
        raise InputError(f"model card larger than {MAX_CARD_BYTES} bytes", source=source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ModelFileError("model card is not valid UTF-8", source=source, where=f"line {line}") from None
    return parse_card(text, source=source, parameters_hint=parameters_hint, model_name=model_name)


def parse_card(
    text: str,
    *,
    source: str = "README.md",
    parameters_hint: float | None = None,
    model_name: str | None = None,
) -> CardInfo:
    """Parse a model card's text into metadata, body and facts.

    ``parameters_hint`` (the model's parameter count, when known) and ``model_name`` (e.g.
    ``"meta-llama/Llama-3.1-8B"``) pick, in a family card, the statements about this model.
    Raises :class:`InputError` when the text is too large and :class:`ModelFileError` when the
    front matter is unterminated, not YAML, or not a mapping.
    """
    if len(text) > MAX_CARD_BYTES:
        raise InputError(f"model card larger than {MAX_CARD_BYTES} bytes", source=source)
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    warnings: list[str] = []
    metadata, body_start, has_fm = _front_matter(lines, source)
    if not has_fm:
        warnings.append("the card has no YAML front matter: licence, base model and tags are unknown")
    facts = _metadata_facts(metadata, lines[1 : body_start - 1] if has_fm else [], source, warnings)
    body_lines = lines[body_start:]
    context = _Context(parameters_hint, model_name)
    facts.extend(_prose_facts(body_lines, body_start + 1, source, context, warnings))
    facts = _merge_same_name(facts)
    return CardInfo(
        metadata=metadata,
        has_front_matter=has_fm,
        body="\n".join(body_lines),
        facts=facts,
        warnings=warnings,
    )


def _merge_same_name(facts: list[Fact]) -> list[Fact]:
    """One fact per name: the first found (metadata before prose) wins, later ones become alternatives."""
    out: dict[str, Fact] = {}
    for fact in facts:
        if fact.name not in FACT_SPECS:  # pragma: no cover - a programming error, not input
            raise AssertionError(f"unknown fact name {fact.name}")
        kept = out.get(fact.name)
        if kept is None:
            out[fact.name] = fact
        elif len(kept.alternatives) < MAX_ALTERNATIVES:
            kept.alternatives.append(fact)
    return list(out.values())


# ---------------------------------------------------------------------------------------------
# Front matter


def _front_matter(lines: list[str], source: str) -> tuple[dict[str, Any], int, bool]:
    """(metadata, index of the first body line, has front matter)."""
    if not lines or lines[0].rstrip() != "---":
        return {}, 0, False
    end = None
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            end = index
            break
    if end is None:
        raise ModelFileError("front matter opened on line 1 is never closed by '---'", source=source, where="line 1")
    yaml_text = "\n".join(lines[1:end])
    try:
        data = load_yaml(yaml_text, source=source)
    except InputError as exc:
        where = exc.where
        match = re.fullmatch(r"line (\d+)", where or "")
        if match:
            where = f"line {int(match.group(1)) + 1}"  # the YAML starts on the file's line 2
        raise ModelFileError(f"front matter: {exc.message}", source=source, where=where) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ModelFileError(f"front matter is a {type(data).__name__}, not a mapping", source=source, where="line 2")
    return data, end + 1, True


_KEY_LINE = re.compile(r"([A-Za-z_][\w.-]{0,80})\s*:")


def _key_lines(fm_lines: list[str]) -> dict[str, int]:
    """Top-level key -> 1-based file line (the front matter starts on line 2)."""
    out: dict[str, int] = {}
    for index, line in enumerate(fm_lines):
        if line[:1] in (" ", "\t", "-", "#", ""):
            continue
        match = _KEY_LINE.match(line.lstrip("'\""))
        if match and match.group(1) not in out:
            out[match.group(1)] = index + 2
    return out


def _nested_key_line(fm_lines: list[str], parent_line: int | None, key: str) -> int | None:
    if parent_line is None:
        return None
    for index in range(parent_line - 1, len(fm_lines)):
        line = fm_lines[index]
        if index > parent_line - 1 and line[:1] not in (" ", "\t", ""):
            break
        if line.strip().startswith(key + ":"):
            return index + 2
    return parent_line


def _short(value: Any) -> str:
    """A short, bounded rendering of a YAML value (never expands nested or aliased data)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool | int | float) or value is None:
        text = str(value)
    elif isinstance(value, list):
        items = [v if isinstance(v, str) else f"<{type(v).__name__}>" for v in value[:10]]
        text = "[" + ", ".join(items) + (", ..." if len(value) > 10 else "") + "]"
    else:
        text = f"<{type(value).__name__}>"
    return _trim(text)


def _trim(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _str_list(value: Any) -> list[str]:
    """Strings from a string or a list (other items dropped), stripped and de-duplicated."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    out: list[str] = []
    for item in items[:1000]:
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            text = str(item).strip()[:300]
            if text and text not in out:
                out.append(text)
    return out


_ADAPTER_TAGS = {"lora", "peft", "adapter", "adapters", "qlora"}
_QUANT_TAGS = {"gguf", "gptq", "awq", "bnb", "bitsandbytes", "exl2", "4-bit", "8-bit", "4bit", "8bit", "quantized"}
_MERGE_TAGS = {"merge", "mergekit", "merged"}
_RELATIONS = {"finetune", "adapter", "merge", "quantized"}

# pipeline tag -> (output modalities, note). Non-generative tasks give [] (no generated
# language, image, audio or video), which is what the EU indicative GPAI criterion asks about.
_MODALITIES: dict[str, tuple[list[str], str | None]] = {
    "text-generation": (["text"], None),
    "text2text-generation": (["text"], None),
    "image-text-to-text": (["text"], None),
    "image-to-text": (["text"], None),
    "visual-question-answering": (["text"], None),
    "document-question-answering": (["text"], None),
    "video-text-to-text": (["text"], None),
    "audio-text-to-text": (["text"], None),
    "summarization": (["text"], None),
    "translation": (["text"], None),
    "conversational": (["text"], None),
    "table-question-answering": (["text"], None),
    "any-to-any": (["text"], "any-to-any: text at least; other output modalities may be possible"),
    "automatic-speech-recognition": (["text"], "outputs a transcription: generated text, but a narrow task"),
    "text-to-image": (["image"], None),
    "image-to-image": (["image"], None),
    "unconditional-image-generation": (["image"], None),
    "text-to-video": (["video"], None),
    "image-to-video": (["video"], None),
    "video-to-video": (["video"], None),
    "text-to-speech": (["audio"], None),
    "text-to-audio": (["audio"], None),
    "audio-to-audio": (["audio"], None),
    "text-to-3d": (["3d"], None),
    "image-to-3d": (["3d"], None),
}
_NON_GENERATIVE = {
    "feature-extraction",
    "sentence-similarity",
    "fill-mask",
    "text-classification",
    "token-classification",
    "zero-shot-classification",
    "question-answering",
    "text-ranking",
    "image-classification",
    "image-segmentation",
    "object-detection",
    "zero-shot-image-classification",
    "zero-shot-object-detection",
    "image-feature-extraction",
    "mask-generation",
    "depth-estimation",
    "audio-classification",
    "voice-activity-detection",
    "video-classification",
    "tabular-classification",
    "tabular-regression",
    "time-series-forecasting",
    "reinforcement-learning",
    "robotics",
    "keypoint-detection",
}


def output_modalities_for(pipeline_tag: str) -> tuple[list[str] | None, str | None]:
    """Output modalities implied by a hub pipeline tag: (modalities or None if unknown, note)."""
    tag = pipeline_tag.strip().lower()
    if tag in _MODALITIES:
        mods, note = _MODALITIES[tag]
        return list(mods), note
    if tag in _NON_GENERATIVE:
        return [], f"{tag} is not generative: it outputs embeddings, labels, spans or scores"
    return None, f"pipeline tag {tag!r} is not in the modality table"


def _metadata_facts(meta: dict[str, Any], fm_lines: list[str], source: str, warnings: list[str]) -> list[Fact]:
    facts: list[Fact] = []
    lines = _key_lines(fm_lines)

    def ev(key: str, value: Any, line: int | None = None) -> Evidence:
        return Evidence("card-metadata", source, f"{key}: {_short(value)}", line or lines.get(key.split(".")[0]))

    # Licence.
    raw = meta.get("license")
    if isinstance(raw, list):
        names = _str_list(raw)
        if len(names) > 1:
            warnings.append(f"several licences declared ({', '.join(names)}); using the first")
        raw = names[0] if names else None
    license_id = str(raw).strip() if isinstance(raw, str | int | float) and str(raw).strip() else None
    if license_id is not None:
        evidence = [ev("license", license_id)]
        value = license_id
        note = None
        if license_id.lower() == "other":
            name = meta.get("license_name")
            link = meta.get("license_link")
            if isinstance(name, str) and name.strip():
                value = name.strip()[:200]
                evidence.append(ev("license_name", name))
            if isinstance(link, str) and link.strip():
                evidence.append(ev("license_link", link))
                note = f"licence text: {_trim(link, 200)}"
        facts.append(Fact("license", value, method="card", evidence=evidence, note=note))
        info = classify_license(value)
        facts.append(
            Fact(
                "open_source_license",
                info.open_source,
                confidence=Confidence.LIKELY if info.known else Confidence.UNKNOWN,
                method="license-table",
                evidence=list(evidence),
                note=f"{info.display_name}: {info.note}",
            )
        )
    else:
        facts.append(
            Fact(
                "open_source_license",
                None,
                confidence=Confidence.UNKNOWN,
                method="none",
                note="the card declares no licence",
            )
        )

    # Lineage.
    bases = _str_list(meta.get("base_model"))
    if bases:
        facts.append(
            Fact(
                "base_model",
                bases[0] if len(bases) == 1 else bases,
                method="card",
                evidence=[ev("base_model", bases)],
            )
        )
    relation = meta.get("base_model_relation")
    if isinstance(relation, str) and relation.strip().lower() in _RELATIONS:
        facts.append(
            Fact(
                "base_model_relation",
                relation.strip().lower(),
                method="card",
                evidence=[ev("base_model_relation", relation)],
            )
        )
        if not bases:
            warnings.append("base_model_relation is set but base_model is not")
    elif bases:
        if relation is not None:
            warnings.append(f"base_model_relation {_short(relation)!r} is not one the hub knows; inferring")
        facts.append(_infer_relation(meta, bases, ev))

    datasets = _str_list(meta.get("datasets"))
    if datasets:
        facts.append(Fact("datasets", datasets, method="card", evidence=[ev("datasets", datasets)]))

    tag = meta.get("pipeline_tag")
    if isinstance(tag, str) and tag.strip():
        tag = tag.strip()
        facts.append(Fact("pipeline_tag", tag, method="card", evidence=[ev("pipeline_tag", tag)]))
        mods, note = output_modalities_for(tag)
        if mods is not None:
            facts.append(
                Fact(
                    "output_modalities",
                    mods,
                    confidence=Confidence.LIKELY,
                    method="derived",
                    evidence=[ev("pipeline_tag", tag)],
                    note=note,
                )
            )
        else:
            warnings.append(note or "")

    co2 = meta.get("co2_eq_emissions")
    if isinstance(co2, dict):
        facts.extend(_co2_facts(co2, fm_lines, lines.get("co2_eq_emissions"), ev))
    return facts


def _infer_relation(meta: dict[str, Any], bases: list[str], ev: Any) -> Fact:
    tags = {t.lower() for t in _str_list(meta.get("tags"))}
    library = meta.get("library_name")
    library = library.strip().lower() if isinstance(library, str) else ""
    evidence = [ev("base_model", bases)]
    if tags & _ADAPTER_TAGS or library == "peft":
        why = f"library_name {library}" if library == "peft" else f"tag {sorted(tags & _ADAPTER_TAGS)[0]!r}"
        relation = "adapter"
    elif tags & _QUANT_TAGS:
        why = f"tag {sorted(tags & _QUANT_TAGS)[0]!r}"
        relation = "quantized"
    elif len(bases) > 1 or tags & _MERGE_TAGS:
        why = f"{len(bases)} base models" if len(bases) > 1 else f"tag {sorted(tags & _MERGE_TAGS)[0]!r}"
        relation = "merge"
    else:
        why = "a base model and no adapter, quantization or merge tag"
        relation = "finetune"
    if why.startswith("tag") or why.startswith("library"):
        evidence.append(ev("library_name" if why.startswith("library") else "tags", why))
    return Fact(
        "base_model_relation",
        relation,
        confidence=Confidence.LIKELY,
        method="card",
        evidence=evidence,
        note=f"inferred from {why}, as the hub does",
    )


def _co2_facts(co2: dict[str, Any], fm_lines: list[str], parent_line: int | None, ev: Any) -> list[Fact]:
    facts: list[Fact] = []
    training_type = co2.get("training_type")
    type_note = f"training_type: {_short(training_type)}" if isinstance(training_type, str) else None
    hardware = co2.get("hardware_used")
    if isinstance(hardware, str) and hardware.strip():
        line = _nested_key_line(fm_lines, parent_line, "hardware_used")
        facts.append(
            Fact(
                "training_hardware",
                hardware.strip()[:200],
                method="card",
                evidence=[ev("co2_eq_emissions.hardware_used", hardware, line)],
                note=type_note,
            )
        )
    for key in ("duration", "training_duration", "training_time", "hours_used", "training_hours"):
        raw = co2.get(key)
        if raw is None or isinstance(raw, bool):
            continue
        hours: _Quantity | None = None
        if isinstance(raw, int | float) and math.isfinite(raw) and raw > 0:
            hours = _Quantity(float(raw), float(raw), float(raw), "")
        elif isinstance(raw, str):
            hours = _first_duration(_clean(raw))
        if hours is not None:
            line = _nested_key_line(fm_lines, parent_line, key)
            facts.append(
                Fact(
                    "training_duration_hours",
                    hours.value,
                    hours.low,
                    hours.high,
                    method="card",
                    evidence=[ev(f"co2_eq_emissions.{key}", raw, line)],
                    note=type_note if isinstance(raw, str) else f"read as hours; {type_note or ''}".strip("; "),
                )
            )
            break
    return facts


# ---------------------------------------------------------------------------------------------
# Prose: blocks, sentences, tables


@dataclass
class _Context:
    parameters_hint: float | None
    model_name: str | None
    name_tokens: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.model_name:
            name = self.model_name.rsplit("/", 1)[-1].lower()
            words = _WORD.findall(name.replace(".", " "))
            # "OLMo-2" is written "OLMo2" in tables: add each pair of neighbours glued together.
            self.name_tokens = set(words) | {a + b for a, b in itertools.pairwise(words)}


@dataclass
class _Sentence:
    text: str
    line: int
    headings: str  # the enclosing headings, lower-cased


@dataclass
class _Row:
    label: str  # first cell
    cells: list[str]
    line: int


@dataclass
class _Table:
    header: list[str]
    rows: list[_Row]
    headings: str
    line: int


_FENCE = re.compile(r"\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"\s{0,3}(#{1,6})\s*(.*)")
_LIST_ITEM = re.compile(r"\s{0,12}(?:[-*+]|\d{1,3}[.)])\s")
_TAG = re.compile(r"<[^<>]*>")
_INLINE_CODE = re.compile(r"`[^`]*`")
_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()\s]*\)")
_URL = re.compile(r"https?://\S+")
_EMPHASIS = re.compile(r"\*\*|__|\\(?=[~*_#|\[\]()])")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|[。！？]")
_WORD = re.compile(r"[a-z0-9][a-z0-9.]*")


def _clean(line: str) -> str:
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


def _split_sentences(text: str, offsets: list[tuple[int, int]], headings: str) -> Iterator[_Sentence]:
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
            yield _Sentence(piece, offsets[cursor][1], headings)
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


def _html_table(lines: list[tuple[int, str]], headings: str) -> _Table | None:
    """Rows of a simple HTML table (rowspan honoured, colspan ignored)."""
    joined = ""
    starts: list[tuple[int, int]] = []
    for number, line in lines:
        starts.append((len(joined), number))
        joined += line[:MAX_SCAN_CHARS] + "\n"
    row_starts = [m.start() for m in _TR.finditer(joined)]
    if not row_starts:
        return None
    rows: list[_Row] = []
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
            text = " ".join(_clean(body.replace("\n", " ")).split())
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
        row_line = starts[0][1]
        for offset, number in starts:
            if offset <= begin:
                row_line = number
        if any(cells):
            rows.append(_Row(cells[0] if cells else "", cells, row_line))
    if not rows:
        return None
    return _Table(rows[0].cells, rows[1:], headings, rows[0].line)


class _BlockReader:
    """Walks the body once, collecting sentences (with lines and headings) and tables."""

    def __init__(self, body_lines: list[str], first_line: int) -> None:
        self.lines = body_lines
        self.first_line = first_line
        self.index = 0
        self.sentences: list[_Sentence] = []
        self.tables: list[_Table] = []
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
        header = [_clean(c) for c in _cells(line)]
        table = _Table(header, [], self.headings(), self.first_line + self.index - 1)
        self.index += 1  # the separator
        while self.index < len(self.lines) and "|" in self.line_at(self.index):
            number = self.first_line + self.index
            cells = [" ".join(_clean(c).split()) for c in _cells(self.line_at(self.index))]
            table.rows.append(_Row(cells[0] if cells else "", cells, number))
            self.add_cells(cells, number)
            self.index += 1
        self.tables.append(table)

    def add_heading(self, match: re.Match[str]) -> None:
        level = len(match.group(1))
        while self.heading_stack and self.heading_stack[-1][0] >= level:
            self.heading_stack.pop()
        self.heading_stack.append((level, " ".join(_clean(match.group(2)).split())[:200]))

    def add_prose(self, line: str, number: int) -> None:
        if _LIST_ITEM.match(line):
            self.flush()
        cleaned = _clean(line).strip()
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


def _blocks(body_lines: list[str], first_line: int) -> tuple[list[_Sentence], list[_Table]]:
    """Split the body into sentences and tables, skipping code blocks."""
    reader = _BlockReader(body_lines, first_line)
    reader.read()
    return reader.sentences, reader.tables


# ---------------------------------------------------------------------------------------------
# Quantities


@dataclass
class _Quantity:
    value: float
    low: float
    high: float
    qualifier: str  # "over", "about", "nearly", "" (exact)


_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_QTY = re.compile(
    r"(?<![A-Za-z0-9.,_/-])" + _NUM + r"(?P<plus>\+)?\s?"
    r"(?P<mult>(?i:trillion|billion|million|thousand|bn|mn|tn)|GT|万亿|亿|万|[TBMK]|k)?"
    # Chinese units are followed directly by Latin words ("3万亿tokens"), other units are not.
    r"(?P<plus2>\+)?(?:(?<=[万亿])|(?![A-Za-z0-9]))"
)
_MULT = {
    "trillion": 1e12,
    "tn": 1e12,
    "t": 1e12,
    "万亿": 1e12,
    "billion": 1e9,
    "gt": 1e9,  # giga-tokens, as TII writes "5,500 GT"
    "bn": 1e9,
    "b": 1e9,
    "亿": 1e8,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "万": 1e4,
    "thousand": 1e3,
    "k": 1e3,
}
_OVER = re.compile(r"(?i:over|more than|at least|above|exceeding|in excess of|upwards of|beyond|超过|超|逾)\s*$")
_ABOUT = re.compile(
    r"(?i:about|approximately|approx\.?|around|roughly|circa|ca\.|some|an estimated|on average|average of"
    r"|~|≈|約|约|大约)\s*~?\s*$"
)
_NEARLY = re.compile(r"(?i:nearly|almost|close to|just under|up to|under)\s*$")
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _ulp(text: str) -> float:
    """The value of the last stated digit of a numeral ("2" -> 1, "2.5" -> 0.1, "1,000" -> 1)."""
    digits = text.replace(",", "")
    if "." in digits:
        return 10.0 ** -len(digits.split(".", 1)[1])
    return 1.0


def _interval(value: float, rel_exact: float, before: str, plus: bool) -> _Quantity:
    tail = before[-40:]
    if plus or _OVER.search(tail):
        return _Quantity(value, value, value * OVER_HIGH_FACTOR, "over")
    if _ABOUT.search(tail):
        return _Quantity(value, value * (1 - ABOUT_REL), value * (1 + ABOUT_REL), "about")
    if _NEARLY.search(tail):
        return _Quantity(value, value * NEARLY_LOW_FACTOR, value, "nearly")
    return _Quantity(value, value * (1 - rel_exact), value * (1 + rel_exact), "")


def _quantity(match: re.Match[str], text: str, *, kind: str = "count") -> _Quantity:
    """Value and interval of a :data:`_QTY` match, reading the quantifier before it."""
    num = match.group("num")
    mult_text = (match.group("mult") or "").lower()
    mult = _MULT.get(mult_text, 1.0)
    value = _number(num) * mult
    rel = 0.5 * _ulp(num) / _number(num) if _number(num) else 0.0
    if kind == "params":
        rel = min(max(rel, PARAM_REL_FLOOR), PARAM_REL_CAP)
    elif kind == "duration":
        rel = min(rel, PARAM_REL_CAP)
    elif mult != 1.0 or "." in num:
        rel = min(rel, EXACT_REL_CAP)
    else:
        rel = 0.0  # a full integer ("184,320 GPU hours") is exact
    plus = bool(match.group("plus") or match.group("plus2"))
    return _interval(value, rel, text[: match.start()], plus)


# ---------------------------------------------------------------------------------------------
# Accelerators

_HW = (
    r"(?P<hw>(?:(?:NVIDIA|Nvidia|nvidia|AMD|Google|Cloud|Intel|Huawei|AWS)\s)?"
    r"(?:[ABH]\d{2,3}|V100|P100|K80|T4|L4|L40S?|A10G|GB\d{3}|MI\d{3}X?|RTX\s?\d{4}|TPU\s?v?\d[a-z]{0,2}"
    r"|Gaudi\s?\d|Ascend\s?\d{3}[A-Z]?|Trainium\d?)"
    r"(?:[\s-](?:SXM\d?|PCIe|NVL))?(?:[\s-]?\(?\d{2,3}\s?GB?\)?)?)"
)
_HW_RE = re.compile(r"(?<![A-Za-z0-9])" + _HW + r"(?![A-Za-z0-9])")
_GPU_WORD = r"(?i:gpus?|tpus?|chips?|accelerators?|cards?|devices?|cores?)"
_HW_COUNT = re.compile(
    r"(?<![A-Za-z0-9.,/-])(?P<count>\d{1,3}(?:,\d{3})+|\d{1,7})\s?(?:[x×*]\s?)?"
    r"(?:" + _HW + r"s?(?:\s" + _GPU_WORD + r")?|" + _GPU_WORD + r")(?![A-Za-z0-9])"
)
_HOURS_AFTER = re.compile(
    r"\s?(?:" + _HW + r"\s?-?\s?)?(?P<word>" + _GPU_WORD + r"[\s-]?)?"
    r"(?i:hours?|hrs?)(?![A-Za-z])"
)
_DURATION = re.compile(
    r"(?<![A-Za-z0-9.,])(?P<num>\d+(?:\.\d+)?|(?i:a|an|one|two|three|four|five|six|seven|eight|nine|ten"
    r"|eleven|twelve))[\s-](?P<unit>(?i:hours?|days?|weeks?|months?|years?))(?![A-Za-z])"
)


def _canonical_hw(text: str) -> str:
    """A readable accelerator name: vendor prefix and memory normalised ("A100 80GB")."""
    name = " ".join(text.replace("-", " ").replace("(", " ").replace(")", " ").split())
    name = re.sub(r"(?<=\d)\s?G$", "GB", name)
    name = re.sub(r"(\d)\s?GB\b", r"\1GB", name)
    name = re.sub(r"^(?:Cloud|Google)\s", "", name)
    name = re.sub(r"^TPU\s?v?(\d)", r"TPU v\1", name)
    name = re.sub(r"^(Nvidia|nvidia)\s", "NVIDIA ", name)
    bare = name.split()[0]
    if re.match(r"[ABHLV]\d|RTX|GB\d", bare):
        name = "NVIDIA " + name
    elif bare.startswith("MI"):
        name = "AMD " + name
    elif bare.startswith("TPU"):
        name = "Google " + name
    return name


# ---------------------------------------------------------------------------------------------
# Candidates and choice


@dataclass
class _Candidate:
    value: float
    low: float
    high: float
    qualifier: str
    detail: str
    line: int
    subject: str
    stage: str = "pretrain"  # or "later" (fine-tuning, continued pre-training, annealing)
    total: bool = False
    from_table: bool = False
    hardware: str | None = None
    note: str | None = None
    score: float = 0.0


_TRAIN_WORDS = re.compile(
    r"(?i:train|pre-?train|fine[- ]?tun|corpus|corpora|dataset|\bdata\b|\bsaw\b|\bseen\b|learned)|训练|语料|数据"
)
_LATER_STAGE = re.compile(
    r"(?i:fine[- ]?tun|\bsft\b|instruction|continu(?:ed|ous|ally|e)|further|additional|anneal|long[- ]context"
    r"|post[- ]?train|subsequent|after pre-?training|\bstage\s?2\b|mid[- ]?train|extension|rlhf|\bdpo\b|adapt)"
)
_TOKEN_NEGATIVE = re.compile(
    r"(?i:context|window|length|vocab|batch|every|\bper\b|warm|decay|ramp|sequence|\bup to\b|generat|handle"
    r"|(?<![-\w])process|input|output|inference|throughput|speed|checkpoint|step)"
)
_TOKENS_AFTER = re.compile(r"[\s-]{0,2}(?:(?P<words>(?:[A-Za-z][\w-]{0,24}\s){0,3}?)(?i:tokens?)\b|tokens?)")
_CORPUS_AFTER = re.compile(r"[\s-]{0,2}(?:[A-Za-z][\w-]{0,24}\s){0,2}?(?i:corpus|corpora)\b")
_EPOCHS_AFTER = re.compile(r"(?i:for\s(?P<n>\d{1,3}|two|three|four|five|six|seven|eight|nine|ten)\s(?:full\s)?epochs)")
_TOTAL_WORDS = re.compile(r"(?i:\btotal\b|cumulative|aggregate|\ball\b)")
_HW_NEGATIVE = re.compile(
    r"(?i:infer|deploy|serv(?:e|ing)|\brun\b|running|requir|recommend|fine[- ]?tun|memory|\bfit|reserve"
    r"|per node|each node|node with|minimum|quantiz|consumer|local|download|vram)"
)
_HW_HEADINGS = re.compile(r"(?i:train|hardware|compute|infrastructure|technical|carbon|environment)")
_HW_BAD_HEADINGS = re.compile(r"(?i:requir|inference|deploy|quick|usage|how to|serving|run|use\b)")
_DURATION_NEGATIVE = re.compile(r"(?i:\bago\b|\bpast\b|\bper\b|every|release|warm|\blast\b|next|within the|cutoff)")
_PARAM_AFTER = re.compile(r"[\s-]{0,2}(?:(?i:total|trainable|dense|model)\s)?(?i:param(?:eter)?s?)\b")
_SIZE = re.compile(
    r"(?<![A-Za-z0-9.])(?P<num>\d{1,4}(?:\.\d{1,2})?)\s?(?P<mult>[BMT]|(?i:billion|million|trillion))(?![A-Za-z])"
)


def _subject_sizes(subject: str) -> list[float]:
    """Model sizes named in a subject ("Llama 2 70B", "the 175B model"), not token counts."""
    out = []
    for match in _SIZE.finditer(subject[-300:]):
        tail = subject[match.end() : match.end() + 25].lower()
        if "token" in tail or "hour" in tail or "gpu" in tail:
            continue
        # "4T or 5T tokens": a T-sized figure is a token count unless it says parameters.
        if match.group("mult").lower() in ("t", "trillion") and "param" not in tail:
            continue
        out.append(float(match.group("num")) * _MULT[match.group("mult").lower()])
    return out


_STOP = {
    "the",
    "and",
    "model",
    "models",
    "series",
    "base",
    "for",
    "with",
    "was",
    "were",
    "this",
    "our",
    "trained",
    "pretrained",
    "from",
    "has",
    "have",
    "are",
    "version",
    "overview",
    "time",
    "training",
    "hours",
    "gpu",
}


def _size_score(sizes: list[float], hint: float) -> float:
    """+2 for a size close to the hint, +1 for a near one, -2 when every size is far from it."""
    ratios = [max(s, hint) / min(s, hint) for s in sizes if s > 0]
    if not ratios:
        return 0.0
    ratio = min(ratios)
    return 2.0 if ratio <= SIZE_CLOSE_RATIO else 1.0 if ratio <= SIZE_MATCH_RATIO else -2.0


_NAME_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.]*")


def _name_score(candidate: _Candidate, name_tokens: set[str]) -> float:
    """Words of the subject found in the model's name, less name-like words that are not.

    In prose only capitalised or alphanumeric words next to a hit count as misses ("Llama 4
    Scout" against "Llama-4-Maverick"); in a table label every word does.
    """
    words = _NAME_WORD.findall(candidate.subject[-200:].replace(".", " "))
    lowered = [w.lower() for w in words]
    hit_at = [w in name_tokens and w not in _STOP for w in lowered]
    hits = len({w for w, h in zip(lowered, hit_at, strict=True) if h})
    if not hits:
        return 0.0
    misses = set()
    for i, (word, low) in enumerate(zip(words, lowered, strict=True)):
        if hit_at[i] or low in _STOP or len(low) < 3 or low in name_tokens:
            continue
        near = (i > 0 and hit_at[i - 1]) or (i + 1 < len(words) and hit_at[i + 1])
        name_like = word[0].isupper() or any(ch.isdigit() for ch in word)
        if candidate.from_table or (near and name_like):
            misses.add(low)
    if candidate.total:
        misses.add("<total>")
    return hits - 0.5 * len(misses)


def _score(candidate: _Candidate, context: _Context, *, by_value: bool = False) -> float:
    score = 0.0
    if context.parameters_hint:
        sizes = [candidate.value] if by_value else _subject_sizes(candidate.subject)
        score += _size_score(sizes, context.parameters_hint)
    if context.name_tokens and not by_value:
        score += _name_score(candidate, context.name_tokens)
    return score


def _choose(
    name: str,
    candidates: list[_Candidate],
    context: _Context,
    source: str,
    what: str,
    warnings: list[str],
    *,
    prefer: str = "largest",
) -> Fact | None:
    """One fact from the statements found, or None when there are none."""
    later = [c for c in candidates if c.stage == "later"]
    main = [c for c in candidates if c.stage != "later"]
    notes: list[str] = []
    if later:
        shown = "; ".join(f"{_fmt(c.value)} (line {c.line})" for c in later[:4])
        notes.append(f"not counted, about a later training stage (fine-tuning, continued pre-training): {shown}")
    if not main:
        if later:
            warnings.append(f"{what}: only later training stages are stated ({shown}); not reported as {name}")
        return None
    for cand in main:
        cand.score = _score(cand, context, by_value=name == "parameters")
    about_others = [c for c in main if c.score < 0]
    if about_others and len(about_others) < len(main):
        main = [c for c in main if c.score >= 0]
        shown = "; ".join(f"{_fmt(c.value)} (line {c.line})" for c in about_others[:4])
        notes.append(f"not counted, about another model size: {shown}")
    elif about_others:
        warnings.append(
            f"{what}: the card's statements ({', '.join(_fmt(c.value) for c in about_others[:4])}) "
            "are about other model sizes; none kept"
        )
        return None
    groups: list[list[_Candidate]] = []
    for cand in main:
        for group in groups:
            ref = group[0]
            if abs(cand.value - ref.value) <= 0.01 * max(cand.value, ref.value):
                group.append(cand)
                break
        else:
            groups.append([cand])

    def group_key(group: list[_Candidate]) -> tuple[float, float]:
        best_score = max(c.score for c in group)
        if prefer == "largest":
            return (best_score, group[0].value)
        return (best_score + 0.01 * len(group), -min(c.line for c in group))

    groups.sort(key=group_key, reverse=True)
    chosen_group = groups[0]
    chosen = min(chosen_group, key=lambda c: (c.high - c.low, c.line))
    evidence = [Evidence("card-text", source, c.detail, c.line) for c in chosen_group[:5]]
    if chosen.note:
        notes.insert(0, chosen.note)
    if len(groups) > 1:
        top_score = max(c.score for c in chosen_group)
        if any(max(c.score for c in g) == top_score for g in groups[1:]):
            why = "kept the largest" if prefer == "largest" else "kept the most often stated"
            notes.append(f"the card states {len(groups)} different {what}; {why}, others are alternatives")
        else:
            notes.append(f"the card states {len(groups)} different {what}; kept the one about this model")
    alternatives = []
    for group in groups[1 : 1 + MAX_ALTERNATIVES]:
        alt = min(group, key=lambda c: (c.high - c.low, c.line))
        alternatives.append(
            Fact(
                name,
                alt.value,
                alt.low,
                alt.high,
                confidence=Confidence.SPECULATIVE,
                method="card",
                evidence=[Evidence("card-text", source, alt.detail, alt.line)],
                note=_trim(f"subject: {alt.subject}", 200) if alt.subject.strip() else None,
            )
        )
    return Fact(
        name,
        chosen.value,
        chosen.low,
        chosen.high,
        confidence=Confidence.LIKELY,
        method="card",
        evidence=evidence,
        note="; ".join(notes) or None,
        alternatives=alternatives,
    )


def _fmt(value: float) -> str:
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= scale:
            return f"{value / scale:.4g}{suffix}"
    return f"{value:.4g}"


def _clause_start(text: str, position: int) -> int:
    """Start of the clause holding ``position``: after the last ';', ' and ', ',' or ':' before it."""
    window_start = max(0, position - 200)
    window = text[window_start:position]
    best = -1
    for sep in (";", " and ", ", ", " vs", " compared", "(", " while "):
        found = window.rfind(sep)
        if found > best:
            best = found + len(sep)
    return window_start + best if best >= 0 else window_start


# ---------------------------------------------------------------------------------------------
# Extractors


def _prose_facts(
    body_lines: list[str], first_line: int, source: str, context: _Context, warnings: list[str]
) -> list[Fact]:
    sentences, tables = _blocks(body_lines, first_line)
    found = _Found()
    for sentence in sentences:
        _scan_sentence(sentence, found)
    for table in tables:
        _scan_table(table, found.tokens, found.hours)
    facts: list[Fact] = []
    for name, cands, what, prefer in (
        ("training_tokens", found.tokens, "training token counts", "largest"),
        ("training_gpu_hours", found.hours, "accelerator-hour figures", "largest"),
        ("training_hardware_count", found.counts, "accelerator counts", "largest"),
        ("training_duration_hours", found.durations, "training durations", "largest"),
        ("parameters", found.params, "parameter counts", "frequent"),
    ):
        fact = _choose(name, cands, context, source, what, warnings, prefer=prefer)
        if fact is None:
            continue
        if name == "parameters":
            fact.note = "; ".join(
                x for x in ("stated in the card's prose: a low-priority source, rounded", fact.note) if x
            )
        facts.append(fact)
    hardware = _hardware_fact(facts, found.counts, found.hours, found.hardware, source)
    if hardware is not None:
        facts.append(hardware)
    if any(f.name == "training_tokens" and f.alternatives for f in facts):
        warnings.append("the card states several training token counts; see the fact's alternatives")
    return facts


def _detail(sentence: str) -> str:
    return _trim(sentence)


@dataclass
class _Found:
    """Statements found so far, by fact."""

    tokens: list[_Candidate] = field(default_factory=list)
    hours: list[_Candidate] = field(default_factory=list)
    counts: list[_Candidate] = field(default_factory=list)
    durations: list[_Candidate] = field(default_factory=list)
    params: list[_Candidate] = field(default_factory=list)
    hardware: list[_Candidate] = field(default_factory=list)


@dataclass
class _Scan:
    """One sentence being scanned, with what its text and headings say about training."""

    text: str
    line: int
    detail: str
    train_context: bool
    heading_ok: bool
    data_heading: bool
    later_heading: bool


def _scan_sentence(sentence: _Sentence, found: _Found) -> None:
    text = " ".join(sentence.text.split())[:MAX_SCAN_CHARS]
    has_digit = any(ch.isdigit() for ch in text)
    if not has_digit and "month" not in text and "week" not in text and "day" not in text:
        return
    scan = _Scan(
        text=text,
        line=sentence.line,
        detail=_detail(text),
        train_context=bool(_TRAIN_WORDS.search(text)),
        heading_ok=bool(_HW_HEADINGS.search(sentence.headings)) and not _HW_BAD_HEADINGS.search(sentence.headings),
        data_heading=bool(re.search(r"(?i:train|data)", sentence.headings)),
        later_heading=bool(_LATER_STAGE.search(sentence.headings.rsplit(" / ", 1)[-1])),
    )
    for match in _QTY.finditer(text) if has_digit else ():
        if not _scan_tokens(match, scan, found) and not _scan_hours(match, scan, found):
            _scan_params(match, scan, found)
    if has_digit and (scan.train_context or scan.heading_ok) and not _HW_NEGATIVE.search(text):
        _scan_hardware(scan, found)
    if (scan.train_context or "took" in text.lower() or scan.heading_ok) and not _DURATION_NEGATIVE.search(text):
        _scan_durations(scan, found)


def _scan_tokens(match: re.Match[str], scan: _Scan, found: _Found) -> bool:
    """A token count after ``match``: True when the number is one (kept or not)."""
    text = scan.text
    after = text[match.end() : match.end() + 80]
    mult = (match.group("mult") or "").lower()
    tok = _TOKENS_AFTER.match(after)
    if tok is None and mult in ("t", "trillion", "万亿"):
        tok = _CORPUS_AFTER.match(after)
    if tok is None and mult != "gt":
        return False
    if tok is not None and "param" in tok.group(0).lower():
        return False
    if not (scan.train_context or scan.data_heading):
        return True
    q = _quantity(match, text)
    before = text[max(0, match.start() - 45) : match.start()]
    if q.value < MIN_TRAINING_TOKENS or _TOKEN_NEGATIVE.search(before):
        return True
    subject = text[max(0, match.start() - 200) : match.start()]
    cand = _Candidate(q.value, q.low, q.high, q.qualifier, scan.detail, scan.line, subject)
    if _LATER_STAGE.search(subject) or scan.later_heading:
        cand.stage = "later"
    epochs = _EPOCHS_AFTER.search(after)
    if epochs:
        n_text = epochs.group("n").lower()
        n = int(n_text) if n_text.isdigit() else _NUMBER_WORDS.get(n_text, 1)
        if n > 1:
            cand.value, cand.low, cand.high = cand.value * n, cand.low * n, cand.high * n
            cand.note = f"{_fmt(q.value)} tokens x {n} epochs"
    found.tokens.append(cand)
    return True


def _scan_hours(match: re.Match[str], scan: _Scan, found: _Found) -> bool:
    """Accelerator-hours after ``match`` ("3.3M GPU hours", "147K H100 hours")."""
    text = scan.text
    hrs = _HOURS_AFTER.match(text[match.end() : match.end() + 80])
    if hrs is None or not (hrs.group("hw") or hrs.group("word")):
        return False
    q = _quantity(match, text)
    if q.value < 10:
        return True
    subject = text[max(0, match.start() - 200) : match.start()]
    clause = text[_clause_start(text, match.start()) : match.start()]
    cand = _Candidate(q.value, q.low, q.high, q.qualifier, scan.detail, scan.line, subject)
    if _LATER_STAGE.search(clause) or _LATER_STAGE.search(subject[-40:]) or scan.later_heading:
        cand.stage = "later"
    cand.total = bool(_TOTAL_WORDS.search(subject))
    hw = hrs.group("hw") or _find_hw(text)
    if hw:
        cand.hardware = _canonical_hw(hw)
    found.hours.append(cand)
    return True


def _scan_params(match: re.Match[str], scan: _Scan, found: _Found) -> None:
    """A stated parameter count ("a 405B parameter model"), never an active-parameter count."""
    text = scan.text
    after = text[match.end() : match.end() + 80]
    if not match.group("mult") or not _PARAM_AFTER.match(after):
        return
    before = text[max(0, match.start() - 20) : match.start()]
    if "activ" in after[:40].lower() or re.search(r"(?i:of which|activated)\s*$", before):
        return
    q = _quantity(match, text, kind="params")
    if q.value >= 1e6:
        subject = text[max(0, match.start() - 200) : match.start()]
        found.params.append(_Candidate(q.value, q.low, q.high, q.qualifier, scan.detail, scan.line, subject))


def _scan_hardware(scan: _Scan, found: _Found) -> None:
    """Accelerator counts ("384 A100 80GB GPUs") and types named in a training context."""
    text = scan.text
    for match in _HW_COUNT.finditer(text):
        count = _number(match.group("count"))
        after = text[match.end() : match.end() + 20].lower().lstrip()
        if not 1 <= count <= 1_000_000 or after.startswith(("hour", "-hour", "gb", "node")):
            continue
        q = _interval(count, 0.0, text[max(0, match.start() - 60) : match.start()], False)
        subject = text[max(0, match.start() - 200) : match.start()]
        cand = _Candidate(count, q.low, q.high, q.qualifier, scan.detail, scan.line, subject)
        if _LATER_STAGE.search(text[_clause_start(text, match.start()) : match.start()]):
            cand.stage = "later"
        if match.group("hw"):
            cand.hardware = _canonical_hw(match.group("hw"))
        found.counts.append(cand)
    for match in _HW_RE.finditer(text):
        mention = _Candidate(0.0, 0.0, 0.0, "", scan.detail, scan.line, text[: match.start()])
        mention.hardware = _canonical_hw(match.group("hw"))
        found.hardware.append(mention)


def _scan_durations(scan: _Scan, found: _Found) -> None:
    """Wall-clock training time ("trained for 21 days", "took two months")."""
    text = scan.text
    for match in _DURATION.finditer(text):
        q = _duration_quantity(match, text)
        if q is None:
            continue
        subject = text[max(0, match.start() - 200) : match.start()]
        cand = _Candidate(q.value, q.low, q.high, q.qualifier, scan.detail, scan.line, subject)
        if _LATER_STAGE.search(text[_clause_start(text, match.start()) : match.start()]):
            cand.stage = "later"
        found.durations.append(cand)


def _duration_quantity(match: re.Match[str], text: str) -> _Quantity | None:
    num = match.group("num").lower()
    unit = match.group("unit").lower().rstrip("s")
    per = HOURS_PER_UNIT[unit]
    if num in _NUMBER_WORDS:
        n = float(_NUMBER_WORDS[num])
        rel = min(0.5 / n, PARAM_REL_CAP)
    else:
        n = _number(num)
        rel = min(0.5 * _ulp(num) / n, PARAM_REL_CAP) if n else 0.0
    hours = n * per
    if not 0 < hours <= 5 * 8760:
        return None
    return _interval(hours, rel, text[: match.start()], False)


def _first_duration(text: str) -> _Quantity | None:
    for match in _DURATION.finditer(text):
        q = _duration_quantity(match, text)
        if q is not None:
            return q
    return None


def _find_hw(text: str) -> str | None:
    match = _HW_RE.search(text)
    return match.group("hw") if match else None


_TOKEN_HEADER = re.compile(r"(?i:tokens?\b|token count|dataset size)")
_TOKEN_HEADER_NEGATIVE = re.compile(
    r"(?i:context|vocab|batch|per\b|/s|speed|length|max|window|embedding|source|proportion|epoch|ratio|%)"
)
_HOURS_HEADER = re.compile(r"(?i:(?:gpu|tpu|chip|accelerator)[\s-]?hours?|gpu time)")
_MIX_HEADER = re.compile(r"(?i:source|proportion|epoch|sampling|weight|mix|fraction|language|share|%)")


def _scan_table(table: _Table, tokens: list[_Candidate], hours: list[_Candidate]) -> None:
    """Tables: a column headed "Tokens" / "GPU hours" (rows are models), or a row so labelled."""
    header = [" ".join(c.split()) for c in table.header]
    header_text = " | ".join(header)
    mix_table = bool(_MIX_HEADER.search(header_text))
    if _LATER_STAGE.search(table.headings.rsplit(" / ", 1)[-1]):
        return  # a table about fine-tuning or a later stage
    for column, title in enumerate(header):
        if column == 0:
            continue
        is_tokens = bool(_TOKEN_HEADER.search(title)) and not _TOKEN_HEADER_NEGATIVE.search(title) and not mix_table
        is_hours = bool(_HOURS_HEADER.search(title))
        if not (is_tokens or is_hours):
            continue
        for row in table.rows:
            if column >= len(row.cells):
                continue
            _table_cell(row.cells[column], row.label, row.line, header_text, row, is_tokens, tokens, hours)
    # Row-oriented: the first cell names the quantity, other cells hold values per header.
    for row in table.rows:
        label = row.label
        is_tokens = bool(_TOKEN_HEADER.search(label)) and not _TOKEN_HEADER_NEGATIVE.search(label)
        is_hours = bool(_HOURS_HEADER.search(label))
        if not (is_tokens or is_hours):
            continue
        for column in range(1, len(row.cells)):
            subject = header[column] if column < len(header) else ""
            _table_cell(row.cells[column], subject, row.line, header_text, row, is_tokens, tokens, hours)


def _table_cell(
    cell: str,
    subject: str,
    line: int,
    header_text: str,
    row: _Row,
    is_tokens: bool,
    tokens: list[_Candidate],
    hours: list[_Candidate],
) -> None:
    text = " ".join(cell.split())[:MAX_SCAN_CHARS]
    matches = list(_QTY.finditer(text))
    if not matches:
        return
    detail = _trim(f"{header_text} || {' | '.join(row.cells)}")
    total = subject.strip().lower() in ("total", "sum", "all")
    if is_tokens:
        if any("%" in c for c in row.cells):
            return  # a data-mix row: one source's share, not the model's total
        match = matches[0]
        if not match.group("mult") and _number(match.group("num")) < MIN_TRAINING_TOKENS:
            return
        q = _quantity(match, text)
        if q.value < MIN_TRAINING_TOKENS:
            return
        cand = _Candidate(q.value, q.low, q.high, q.qualifier, detail, line, subject, total=total, from_table=True)
        if _LATER_STAGE.search(text[: match.start()]):
            cand.stage = "later"
        tokens.append(cand)
        return
    # A cell may list hours per stage ("pretraining: 147K H100 hours, SFT: 896 H100 hours"): sum them.
    values = []
    for match in matches:
        after = text[match.end() : match.end() + 40]
        if len(matches) > 1 and not _HOURS_AFTER.match(after):
            continue
        values.append(_quantity(match, text))
    if not values:
        return
    value = sum(q.value for q in values)
    low = sum(q.low for q in values)
    high = sum(q.high for q in values)
    cand = _Candidate(value, low, high, values[0].qualifier, detail, line, subject, total=total, from_table=True)
    if len(values) > 1:
        cand.note = f"sum of {len(values)} stages listed in one table cell"
    hw = _find_hw(text)
    if hw:
        cand.hardware = _canonical_hw(hw)
    if value >= 10:
        hours.append(cand)


def _hardware_fact(
    facts: list[Fact],
    counts: list[_Candidate],
    hours: list[_Candidate],
    mentions: list[_Candidate],
    source: str,
) -> Fact | None:
    """training_hardware from the chosen count or hours statement, else the most named type."""
    chosen_lines = {
        (e.line, e.detail)
        for f in facts
        if f.name in ("training_hardware_count", "training_gpu_hours")
        for e in f.evidence
    }
    for pool in (counts, hours):
        for cand in pool:
            if cand.hardware and (cand.line, cand.detail) in chosen_lines and cand.stage != "later":
                return Fact(
                    "training_hardware",
                    cand.hardware,
                    confidence=Confidence.LIKELY,
                    method="card",
                    evidence=[Evidence("card-text", source, cand.detail, cand.line)],
                )
    for pool in (counts, hours):
        for cand in pool:
            if cand.hardware and cand.stage != "later":
                return Fact(
                    "training_hardware",
                    cand.hardware,
                    confidence=Confidence.LIKELY,
                    method="card",
                    evidence=[Evidence("card-text", source, cand.detail, cand.line)],
                )
    tally: dict[str, list[_Candidate]] = {}
    for mention in mentions:
        if mention.hardware:
            tally.setdefault(mention.hardware, []).append(mention)
    if not tally:
        return None
    ranked = sorted(tally.items(), key=lambda kv: (-len(kv[1]), kv[1][0].line))
    name, found = ranked[0]
    note = None
    if len(ranked) > 1:
        note = "the card names several accelerators in a training context: " + ", ".join(n for n, _ in ranked[:5])
    return Fact(
        "training_hardware",
        name,
        confidence=Confidence.SPECULATIVE if len(ranked) > 1 else Confidence.LIKELY,
        method="card",
        evidence=[Evidence("card-text", source, m.detail, m.line) for m in found[:3]],
        note=note,
    )


def iter_card_facts(info: CardInfo, names: Iterable[str]) -> Iterator[Fact]:
    """The card's facts whose names are in ``names`` (a convenience for merging)."""
    wanted = set(names)
    return (fact for fact in info.facts if fact.name in wanted)
