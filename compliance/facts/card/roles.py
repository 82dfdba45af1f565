"""What a figure in a card is about: the pretraining total, a later stage, a context length, a family total."""

from __future__ import annotations

import re

TRAIN_WORDS = re.compile(
    r"(?i:train|pre-?train|fine[- ]?tun|\btuning\b|corpus|corpora|dataset|\bdata\b|\bsaw\b|\bseen\b|learned)"
    r"|训练|语料|数据"
)

LATER_STAGE = re.compile(
    r"(?i:fine[- ]?tun|\bsft\b|instruction|continu(?:ed|ing|e)[\s-]+(?:pre-?|the\s)?train|continual|further|additional"
    r"|anneal|long[- ]context"
    r"|post[- ]?train|subsequent|after pre-?training|\bstage\s?2\b|mid[- ]?train|extension|rlhf|\bdpo\b|adapt"
    r"|\bkept\b|\bresum|on top of|\bextra\b|cool[- ]?down|decay phase|second phase|final phase)"
)

TOKEN_NEGATIVE = re.compile(
    r"(?i:context|window|length|vocab|batch|every|\bper\b|warm|decay|ramp|sequence|\bup to\b|\braw\b|unfiltered"
    r"|before (?:filtering|dedup))"
)
# Words that make a small figure a serving or throughput figure; a figure of a hundred billion tokens or
# more next to them ("pre-training processed 1.8T tokens") is still a training total.
TOKEN_NEGATIVE_SMALL = re.compile(
    r"(?i:generat|handle|(?<![-\w])process|input|output|inference|throughput|speed|checkpoint|step)"
)

# Up to three words may stand between a figure and "tokens" ("2T high-quality multilingual tokens"), but
# not verbs or function words: in "8B and 70B were used as token-level targets" the figure is no token count.
_FILLER = r"(?!(?i:were|was|is|are|be|been|being|used|as|and|or|from|by|to|with|in|on|at|the|that|which)\b)"
TOKENS_AFTER = re.compile(
    # "one trillion (1,000B) tokens": a restatement in brackets may stand between.
    r"(?:\s?\([^()]{1,25}\))?[\s-]{0,2}(?:(?P<words>(?:"
    + _FILLER
    + r"[A-Za-z][\w-]{0,24}\s){0,3}?)(?i:tokens?)|tokens?)"
    r"(?![A-Za-z0-9_]|-(?i:level|wise|based|by))"
)
# What follows "tokens" can say it is not the training set: "a 4B-token warm-up", "tokens per batch",
# "tokens of context". Checked on the few characters after the word.
TOKEN_AFTER_NEGATIVE = re.compile(
    r"(?i:[\s-]{0,2}(?:(?:of|for|in|during|as)\s(?:the\s|a\s)?)?(?:warm|ramp|context|window|batch|per\b|/|each\b"
    r"|a second|a step|every|sequence|prompt|vocab|of input|of output|budget for warm|linear warm|of raw"
    r"|of unfiltered|before (?:filtering|dedup)))"
)
# A figure naming a model's size: the word before it is a name or a version ("Llama 3.1 8B", "Mistral-7B"),
# or it continues a list of sizes ("8B and 70B").
_COMMON_CAPITALS = (
    "The|A|An|On|Over|About|Around|Approximately|Roughly|Nearly|Almost|Some|With|Of|We|Our|It|Its|This|These"
    "|In|For|Total|Trained|Pretrained|Pre-trained|Using|Across|After|Before|From|Just|Only|More|Less|Up|To|By"
    "|Tokens|Data|Dataset|Corpus|Training|Pretraining|Pre-training|Seen|Approx|Circa|Exactly|Precisely|At|All"
)
SIZE_NAME_BEFORE = re.compile(
    r"(?:(?<![\w.])(?!(?:" + _COMMON_CAPITALS + r")[\s-]$)[A-Z][\w.]{0,30}|(?<![\w.,])v?\d{1,2}(?:\.\d{1,2})?)[\s-]$"
)
SIZE_LIST_BEFORE = re.compile(r"\d(?:\.\d+)?\s?[BM](?:,\s?|\s(?:and|or|&)\s|\s?/\s?)$")

CORPUS_AFTER = re.compile(r"[\s-]{0,2}(?:[A-Za-z][\w-]{0,24}\s){0,2}?(?i:corpus|corpora)\b")

# Scanned text has its number words spelled as digits already ("for two epochs" reads "for 2 epochs").
EPOCHS_AFTER = re.compile(r"(?i:for\s(?P<n>\d{1,3})\s(?:full\s)?epochs)")

TOTAL_WORDS = re.compile(r"(?i:\btotal\b|cumulative|aggregate|\ball\b)")

# A figure for a whole family of models ("all twelve models combined", "the three sizes together"): an
# upper bound for one model, never its value.
FAMILY_TOTAL = re.compile(
    r"(?i:combined|together|altogether|\ball\s(?:of\s)?(?:the\s)?(?:[\w-]+\s){0,2}(?:models|sizes|variants"
    r"|checkpoints)|(?:across|for|of)\s(?:all|the|every|each of the)\s(?:[\w-]+\s){0,2}(?:models|sizes|variants)"
    r"|(?:whole|entire|model)\sfamily|the family|all of them|\bfamily\b|\bsuite\b|(?:every|each) (?:model|size)"
    r"|this release|all (?:[\w-]+\s){0,2}sizes)"
)
# A figure about this model alone, when the card also gives a family figure.
THIS_MODEL = re.compile(r"(?i:this (?:size|model|variant|checkpoint)|(?:the|this) model alone|for it alone)")

# Words that make an accelerator count a serving or hardware-requirement figure, not the training cluster.
_HW_USE_WORDS = (
    r"infer|deploy|\bserv(?:e[sd]?|ing)\b|\brun\b|running|requir|recommend|fine[- ]?tun|memory|\bfit|reserve"
    r"|minimum|quantiz|consumer|local|download|vram"
)
HW_USE_NEGATIVE = re.compile(r"(?i:" + _HW_USE_WORDS + r")")
# A count beside a node phrase is a per-node figure, read only as a product with the node count.
HW_NEGATIVE = re.compile(r"(?i:" + _HW_USE_WORDS + r"|per node|each node|node with)")

# A line keyed by the training cluster ("Hardware: 1,536 × H100", "Compute: 256 × TPU v5e", "| Cluster |
# 96 nodes × 8 H100 |"): as much a statement about training as a line under a "Training" heading.
HW_KEY = re.compile(
    r"\s?(?:[-*+]\s)?(?i:(?:training\s|pre-?training\s)?(?:hardware|compute|cluster|infrastructure|accelerators?))\s?[:|=]"
)

HW_HEADINGS = re.compile(r"(?i:train|hardware|compute|infrastructure|technical|carbon|environment)")

HW_BAD_HEADINGS = re.compile(r"(?i:requir|inference|deploy|quick|usage|how to|serving|run|use\b)")

DURATION_NEGATIVE = re.compile(r"(?i:\bago\b|\bpast\b|\bper\b|every|release|warm|\blast\b|next|within the|cutoff)")

# "6.6B active", "3B activated parameters", "with 37B active per token".
ACTIVE_AFTER = re.compile(
    r"(?i:[\s-]{0,2}(?:(?:param(?:eter)?s?|are|is|being|of them|of these|only)\s){0,3}"
    r"(?:activ(?:e|ated)\b|used (?:for|per|in) (?:each|every|any|a)\b|in use per))"
)
ACTIVE_BEFORE = re.compile(r"(?i:activat(?:es|ing|ed)|active(?:\sparam(?:eter)?s?)?(?:\s(?:of|is|are|:))?)\s{0,2}$")
# "16x3.8B experts", "8×7B parameters", "a 8x22B mixture": a mixture's size as experts x expert size.
EXPERTS_SIZE = re.compile(
    r"(?<![\w.])(?P<n>\d{1,3})\s?[x×]\s?(?P<num>\d{1,4}(?:\.\d{1,2})?)\s?(?P<mult>[BM]|(?i:billion|million))"
    r"(?![A-Za-z0-9])(?=[\s-]{0,2}(?:[\w-]{1,20}\s){0,2}(?i:experts?|param|mixture|moe|sparse|model))"
)
PARAM_AFTER = re.compile(r"[\s-]{0,2}(?:(?i:total|trainable|dense|model)\s)?(?i:param(?:eter)?s?)\b")

TOKEN_HEADER = re.compile(r"(?i:tokens?\b|token count|dataset size)")

TOKEN_HEADER_NEGATIVE = re.compile(
    r"(?i:context|vocab|batch|per\b|/s|speed|length|max|window|embedding|source|proportion|epoch|ratio|%)"
)

HOURS_HEADER = re.compile(r"(?i:(?:gpu|tpu|chip|accelerator|[abhl]\d{2,3})[\s-]?hours?|gpu time)")
# "GPU hours: 221,184", "**H100-hours** | 1.2M": a label naming accelerator-hours before the figure.
KEYED_HOURS = re.compile(
    r"(?i:(?:gpu|tpu|chip|accelerator|[abhl]\d{2,3}|compute)[\s-]?(?:hours?|time)(?:\s\([^()]{0,20}\))?\s?[:=|]\s?"
    r"(?:[\w~≈]{1,15}\s){0,2})$"
)

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


# "Tokens seen: more than 4 trillion", "Number of training tokens = 2T": the label names tokens and the
# figure follows a separator and at most three words (quantifiers).
KEYED_TOKENS = re.compile(
    r"(?i:tokens?(?:\s[\w-]{1,20}){0,2}\s?(?:[:=|–—]|\s-|\bis\b|\bwas\b)\s?(?:[\w~≈]{1,15}\s){0,3})$"
)
# Outside a sentence about training, an explicit token count is taken only when it is this large: smaller
# figures in such sentences are context lengths, batches and benchmark sizes.
PROSE_ONLY_MIN_TOKENS = 1e11


def names_a_model(before: str) -> bool:
    """True when the text just before a B/M figure makes it a model's size ("Llama 3.1 8B", "8B and 70B")."""
    tail = before[-40:]
    return bool(SIZE_NAME_BEFORE.search(tail) or SIZE_LIST_BEFORE.search(tail))


# "Parameters: 100M", "Total parameters | 7.6B".
KEYED_PARAMS = re.compile(r"(?i:param(?:eter)?s?(?:\s[\w-]{1,20}){0,2}\s?(?:[:=|–—]|\s-)\s?(?:[\w~≈]{1,15}\s){0,2})$")
