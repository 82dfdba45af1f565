"""Caveats: what limits how far a report's facts can be trusted, to show beside the verdict.

The warnings an inspection collects are many and mixed (a licence alias, an unread shard, a
gated repository). The ones that change how much weight the facts can bear are picked out
here, each with a ``kind`` a renderer or the dashboard can group and style:

* ``gated``: a gated repository read without a token (only the hub's description);
* ``files_unread``: a card, config or safetensors header that could not be read or was ignored;
* ``facts_unknown``: a fact the rules need is unknown, or known only as a bound;
* ``sources_disagree``: two sources give different values for one fact;
* ``speculative``: a fact that decided the outcome rests on a guess (the model's name, say).

Matching the warnings' wording keeps their producers (hub, card, lineage) free of report
concerns; the test suite pins each pattern to a real warning.
"""

from __future__ import annotations

import re

from compliance.report.numbers import sci

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from compliance.facts.model import FactSet

# First match wins: a gated warning also says the facts come from the description only.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("gated", re.compile(r"is gated and no token was given|gated and no token given")),
    (
        "files_unread",
        re.compile(
            r"not readable:|not read:|not in the local cache|config\.json not used|model card was ignored"
            r"|card is not valid UTF-8|not a JSON object; ignored|not valid JSON|has no YAML front matter"
        ),
    ),
    ("facts_unknown", re.compile(r"compute unknown|compute is unknown|could not be inspected|was not looked up")),
    ("sources_disagree", re.compile(r"disagree|differs from|do not overlap|several licences|states several")),
)
# Facts whose confidence matters even when no finding was decided by them.
_KEY_FACTS = ("training_compute_flop", "parameters")
MAX_MESSAGE = 300


def caveat_kind(warning: str) -> str | None:
    """The caveat kind of one warning, or None when it does not limit trust in the facts."""
    for kind, pattern in _KINDS:
        if pattern.search(warning):
            return kind
    return None


def caveats(warnings: Iterable[str], facts: FactSet, deciding: Iterable[Any] = ()) -> list[dict[str, str]]:
    """``[{"kind", "message"}]`` for a report: its trust-limiting warnings, then the facts the
    outcome rests on (``deciding`` findings' comparisons, and compute and parameters) that are
    unknown or speculative. Each message once."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(kind: str, message: str) -> None:
        flat = " ".join(message.split())
        if len(flat) > MAX_MESSAGE:
            flat = flat[: MAX_MESSAGE - 1] + "…"
        if flat not in seen:
            seen.add(flat)
            out.append({"kind": kind, "message": flat})

    for warning in warnings:
        kind = caveat_kind(str(warning))
        if kind is not None:
            add(kind, str(warning))
    names = list(_KEY_FACTS)
    for finding in deciding:
        for comparison in getattr(finding, "comparisons", None) or []:
            for name in (comparison.get("fact"), comparison.get("ref")):
                if name and name not in names:
                    names.append(str(name))
    for name in names:
        fact = facts.get(name)
        # A warning that already speaks of this fact ("cumulative training compute unknown") says it.
        words = name.removesuffix("_flop").replace("_", " ")
        if fact is None or any(words in c["message"] for c in out):
            continue
        confidence = str(getattr(fact.confidence, "value", fact.confidence))
        if fact.value is None and (fact.low is not None or fact.high is not None):
            add("facts_unknown", f"{name} is unknown; only bounds are known ({_bounds(fact.low, fact.high)})")
        elif fact.value is None and name in _KEY_FACTS:
            add("facts_unknown", f"{name} is unknown")
        elif confidence == "speculative" and fact.method != "declared":
            add("speculative", f"{name} is speculative ({fact.method})")
    return out


def _bounds(low: float | None, high: float | None) -> str:
    if low is None:
        return f"at most {sci(high)}"
    if high is None:
        return f"at least {sci(low)}"
    return f"{sci(low)} to {sci(high)}"
