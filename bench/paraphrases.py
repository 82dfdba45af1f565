"""The card parser on the held-out passages (tests/compliance/facts/card_passages).

Each passage states one or more training facts the way some lab might; this prints, per class
of difficulty and overall, how many expectations hold and how many passages hold entirely,
then one line per expectation that does not. These figures are apart from the corpus figures
of ``accuracy`` (../shared/bench): the passages were written without looking at the parser.

A second figure comes from the generated phrasings of ``test_card_phrasings`` (training tokens,
accelerator-hours, parameter count in random forms and frames, with distractors): a fixed,
derandomised sample of each, and the share read inside the interval the wording allows.

Run alone: ``python -m bench --only paraphrases`` or ``python -m bench.paraphrases``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

# A failure line is cut here so the section stays readable in a terminal.
MAX_LINE = 150
# Generated phrasings drawn per fact (derandomised, so two runs print the same figures).
GENERATED = 200
GENERATED_SHOWN = 3


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def main(args: Any = None) -> None:
    """Print the per-class and overall figures, then the failures."""
    from tests.compliance.facts.passages import CLASSES, evaluate, load_passages

    passages = load_passages()
    held: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    whole_held: dict[str, int] = defaultdict(int)
    whole_total: dict[str, int] = defaultdict(int)
    failures: list[str] = []
    for passage in passages:
        outcomes = evaluate(passage)
        ok = sum(o.held for o in outcomes)
        held[passage.cls] += ok
        total[passage.cls] += len(outcomes)
        whole_total[passage.cls] += 1
        whole_held[passage.cls] += ok == len(outcomes)
        for o in outcomes:
            if not o.held:
                line = f"{passage.id} {o.expectation.fact} (want {o.expectation.describe()}): {o.problem}"
                failures.append(line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…")
    print(f"   {'class':24s} {'expectations':>17s} {'passages':>17s}")
    for cls in CLASSES:
        print(
            f"   {cls:24s} {held[cls]:4d}/{total[cls]:<4d} {_pct(held[cls], total[cls])}"
            f"  {whole_held[cls]:4d}/{whole_total[cls]:<4d} {_pct(whole_held[cls], whole_total[cls])}"
        )
    all_held, all_total = sum(held.values()), sum(total.values())
    all_whole, all_passages = sum(whole_held.values()), sum(whole_total.values())
    print(
        f"   {'overall':24s} {all_held:4d}/{all_total:<4d} {_pct(all_held, all_total)}"
        f"  {all_whole:4d}/{all_passages:<4d} {_pct(all_whole, all_passages)}"
    )
    if failures:
        print(f"   failures ({len(failures)}):")
        for line in failures:
            print(f"     {line}")
    generated()


def _sample(strategy: Any, fact_name: str) -> tuple[int, int, list[str]]:
    """Parse a derandomised sample of ``strategy``'s phrasings; (held, drawn, failing texts)."""
    from hypothesis import HealthCheck, Phase, given, settings

    from compliance.facts.card import parse_card
    from tests.compliance.facts.test_card_phrasings import MODEL_NAME

    held, drawn, failing = 0, 0, []

    @settings(
        max_examples=GENERATED,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(stated: Any) -> None:
        nonlocal held, drawn
        drawn += 1
        fact = parse_card(stated.text, model_name=MODEL_NAME).fact(fact_name)
        value = None if fact is None else fact.value
        if isinstance(value, int | float) and stated.low <= value <= stated.high:
            held += 1
        else:
            shown = "none" if value is None else f"{value:.4g}"
            text = " ".join(stated.text.split()[2:])  # without the "# Heron" heading
            failing.append(f"got {shown}, want [{stated.low:.3g}, {stated.high:.3g}]: {text}")

    run()
    return held, drawn, failing


def generated() -> None:
    """Print the share of generated phrasings read correctly, per fact."""
    from tests.compliance.facts import test_card_phrasings as phrasings

    print(f"   generated phrasings (derandomised sample of {GENERATED} per fact):")
    kinds = [
        ("training_tokens", phrasings.token_statements()),
        ("training_gpu_hours", phrasings.hour_statements()),
        ("parameters", phrasings.parameter_statements()),
    ]
    for fact_name, strategy in kinds:
        held, drawn, failing = _sample(strategy, fact_name)
        print(f"   {fact_name:24s} {held:4d}/{drawn:<4d} {_pct(held, drawn)}")
        for line in failing[:GENERATED_SHOWN]:
            print(f"     {line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + '…'}")


if __name__ == "__main__":
    main()
