"""Answering a check's settle questions in place: what the page offers, and what a POST may declare.

Each uncertain finding of a report lists ``settle`` entries ``{"fact", "question", "answers"}``
(see :mod:`compliance.rules.settle`): the facts that leave it undecided and answers, each a
``--fact FACT=VALUE`` value, verified to decide it. The result page offers the answers as radio
buttons, and for a number also a field for the person's own value (an answer is a side of a
threshold, the person may know the figure). A POST may only declare facts that some finding of
that report asks about, with a listed answer or, for a number, a value of the person's own,
which the check service then parses like any declared fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from compliance.errors import UsageError
from compliance.facts.names import FACT_SPECS, Kind

ANSWER_FIELD = "answer-"  # radio buttons: answer-FACT = one of the listed answers
VALUE_FIELD = "value-"  # free text, numbers only: value-FACT = the person's own figure


def asked(findings: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Every fact the findings ask about, with the answers offered for it (in order, once each)."""
    out: dict[str, list[str]] = {}
    for finding in findings:
        for entry in finding.get("settle") or []:
            answers = out.setdefault(str(entry.get("fact")), [])
            answers.extend(str(a) for a in entry.get("answers") or [] if str(a) not in answers)
    return out


def takes_a_value(fact: str) -> bool:
    """Whether the page also offers a field for the person's own value (numbers)."""
    spec = FACT_SPECS.get(fact)
    return spec is not None and spec.kind is Kind.NUMBER


def answers_from(form: Mapping[str, str], findings: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The facts a settle form declares, ``{fact: value}``; UsageError for anything not asked.

    A value typed for a number wins over the radio button beside it.
    """
    offered = asked(findings)
    chosen: dict[str, str] = {}
    typed: dict[str, str] = {}
    for key, raw in form.items():
        if key.startswith(ANSWER_FIELD):
            name, value, into = key[len(ANSWER_FIELD) :], str(raw), chosen
        elif key.startswith(VALUE_FIELD):
            name, value, into = key[len(VALUE_FIELD) :], " ".join(str(raw).split()), typed
            if not value:
                continue
        else:
            continue
        if name not in offered:
            raise UsageError(f"this check does not ask about {name[:60]!r}")
        if into is chosen and value not in offered[name]:
            raise UsageError(f"{value[:60]!r} is not one of the answers offered for {name}")
        if into is typed and (not takes_a_value(name) or len(value) > 100):
            raise UsageError(f"{name} takes one of the answers offered, not a value of your own")
        into[name] = value
    answers = {**chosen, **typed}
    if not answers:
        raise UsageError("Choose an answer to at least one question.")
    return answers
