"""Finding candidate figures in a card's sentences and tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from compliance.facts.card.blocks import Row, Sentence, Table, trim
from compliance.facts.card.choose import Candidate
from compliance.facts.card.durations import DURATION, duration_quantity
from compliance.facts.card.limits import MAX_SCAN_CHARS, MIN_TRAINING_TOKENS
from compliance.facts.card.model_name import EXPERT_PRODUCT_SPREAD, EXPERT_PRODUCT_VALUE
from compliance.facts.card.node_counts import node_products
from compliance.facts.card.quantities import (
    HOURS_AFTER,
    HW_COUNT,
    HW_RE,
    MULT,
    QTY,
    canonical_hw,
    find_hw,
    fmt,
    interval,
    parse_number,
    quantity,
)
from compliance.facts.card.roles import (
    ACTIVE_AFTER,
    ACTIVE_BEFORE,
    CORPUS_AFTER,
    DURATION_NEGATIVE,
    EPOCHS_AFTER,
    EXPERTS_SIZE,
    FAMILY_TOTAL,
    HOURS_HEADER,
    HW_BAD_HEADINGS,
    HW_HEADINGS,
    HW_KEY,
    HW_NEGATIVE,
    HW_USE_NEGATIVE,
    KEYED_HOURS,
    KEYED_PARAMS,
    KEYED_TOKENS,
    LATER_STAGE,
    MIX_HEADER,
    PARAM_AFTER,
    PROSE_ONLY_MIN_TOKENS,
    THIS_MODEL,
    TOKEN_AFTER_NEGATIVE,
    TOKEN_HEADER,
    TOKEN_HEADER_NEGATIVE,
    TOKEN_NEGATIVE,
    TOKEN_NEGATIVE_SMALL,
    TOKENS_AFTER,
    TOTAL_WORDS,
    TRAIN_WORDS,
    clause_start,
    names_a_model,
)
from compliance.facts.card.scientific import expand_scientific
from compliance.facts.number_words import spell_to_digits

# Units a duration in words may carry ("a fortnight", "a couple of days"): a sentence without digits is
# scanned only when it names one.
_DURATION_WORDS = re.compile(r"(?i:hour|day|week|fortnight|month|year)")


def _detail(sentence: str) -> str:
    return trim(sentence)


@dataclass
class Found:
    """Statements found so far, by fact."""

    tokens: list[Candidate] = field(default_factory=list)
    hours: list[Candidate] = field(default_factory=list)
    counts: list[Candidate] = field(default_factory=list)
    durations: list[Candidate] = field(default_factory=list)
    params: list[Candidate] = field(default_factory=list)
    active: list[Candidate] = field(default_factory=list)
    hardware: list[Candidate] = field(default_factory=list)


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


def scan_sentence(sentence: Sentence, found: Found) -> None:
    original = " ".join(sentence.text.split())[:MAX_SCAN_CHARS]
    # Figures written in words ("twelve trillion tokens", "twenty-three days") are read as digits; the
    # evidence quotes the sentence as the card wrote it.
    text = expand_scientific(spell_to_digits(original))[:MAX_SCAN_CHARS]
    has_digit = any(ch.isdigit() for ch in text)
    if not has_digit and not _DURATION_WORDS.search(text):
        return
    scan = _Scan(
        text=text,
        line=sentence.line,
        detail=_detail(original),
        train_context=bool(TRAIN_WORDS.search(text)),
        heading_ok=bool(HW_HEADINGS.search(sentence.headings) or HW_KEY.match(text))
        and not HW_BAD_HEADINGS.search(sentence.headings),
        data_heading=bool(re.search(r"(?i:train|data)", sentence.headings)),
        later_heading=bool(LATER_STAGE.search(sentence.headings.rsplit(" / ", 1)[-1])),
    )
    for match in QTY.finditer(text) if has_digit else ():
        if not _scan_tokens(match, scan, found) and not _scan_hours(match, scan, found):
            _scan_params(match, scan, found)
    if has_digit and ("x" in text or "×" in text):
        _scan_experts(scan, found)
    if has_digit and (scan.train_context or scan.heading_ok):
        _scan_node_products(scan, found)
        if not HW_NEGATIVE.search(text):
            _scan_hardware(scan, found)
    if scan.train_context or "took" in text.lower() or scan.heading_ok:
        _scan_durations(scan, found)


def _scan_tokens(match: re.Match[str], scan: _Scan, found: Found) -> bool:
    """A token count after ``match``: True when the number is one (kept or not)."""
    text = scan.text
    after = text[match.end() : match.end() + 80]
    mult = (match.group("mult") or "").lower()
    tok = TOKENS_AFTER.match(after)
    if tok is None and mult in ("t", "trillion", "万亿"):
        tok = CORPUS_AFTER.match(after)
    keyed = False
    if tok is None and mult != "gt":
        # Key-value forms: "Tokens seen: more than 4 trillion", "Training tokens | 2T".
        full = "," in match.group("num") and parse_number(match.group("num")) >= MIN_TRAINING_TOKENS
        if not (mult or full) or not KEYED_TOKENS.search(text[clause_start(text, match.start()) : match.start()]):
            return False
        keyed = True
    if tok is not None and re.search(r"(?i:param|activ)", tok.group(0)):
        return False  # "5.1B active per token" is a size, not a token count
    before = text[max(0, match.start() - 45) : match.start()]
    if mult in ("b", "m", "billion", "million") and names_a_model(before):
        return True  # "Llama 3.1 8B and 70B were used ...": a model's size, never a token count
    q = quantity(match, text)
    explicit = tok is not None or keyed
    if not (scan.train_context or scan.data_heading or (explicit and q.value >= PROSE_ONLY_MIN_TOKENS)):
        return True
    token_end = match.end() + (tok.end() if tok is not None else 0)
    following = text[token_end : token_end + 60]
    # What follows the figure speaks of it only up to the end of its clause.
    following = following[: _clause_end(following)]
    # Only the figure's own clause can make it a context length or a batch: "a 4B-token warm-up, then
    # trained on 12T tokens" names the warm-up in another clause.
    clause = text[max(clause_start(text, match.start()), match.start() - 45) : match.start()]
    # Nor can a qualifier that belongs to an earlier figure: "a sequence length of 8,192 tokens on 2.1T tokens".
    clause = re.split(r"(?i:tokens?)\b", clause)[-1]
    if (
        q.value < MIN_TRAINING_TOKENS
        or TOKEN_NEGATIVE.search(clause)
        or (q.value < PROSE_ONLY_MIN_TOKENS and TOKEN_NEGATIVE_SMALL.search(clause))
        or TOKEN_AFTER_NEGATIVE.match(following)
    ):
        return True
    subject = text[max(0, match.start() - 200) : match.start()]
    cand = Candidate(q.value, q.low, q.high, q.qualifier, scan.detail, scan.line, subject)
    if LATER_STAGE.search(subject) or LATER_STAGE.search(following[:40]) or scan.later_heading:
        cand.stage = "later"
    epochs = EPOCHS_AFTER.search(after)
    if epochs:
        n = int(epochs.group("n"))
        if n > 1:
            cand.value, cand.low, cand.high = cand.value * n, cand.low * n, cand.high * n
            cand.note = f"{fmt(q.value)} tokens x {n} epochs"
    found.tokens.append(cand)
    return True


def _scan_hours(match: re.Match[str], scan: _Scan, found: Found) -> bool:
    """Accelerator-hours after ``match`` ("3.3M GPU hours", "147K H100 hours")."""
    text = scan.text
    hrs = HOURS_AFTER.match(text[match.end() : match.end() + 80])
    keyed = None
    if hrs is None or not (hrs.group("hw") or hrs.group("word")):
        # Key-value forms: "GPU hours: 221,184".
        keyed = KEYED_HOURS.search(text[max(0, match.start() - 60) : match.start()])
        if keyed is None:
            return False
    q = quantity(match, text)
    if q.value < 10:
        return True
    subject = text[max(0, match.start() - 200) : match.start()]
    clause = text[clause_start(text, match.start()) : match.start()]
    cand = Candidate(q.value, q.low, q.high, q.qualifier, scan.detail, scan.line, subject)
    if LATER_STAGE.search(clause) or LATER_STAGE.search(subject[-40:]) or scan.later_heading:
        cand.stage = "later"
    cand.total = bool(TOTAL_WORDS.search(subject))
    # The figure's part of the sentence, between semicolons: "1.46M GPU hours for this size; the three
    # sizes together used 39.3M" has one figure for this model and one for the family.
    seg_start = text.rfind(";", 0, match.start()) + 1
    seg_end = text.find(";", match.end())
    segment = text[seg_start : seg_end if seg_end >= 0 else len(text)]
    cand.family = bool(FAMILY_TOTAL.search(segment)) and not THIS_MODEL.search(segment)
    hw = (hrs.group("hw") if hrs is not None else None) or find_hw(keyed.group(0) if keyed else text)
    if hw:
        cand.hardware = canonical_hw(hw)
    found.hours.append(cand)
    return True


def _scan_params(match: re.Match[str], scan: _Scan, found: Found) -> None:
    """A stated parameter count: total ("a 405B parameter model", "precisely 6,053,381,344 trainable
    parameters") or active per token ("6.6B active", "activating 3B"), each to its own list."""
    text = scan.text
    after = text[match.end() : match.end() + 80]
    num = match.group("num")
    # A full integer ("6,053,381,344 parameters") is an exact count; a bare small number is not a size.
    full = not match.group("mult") and ("," in num or len(num) >= 7)
    if not match.group("mult") and not full:
        return
    before = text[max(0, match.start() - 25) : match.start()]
    active = ACTIVE_AFTER.match(after) or ACTIVE_BEFORE.search(before)
    if (
        not active
        and not PARAM_AFTER.match(after)
        and not KEYED_PARAMS.search(text[max(0, match.start() - 50) : match.start()])
    ):
        return
    if not active and re.search(r"(?i:of which)\s*$", before):
        return
    q = quantity(match, text, kind="params")
    if full:
        q.low, q.high = q.value, q.value
    if q.value < 1e6:
        return
    subject = text[max(0, match.start() - 200) : match.start()]
    cand = Candidate(q.value, q.low, q.high, q.qualifier, scan.detail, scan.line, subject)
    (found.active if active else found.params).append(cand)


def _scan_experts(scan: _Scan, found: Found) -> None:
    """ "16x3.8B experts": a mixture's size as experts x expert size; the total is below the product,
    since experts share attention and embeddings."""
    text = scan.text
    for match in EXPERTS_SIZE.finditer(text):
        n = int(match.group("n"))
        size = float(match.group("num")) * MULT[match.group("mult").lower()]
        if not 2 <= n <= 512 or size < 1e6:
            continue
        product = n * size
        subject = text[max(0, match.start() - 200) : match.start()]
        cand = Candidate(
            product * EXPERT_PRODUCT_VALUE,
            product * EXPERT_PRODUCT_SPREAD[0],
            product * EXPERT_PRODUCT_SPREAD[1],
            "",
            scan.detail,
            scan.line,
            subject,
        )
        cand.note = f"{n} experts of {fmt(size)}: the total is below the product, shared layers counted once"
        found.params.append(cand)


def _scan_hardware(scan: _Scan, found: Found) -> None:
    """Accelerator counts ("384 A100 80GB GPUs") and types named in a training context."""
    text = scan.text
    for match in HW_COUNT.finditer(text):
        count = parse_number(match.group("count"))
        after = text[match.end() : match.end() + 20].lower().lstrip()
        if not 1 <= count <= 1_000_000 or after.startswith(("hour", "-hour", "gb", "node")):
            continue
        q = interval(count, 0.0, text[max(0, match.start() - 60) : match.start()], False)
        subject = text[max(0, match.start() - 200) : match.start()]
        cand = Candidate(count, q.low, q.high, q.qualifier, scan.detail, scan.line, subject)
        if LATER_STAGE.search(text[clause_start(text, match.start()) : match.start()]):
            cand.stage = "later"
        if match.group("hw"):
            cand.hardware = canonical_hw(match.group("hw"))
        found.counts.append(cand)
    for match in HW_RE.finditer(text):
        mention = Candidate(0.0, 0.0, 0.0, "", scan.detail, scan.line, text[: match.start()])
        mention.hardware = canonical_hw(match.group("hw"))
        found.hardware.append(mention)


def _scan_node_products(scan: _Scan, found: Found) -> None:
    """Accelerator counts stated as nodes times accelerators per node, clause by clause: in "48 nodes of 8
    H100s; inference used one node" only the first clause is about training."""
    offset = 0
    for segment in scan.text.split(";"):
        if not HW_USE_NEGATIVE.search(segment):
            for product in node_products(segment):
                start = offset + product.start
                subject = scan.text[max(0, start - 200) : start]
                count = float(product.count)
                cand = Candidate(count, count, count, "", scan.detail, scan.line, subject)
                cand.hardware = product.hardware
                cand.note = f"{product.nodes} nodes x {product.per_node} accelerators per node"
                if LATER_STAGE.search(scan.text[clause_start(scan.text, start) : start]):
                    cand.stage = "later"
                found.counts.append(cand)
        offset += len(segment) + 1


# A duration's clause ends where a new phrase starts: "for 5 days on 32 GPUs with 1M tokens per step".
_DURATION_CLAUSE_END = re.compile(r"[;,.:(]|\s(?:and|then|followed|while|but|with|on|using|across)\s")


def _scan_durations(scan: _Scan, found: Found) -> None:
    """Wall-clock training time ("trained for 21 days", "took two months")."""
    text = scan.text
    for match in DURATION.finditer(text):
        # Only the duration's own clause can make it something else: in "trained for 25 days, with 3.2M
        # tokens per batch" the "per" belongs to the batch; in "evaluated every 2 hours" to the duration.
        after = _DURATION_CLAUSE_END.search(text, match.end(), match.end() + 60)
        end = after.start() if after else min(len(text), match.end() + 60)
        if DURATION_NEGATIVE.search(text[clause_start(text, match.start()) : end]):
            continue
        q = duration_quantity(match, text)
        if q is None:
            continue
        subject = text[max(0, match.start() - 200) : match.start()]
        cand = Candidate(q.value, q.low, q.high, q.qualifier, scan.detail, scan.line, subject)
        if LATER_STAGE.search(text[clause_start(text, match.start()) : match.start()]):
            cand.stage = "later"
        found.durations.append(cand)


def scan_table(table: Table, tokens: list[Candidate], hours: list[Candidate]) -> None:
    """Tables: a column headed "Tokens" / "GPU hours" (rows are models), or a row so labelled."""
    header = [" ".join(c.split()) for c in table.header]
    header_text = " | ".join(header)
    mix_table = bool(MIX_HEADER.search(header_text))
    if LATER_STAGE.search(table.headings.rsplit(" / ", 1)[-1]):
        return  # a table about fine-tuning or a later stage
    for column, title in enumerate(header):
        if column == 0:
            continue
        is_tokens = bool(TOKEN_HEADER.search(title)) and not TOKEN_HEADER_NEGATIVE.search(title) and not mix_table
        is_hours = bool(HOURS_HEADER.search(title))
        if not (is_tokens or is_hours):
            continue
        first_hours = len(hours)
        for row in table.rows:
            if column >= len(row.cells):
                continue
            _table_cell(row.cells[column], row.label, row.line, header_text, row, is_tokens, tokens, hours)
        column_hours = hours[first_hours:]
        if len(column_hours) > 1:
            # Rows are models: a "Total" row is the family's figure, not any one model's.
            for cand in column_hours:
                cand.family = cand.total
    # Row-oriented: the first cell names the quantity, other cells hold values per header.
    for row in table.rows:
        label = row.label
        is_tokens = bool(TOKEN_HEADER.search(label)) and not TOKEN_HEADER_NEGATIVE.search(label)
        is_hours = bool(HOURS_HEADER.search(label))
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
    row: Row,
    is_tokens: bool,
    tokens: list[Candidate],
    hours: list[Candidate],
) -> None:
    text = expand_scientific(spell_to_digits(" ".join(cell.split())[:MAX_SCAN_CHARS]))
    matches = list(QTY.finditer(text))
    if not matches:
        return
    detail = trim(f"{header_text} || {' | '.join(row.cells)}")
    total = subject.strip().lower() in ("total", "sum", "all")
    if is_tokens:
        if any("%" in c for c in row.cells):
            return  # a data-mix row: one source's share, not the model's total
        match = matches[0]
        if not match.group("mult") and parse_number(match.group("num")) < MIN_TRAINING_TOKENS:
            return
        q = quantity(match, text)
        if q.value < MIN_TRAINING_TOKENS:
            return
        cand = Candidate(q.value, q.low, q.high, q.qualifier, detail, line, subject, total=total, from_table=True)
        if LATER_STAGE.search(text[: match.start()]):
            cand.stage = "later"
        tokens.append(cand)
        return
    # A cell may list hours per stage ("pretraining: 147K H100 hours, SFT: 896 H100 hours"): sum them.
    values = []
    for match in matches:
        after = text[match.end() : match.end() + 40]
        if len(matches) > 1 and not HOURS_AFTER.match(after):
            continue
        values.append(quantity(match, text))
    if not values:
        return
    value = sum(q.value for q in values)
    low = sum(q.low for q in values)
    high = sum(q.high for q in values)
    cand = Candidate(value, low, high, values[0].qualifier, detail, line, subject, total=total, from_table=True)
    if len(values) > 1:
        cand.note = f"sum of {len(values)} stages listed in one table cell"
    hw = find_hw(text)
    if hw:
        cand.hardware = canonical_hw(hw)
    if value >= 10:
        hours.append(cand)


def _clause_end(text: str) -> int:
    """Where the clause that starts ``text`` ends: at ';', ',', '.', ' and ', ' then ' or ' followed'."""
    match = re.search(r"[;,.:(]|\s(?:and|then|followed|while|but)\s", text)
    return match.start() if match else len(text)
