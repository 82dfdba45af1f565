"""The report: the stable JSON contract that CI jobs, the API and the dashboard share.

``{"schema": "compliance-report/1", "tool", "generated_at", "as_of", "model", "context",
"facts", "lineage", "rulesets", "findings", "summary", "warnings"}``. Fields are only ever
added within a schema version; renaming or removing one means ``compliance-report/2``.
"""

from __future__ import annotations

import time

from compliance import ESTIMATOR_VERSION, __version__
from compliance.records import Record
from compliance.report.caveats import caveats

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import date
    from typing import Any

    from compliance.facts.model import FactSet
    from compliance.inspection import Inspection, ModelRef

SCHEMA = "compliance-report/1"


class Summary(Record):
    """The outcome of a check and how it was reached.

    ``outcome`` is pass, fail, inconclusive, or not_checked (``compliance inspect``).
    ``deciding`` lists the rule ids that decided it (the blocking findings, most important
    first; empty for a pass) and ``caveats`` the ``{"kind", "message"}`` reasons to trust the
    facts less (see :mod:`compliance.report.caveats`).
    """

    __slots__ = ("outcome", "exit_code", "counts", "fail_on", "fail_on_uncertain", "deciding", "caveats")

    def __init__(
        self,
        outcome: str,
        exit_code: int,
        counts: dict[str, int] | None = None,
        fail_on: str | None = None,
        fail_on_uncertain: bool = True,
        deciding: list[str] | None = None,
        caveats: list[dict[str, str]] | None = None,
    ) -> None:
        self.outcome = outcome
        self.exit_code = exit_code
        self.counts: dict[str, int] = {} if counts is None else counts
        self.fail_on = fail_on
        self.fail_on_uncertain = fail_on_uncertain
        self.deciding: list[str] = [] if deciding is None else deciding
        self.caveats: list[dict[str, str]] = [] if caveats is None else caveats

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "counts": dict(self.counts),
            "fail_on": self.fail_on,
            "fail_on_uncertain": self.fail_on_uncertain,
            "deciding": list(self.deciding),
            "caveats": [dict(c) for c in self.caveats],
        }


class Report(Record):
    """One inspection or check of one model."""

    __slots__ = ("model", "facts", "summary", "findings", "rulesets", "context", "lineage", "warnings", "notes",
                 "as_of", "generated_at", "files_read", "bytes_read")  # fmt: skip

    def __init__(
        self,
        model: ModelRef,
        facts: FactSet,
        summary: Summary,
        lineage: list[dict[str, Any]] | None = None,
        warnings: list[str] | None = None,
        files_read: list[str] | None = None,
        bytes_read: int = 0,
    ) -> None:
        self.model = model
        self.facts = facts
        self.summary = summary
        self.findings: list[Any] = []  # compliance.rules Finding objects
        self.rulesets: list[dict[str, Any]] = []
        self.context: dict[str, Any] = {}
        self.lineage: list[dict[str, Any]] = [] if lineage is None else lineage
        self.warnings: list[str] = [] if warnings is None else warnings
        self.notes: list[str] = []
        self.as_of: date | None = None
        # UTC, to the second, ISO 8601 with "Z" (time.strftime: no datetime import on the fast path)
        self.generated_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.files_read: list[str] = [] if files_read is None else files_read
        self.bytes_read = bytes_read

    @classmethod
    def for_inspection(cls, inspection: Inspection) -> Report:
        """A report with facts only (``compliance inspect``)."""
        return cls(
            model=inspection.model,
            facts=inspection.facts,
            summary=Summary(outcome="not_checked", exit_code=0, caveats=caveats(inspection.warnings, inspection.facts)),
            lineage=list(inspection.lineage),
            warnings=list(inspection.warnings),
            files_read=list(inspection.files_read),
            bytes_read=inspection.bytes_read,
        )

    def to_dict(self) -> dict[str, Any]:
        """The report contract as a JSON-ready dict."""
        return {
            "schema": SCHEMA,
            "tool": {"name": "compliance", "version": __version__, "estimator_version": ESTIMATOR_VERSION},
            "generated_at": self.generated_at,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "model": self.model.to_dict(),
            "context": dict(self.context),
            "facts": self.facts.to_dict(),
            "lineage": list(self.lineage),
            "rulesets": list(self.rulesets),
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary.to_dict(),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "inputs": {"files_read": list(self.files_read), "bytes_read": self.bytes_read},
        }
