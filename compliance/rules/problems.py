"""Where rule-set defects go: raised at once, or collected so that one run reports them all.

A check loads rule sets all or nothing, so the first defect stops it (a skipped rule would
quietly weaken the gate). ``compliance rules validate`` is for the author fixing a file: it
collects every defect across files, rules, named conditions and cases, and prints them all.
"""

from __future__ import annotations

from compliance.errors import RuleSetError


class Problems:
    """A sink for :class:`RuleSetError`: ``collect`` false raises each at once (the loader's
    default), true keeps them, each once, in the order found."""

    __slots__ = ("collect", "found")

    def __init__(self, *, collect: bool) -> None:
        self.collect = collect
        self.found: list[RuleSetError] = []

    def add(self, error: RuleSetError) -> None:
        """Raise ``error``, or, when collecting, keep it (a defect met twice, say a bad named
        condition used by two rules, is kept once)."""
        if not self.collect:
            raise error
        if all(error.one_line() != seen.one_line() for seen in self.found):
            self.found.append(error)

    def count(self) -> int:
        """How many distinct problems were kept so far."""
        return len(self.found)


RAISE = Problems(collect=False)
"""The default sink: every defect is raised where it is found."""
