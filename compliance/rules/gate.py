"""The CI gate: findings in, an outcome and an exit code out.

Contract (the ``ExitCode`` values in :mod:`compliance.errors`):

* ``fail`` / exit 1: a triggered finding, not waived, with severity >= ``fail_on``.
* ``inconclusive``: no such triggered finding, but an uncertain one, not waived, with
  severity >= ``fail_on``. Exit 2 with ``fail_on_uncertain``, else exit 0: the outcome word
  still says ``inconclusive``, because an undecided rule is never a pass.
* ``pass`` / exit 0: otherwise.

Uncertain findings are held to the same severity bar as triggered ones: an undecided ``info``
rule cannot block a gate that lets a triggered ``info`` rule through. Not-applicable findings
never count; waived findings are counted apart and never block.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from compliance.errors import ExitCode
from compliance.rules.findings import Finding, Severity, Verdict

Outcome = Literal["pass", "fail", "inconclusive"]


def decide(findings: Iterable[Finding], *, fail_on: Severity | str, fail_on_uncertain: bool) -> tuple[Outcome, int]:
    """The gate's outcome and exit code for ``findings`` (see the module docstring)."""
    bar = Severity(fail_on)
    triggered = uncertain = False
    for finding in findings:
        if finding.waived is not None or finding.severity < bar:
            continue
        if finding.verdict is Verdict.TRIGGERED:
            triggered = True
        elif finding.verdict is Verdict.UNCERTAIN:
            uncertain = True
    if triggered:
        return "fail", int(ExitCode.FAIL)
    if uncertain:
        return "inconclusive", int(ExitCode.INCONCLUSIVE if fail_on_uncertain else ExitCode.PASS)
    return "pass", int(ExitCode.PASS)


def deciding(findings: Iterable[Finding], *, fail_on: Severity | str, outcome: str) -> list[Finding]:
    """The findings that decided ``outcome``: for a fail the triggered ones at or above
    ``fail_on``, for inconclusive the uncertain ones at or above it (waived ones never), for a
    pass none. In the order given."""
    verdict = {"fail": Verdict.TRIGGERED, "inconclusive": Verdict.UNCERTAIN}.get(outcome)
    if verdict is None:
        return []
    bar = Severity(fail_on)
    return [f for f in findings if f.verdict is verdict and f.waived is None and f.severity >= bar]


def tally(findings: Iterable[Finding]) -> dict[str, int]:
    """Counts by verdict; waived findings are counted under ``waived`` only."""
    counts = {v.value: 0 for v in Verdict}
    counts["waived"] = 0
    for finding in findings:
        counts["waived" if finding.waived is not None else finding.verdict.value] += 1
    return counts
