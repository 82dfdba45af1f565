"""Figures a card states that no training run can have had: rejected, or kept as speculative with a warning.

A card is written by people and read by a parser: a typo, a figure for something else or a deliberate lie
must not become a "likely" fact that decides a verdict. The bounds are wide on purpose (a figure inside
them is not thereby right), and a figure outside them never passes as likely.
"""

from __future__ import annotations

from compliance.facts.card.limits import MIN_TRAINING_TOKENS
from compliance.facts.card.quantities import fmt
from compliance.facts.model import Confidence, Fact

# Pretraining sets run from about a billion tokens (small research models) to a few tens of trillions
# (the largest disclosed runs are 3-4e13); 1e15 leaves a wide margin.
# (Not the estimator's 1e14 ceiling for a model with no stated tokens: that one bounds an unknown, this one
# refuses a statement.) The floor is the parser's own MIN_TRAINING_TOKENS.
MAX_STATED_TOKENS = 1e15
# Tokens per parameter seen in practice: about 1.7 (GPT-3) to 6e4 (sub-billion models trained on tens of
# trillions). Outside this band the token figure or the size is likely about something else.
MIN_TOKENS_PER_PARAMETER = 0.2
MAX_TOKENS_PER_PARAMETER = 2e5
# The largest disclosed runs used a few times 1e7 accelerator-hours.
MAX_PLAUSIBLE_GPU_HOURS = 1e9
MAX_PLAUSIBLE_PARAMETERS = 1e14
MAX_PLAUSIBLE_DURATION_HOURS = 5 * 8760


def vet(facts: list[Fact], parameters_hint: float | None, warnings: list[str]) -> list[Fact]:
    """The facts with impossible figures removed and improbable ones made speculative, each with a warning."""
    out: list[Fact] = []
    for fact in facts:
        if fact.name not in _LIMITS or not fact.is_numeric:
            out.append(fact)
            continue
        problem = _impossible(fact)
        if problem is not None:
            warnings.append(f"{fact.name}: the card's figure {fmt(_magnitude(fact))} is {problem}; not used")
            continue
        doubt = _improbable(fact, parameters_hint)
        if doubt is not None:
            fact.confidence = Confidence.weakest(fact.confidence, Confidence.SPECULATIVE)
            fact.note = "; ".join(x for x in (fact.note, doubt) if x)
            warnings.append(f"{fact.name}: {doubt}")
        out.append(fact)
    return out


_LIMITS = {
    "training_tokens": MAX_STATED_TOKENS,
    "finetune_tokens": MAX_STATED_TOKENS,
    "training_gpu_hours": MAX_PLAUSIBLE_GPU_HOURS,
    "parameters": MAX_PLAUSIBLE_PARAMETERS,
    "active_parameters": MAX_PLAUSIBLE_PARAMETERS,
    "training_duration_hours": MAX_PLAUSIBLE_DURATION_HOURS,
}


def _magnitude(fact: Fact) -> float:
    return float(fact.value if fact.value is not None else fact.high or 0.0)


def _impossible(fact: Fact) -> str | None:
    value = _magnitude(fact)
    limit = _LIMITS.get(fact.name)
    if limit is not None and value > limit:
        return f"beyond any training run (more than {fmt(limit)})"
    if fact.name == "training_tokens" and fact.value is not None and value < MIN_TRAINING_TOKENS:
        return f"too small for a pretraining set (fewer than {fmt(MIN_TRAINING_TOKENS)})"
    return None


def _improbable(fact: Fact, parameters_hint: float | None) -> str | None:
    if fact.name != "training_tokens" or fact.value is None or not parameters_hint:
        return None
    ratio = float(fact.value) / parameters_hint
    if MIN_TOKENS_PER_PARAMETER <= ratio <= MAX_TOKENS_PER_PARAMETER:
        return None
    return (
        f"{fmt(float(fact.value))} tokens for {fmt(parameters_hint)} parameters is {ratio:,.3g} tokens per "
        f"parameter, outside what models are trained at ({MIN_TOKENS_PER_PARAMETER}-{MAX_TOKENS_PER_PARAMETER:,.0f}): "
        "kept as speculative"
    )
