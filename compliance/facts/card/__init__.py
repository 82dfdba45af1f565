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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compliance.errors import InputError, ModelFileError
from compliance.facts.card.blocks import split_blocks
from compliance.facts.card.candidates import Found, scan_sentence, scan_table
from compliance.facts.card.choose import Context, choose, hardware_fact, later_stage_tokens
from compliance.facts.card.frontmatter import front_matter, metadata_facts, output_modalities_for
from compliance.facts.card.limits import MAX_ALTERNATIVES, MAX_CARD_BYTES
from compliance.facts.card.model_name import sizes_from_name
from compliance.facts.card.plausibility import vet
from compliance.facts.card.table_columns import scan_columns
from compliance.facts.model import Fact
from compliance.facts.names import FACT_SPECS
from compliance.regularfile import read_regular

__all__ = [
    "MAX_CARD_BYTES",
    "CardInfo",
    "iter_card_facts",
    "output_modalities_for",
    "parse_card",
    "parse_card_file",
]


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
    data = read_regular(path, limit=MAX_CARD_BYTES)
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
    metadata, body_start, has_fm = front_matter(lines, source)
    if not has_fm:
        warnings.append("the card has no YAML front matter: licence, base model and tags are unknown")
    facts = metadata_facts(metadata, lines[1 : body_start - 1] if has_fm else [], source, warnings)
    body_lines = lines[body_start:]
    named = sizes_from_name(model_name)
    from_name = parameters_hint is None
    if from_name:
        # With no config or header, the size in the name still picks this model's row in a family card.
        parameters_hint = next((float(f.value) for f in named if f.name == "parameters"), None)
    context = Context(parameters_hint, model_name, hint_from_name=from_name)
    prose = _prose_facts(body_lines, body_start + 1, source, context, warnings)
    facts.extend(vet(prose, parameters_hint, warnings))
    facts.extend(named)  # last: any other source of a size wins over the name
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


def iter_card_facts(info: CardInfo, names: Iterable[str]) -> Iterator[Fact]:
    """The card's facts whose names are in ``names`` (a convenience for merging)."""
    wanted = set(names)
    return (fact for fact in info.facts if fact.name in wanted)


def _prose_facts(
    body_lines: list[str], first_line: int, source: str, context: Context, warnings: list[str]
) -> list[Fact]:
    sentences, tables = split_blocks(body_lines, first_line)
    found = Found()
    for sentence in sentences:
        scan_sentence(sentence, found)
    for table in tables:
        scan_table(table, found.tokens, found.hours)
        scan_columns(table, found.counts, found.durations)
    facts: list[Fact] = []
    for name, cands, what, prefer in (
        ("training_tokens", found.tokens, "training token counts", "largest"),
        ("training_gpu_hours", found.hours, "accelerator-hour figures", "largest"),
        ("training_hardware_count", found.counts, "accelerator counts", "largest"),
        ("training_duration_hours", found.durations, "training durations", "largest"),
        ("parameters", found.params, "parameter counts", "frequent"),
        ("active_parameters", found.active, "active parameter counts", "frequent"),
    ):
        fact = choose(name, cands, context, source, what, warnings, prefer=prefer)
        if fact is None:
            continue
        if name in ("parameters", "active_parameters"):
            fact.note = "; ".join(
                x for x in ("stated in the card's prose: a low-priority source, rounded", fact.note) if x
            )
        facts.append(fact)
    later = later_stage_tokens(found.tokens, context, source)
    if later is not None:
        facts.append(later)
    hardware = hardware_fact(facts, found.counts, found.hours, found.hardware, source)
    if hardware is not None:
        facts.append(hardware)
    if any(f.name == "training_tokens" and f.alternatives for f in facts):
        warnings.append("the card states several training token counts; see the fact's alternatives")
    return facts
