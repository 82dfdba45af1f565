"""The card parser on the held-out passages (tests/compliance/facts/card_passages).

Each passage states one or more training facts the way some lab might; this prints, per class
of difficulty and overall, how many expectations hold and how many passages hold entirely,
then one line per expectation that does not. These figures are apart from the corpus figures
of ``accuracy`` (../shared/bench): the passages were written without looking at the parser.

Run alone: ``python -m bench --only paraphrases`` or ``python -m bench.paraphrases``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

# A failure line is cut here so the section stays readable in a terminal.
MAX_LINE = 150


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


if __name__ == "__main__":
    main()
