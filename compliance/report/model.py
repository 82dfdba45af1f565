"""The report: the stable JSON contract that CI jobs, the API and the dashboard share.

``{"schema": "compliance-report/1", "tool", "generated_at", "as_of", "model", "context",
"facts", "lineage", "rulesets", "findings", "summary", "warnings"}``. Fields are only ever
added within a schema version; renaming or removing one means ``compliance-report/2``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from compliance import ESTIMATOR_VERSION, __version__
from compliance.facts.model import FactSet
from compliance.inspection import Inspection, ModelRef

SCHEMA = "compliance-report/1"


@dataclass(slots=True)
class Summary:
    """The outcome of a check and how it was reached."""

    outcome: str  # pass | fail | inconclusive | not_checked (inspect only)
    exit_code: int
    counts: dict[str, int] = field(default_factory=dict)
    fail_on: str | None = None
    fail_on_uncertain: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "counts": dict(self.counts),
            "fail_on": self.fail_on,
            "fail_on_uncertain": self.fail_on_uncertain,
        }


@dataclass(slots=True)
class Report:
    """One inspection or check of one model."""

    model: ModelRef
    facts: FactSet
    summary: Summary
    findings: list[Any] = field(default_factory=list)  # compliance.rules Finding objects
    rulesets: list[dict[str, Any]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    lineage: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    as_of: date | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    files_read: list[str] = field(default_factory=list)
    bytes_read: int = 0

    @classmethod
    def for_inspection(cls, inspection: Inspection) -> Report:
        """A report with facts only (``compliance inspect``)."""
        return cls(
            model=inspection.model,
            facts=inspection.facts,
            summary=Summary(outcome="not_checked", exit_code=0),
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
            "generated_at": self.generated_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
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
