"""What a figure in a card is about: the pretraining total, a later stage, a context length, a family total."""

from __future__ import annotations

import re

TRAIN_WORDS = re.compile(
    r"(?i:train|pre-?train|fine[- ]?tun|corpus|corpora|dataset|\bdata\b|\bsaw\b|\bseen\b|learned)|训练|语料|数据"
)

LATER_STAGE = re.compile(
    r"(?i:fine[- ]?tun|\bsft\b|instruction|continu(?:ed|ous|ally|e)|further|additional|anneal|long[- ]context"
    r"|post[- ]?train|subsequent|after pre-?training|\bstage\s?2\b|mid[- ]?train|extension|rlhf|\bdpo\b|adapt)"
)

TOKEN_NEGATIVE = re.compile(
    r"(?i:context|window|length|vocab|batch|every|\bper\b|warm|decay|ramp|sequence|\bup to\b|generat|handle"
    r"|(?<![-\w])process|input|output|inference|throughput|speed|checkpoint|step)"
)

TOKENS_AFTER = re.compile(r"[\s-]{0,2}(?:(?P<words>(?:[A-Za-z][\w-]{0,24}\s){0,3}?)(?i:tokens?)\b|tokens?)")

CORPUS_AFTER = re.compile(r"[\s-]{0,2}(?:[A-Za-z][\w-]{0,24}\s){0,2}?(?i:corpus|corpora)\b")

EPOCHS_AFTER = re.compile(r"(?i:for\s(?P<n>\d{1,3}|two|three|four|five|six|seven|eight|nine|ten)\s(?:full\s)?epochs)")

TOTAL_WORDS = re.compile(r"(?i:\btotal\b|cumulative|aggregate|\ball\b)")

HW_NEGATIVE = re.compile(
    r"(?i:infer|deploy|serv(?:e|ing)|\brun\b|running|requir|recommend|fine[- ]?tun|memory|\bfit|reserve"
    r"|per node|each node|node with|minimum|quantiz|consumer|local|download|vram)"
)

HW_HEADINGS = re.compile(r"(?i:train|hardware|compute|infrastructure|technical|carbon|environment)")

HW_BAD_HEADINGS = re.compile(r"(?i:requir|inference|deploy|quick|usage|how to|serving|run|use\b)")

DURATION_NEGATIVE = re.compile(r"(?i:\bago\b|\bpast\b|\bper\b|every|release|warm|\blast\b|next|within the|cutoff)")

PARAM_AFTER = re.compile(r"[\s-]{0,2}(?:(?i:total|trainable|dense|model)\s)?(?i:param(?:eter)?s?)\b")

TOKEN_HEADER = re.compile(r"(?i:tokens?\b|token count|dataset size)")

TOKEN_HEADER_NEGATIVE = re.compile(
    r"(?i:context|vocab|batch|per\b|/s|speed|length|max|window|embedding|source|proportion|epoch|ratio|%)"
)

HOURS_HEADER = re.compile(r"(?i:(?:gpu|tpu|chip|accelerator)[\s-]?hours?|gpu time)")

MIX_HEADER = re.compile(r"(?i:source|proportion|epoch|sampling|weight|mix|fraction|language|share|%)")


def clause_start(text: str, position: int) -> int:
    """Start of the clause holding ``position``: after the last ';', ' and ', ',' or ':' before it."""
    window_start = max(0, position - 200)
    window = text[window_start:position]
    best = -1
    for sep in (";", " and ", ", ", " vs", " compared", "(", " while "):
        found = window.rfind(sep)
        if found > best:
            best = found + len(sep)
    return window_start + best if best >= 0 else window_start
