"""Choosing one fact from the statements a card makes about the same quantity."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from compliance.facts.card.blocks import WORD, trim
from compliance.facts.card.limits import MAX_ALTERNATIVES, SIZE_CLOSE_RATIO, SIZE_MATCH_RATIO
from compliance.facts.card.quantities import MULT, fmt
from compliance.facts.model import Confidence, Evidence, Fact


@dataclass
class Context:
    parameters_hint: float | None
    model_name: str | None
    name_tokens: set[str] = field(default_factory=set)
    # The hint was read from the model's name: good enough to pick a row of a family table, too rough
    # to set aside a stated parameter count.
    hint_from_name: bool = False

    def __post_init__(self) -> None:
        if self.model_name:
            name = self.model_name.rsplit("/", 1)[-1].lower()
            words = WORD.findall(name.replace(".", " "))
            # "OLMo-2" is written "OLMo2" in tables: add each pair of neighbours glued together.
            self.name_tokens = set(words) | {a + b for a, b in itertools.pairwise(words)}


@dataclass
class Candidate:
    value: float
    low: float
    high: float
    qualifier: str
    detail: str
    line: int
    subject: str
    stage: str = "pretrain"  # or "later" (fine-tuning, continued pre-training, annealing)
    total: bool = False
    family: bool = False  # a figure for a whole family of models: an upper bound for this one
    from_table: bool = False
    hardware: str | None = None
    note: str | None = None
    score: float = 0.0


_SIZE = re.compile(
    r"(?<![A-Za-z0-9.])(?P<num>\d{1,4}(?:\.\d{1,2})?)\s?(?P<mult>[BMT]|(?i:billion|million|trillion))(?![A-Za-z])"
)


def _subject_sizes(subject: str) -> list[float]:
    """Model sizes named in a subject ("Llama 2 70B", "the 175B model"), not token counts."""
    out = []
    # Only the figure's own clause: in "the teacher, X-70B, was trained on 15T tokens; the student saw
    # 400B tokens" the 70B names the teacher, not the subject of the 400B.
    subject = subject[-300:].rsplit(";", 1)[-1]
    for match in _SIZE.finditer(subject):
        tail = subject[match.end() : match.end() + 25].lower()
        if "token" in tail or "hour" in tail or "gpu" in tail:
            continue
        # "4T or 5T tokens": a T-sized figure is a token count unless it says parameters.
        if match.group("mult").lower() in ("t", "trillion") and "param" not in tail:
            continue
        out.append(float(match.group("num")) * MULT[match.group("mult").lower()])
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


def _name_score(candidate: Candidate, name_tokens: set[str]) -> float:
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


def _score(candidate: Candidate, context: Context, *, by_value: bool = False) -> float:
    score = 0.0
    if context.parameters_hint and not (by_value and context.hint_from_name):
        sizes = [candidate.value] if by_value else _subject_sizes(candidate.subject)
        score += _size_score(sizes, context.parameters_hint)
    if context.name_tokens and not by_value:
        score += _name_score(candidate, context.name_tokens)
    return score


def choose(
    name: str,
    candidates: list[Candidate],
    context: Context,
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
        shown = "; ".join(f"{fmt(c.value)} (line {c.line})" for c in later[:4])
        notes.append(f"not counted, about a later training stage (fine-tuning, continued pre-training): {shown}")
    if not main:
        if later:
            warnings.append(f"{what}: only later training stages are stated ({shown}); not reported as {name}")
        return None
    family = [c for c in main if c.family]
    if family:
        own = [c for c in main if not c.family]
        if not own:
            return _family_bound(name, family, source, what, warnings)
        main = own
        shown = "; ".join(f"{fmt(c.value)} (line {c.line})" for c in family[:4])
        notes.append(f"not counted, stated for the whole model family: {shown}")
    for cand in main:
        cand.score = _score(cand, context, by_value=name == "parameters")
    about_others = [c for c in main if c.score < 0]
    if about_others and len(about_others) < len(main):
        main = [c for c in main if c.score >= 0]
        shown = "; ".join(f"{fmt(c.value)} (line {c.line})" for c in about_others[:4])
        notes.append(f"not counted, about another model size: {shown}")
    elif about_others:
        warnings.append(
            f"{what}: the card's statements ({', '.join(fmt(c.value) for c in about_others[:4])}) "
            "are about other model sizes; none kept"
        )
        return None
    groups: list[list[Candidate]] = []
    for cand in main:
        for group in groups:
            ref = group[0]
            if abs(cand.value - ref.value) <= 0.01 * max(cand.value, ref.value):
                group.append(cand)
                break
        else:
            groups.append([cand])

    def group_key(group: list[Candidate]) -> tuple[float, float]:
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
                note=trim(f"subject: {alt.subject}", 200) if alt.subject.strip() else None,
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


def hardware_fact(
    facts: list[Fact],
    counts: list[Candidate],
    hours: list[Candidate],
    mentions: list[Candidate],
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
    tally: dict[str, list[Candidate]] = {}
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


def _family_bound(name: str, family: list[Candidate], source: str, what: str, warnings: list[str]) -> Fact:
    """A figure stated only for a whole family of models: an upper bound on this model's, never its value."""
    bound = min(family, key=lambda c: c.high)
    warnings.append(
        f"{what}: the card states {fmt(bound.value)} for the whole model family only; "
        "kept as an upper bound for this model, its own figure is unknown"
    )
    return Fact(
        name,
        None,
        None,
        bound.high,
        confidence=Confidence.SPECULATIVE,
        method="card",
        evidence=[Evidence("card-text", source, c.detail, c.line) for c in family[:3]],
        note=f"stated for the whole model family ({fmt(bound.value)}): an upper bound for this model, not its value",
    )


def later_stage_tokens(candidates: list[Candidate], context: Context, source: str) -> Fact | None:
    """``finetune_tokens``: the tokens of the stages after pretraining (fine-tuning, continued pretraining,
    annealing) that the card states, summed over distinct figures; None when it states none.

    A figure stated twice counts once; one about another model size of a family is left out.
    """
    later = [c for c in candidates if c.stage == "later" and _score(c, context) >= 0]
    distinct: list[Candidate] = []
    for cand in later:
        if not any(abs(cand.value - d.value) <= 0.01 * max(cand.value, d.value) for d in distinct):
            distinct.append(cand)
    if not distinct:
        return None
    shown = " + ".join(fmt(c.value) for c in distinct)
    return Fact(
        "finetune_tokens",
        sum(c.value for c in distinct),
        sum(c.low for c in distinct),
        sum(c.high for c in distinct),
        confidence=Confidence.LIKELY if len(distinct) == 1 else Confidence.SPECULATIVE,
        method="card",
        evidence=[Evidence("card-text", source, c.detail, c.line) for c in distinct[:5]],
        note=None if len(distinct) == 1 else f"the stages after pretraining, summed: {shown}",
    )
