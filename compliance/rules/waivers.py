"""Waivers: a reviewed, owned, expiring decision to accept a finding for some models.

A waiver file is a YAML list of ``{rule, model, reason, owner, expires}``. ``rule`` is a rule
id; ``model`` is a glob matched against the model id (``acme/*``, case-insensitive); every
field is required and ``expires`` is a date (the waiver holds through that day). A waived
finding keeps its verdict and gains ``waived = {reason, owner, expires}``, so it stays visible
and is counted separately. An expired waiver is ignored, and says so in a note.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance.errors import RuleSetError
from compliance.rules.findings import Finding, Verdict
from compliance.rules.loader import read_document
from compliance.rules.schema import RULE_ID_PATTERN, describe_error, format_location

_WAIVABLE = (Verdict.TRIGGERED, Verdict.UNCERTAIN)


class _WaiverEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    rule: Annotated[str, Field(pattern=RULE_ID_PATTERN)]
    model: Annotated[str, Field(min_length=1)]
    reason: Annotated[str, Field(min_length=1)]
    owner: Annotated[str, Field(min_length=1)]
    expires: date


@dataclass(frozen=True, slots=True)
class Waiver:
    """One waiver, with the file and entry it came from."""

    rule: str
    model: str
    reason: str
    owner: str
    expires: date
    source: str
    index: int

    def matches_model(self, model_id: str) -> bool:
        """Whether the model glob matches ``model_id`` (case-insensitive)."""
        return fnmatch.fnmatchcase(model_id.casefold(), self.model.casefold())

    def expired(self, today: date) -> bool:
        """True once ``today`` is past the expiry date."""
        return today > self.expires

    def to_dict(self) -> dict[str, str]:
        """What a waived finding records."""
        return {"reason": self.reason, "owner": self.owner, "expires": self.expires.isoformat()}


def load_waivers(path: Path) -> list[Waiver]:
    """Read a waiver file; RuleSetError naming the file and the entry index on any defect."""
    source = str(path)
    raw, _ = read_document(path)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RuleSetError("a waiver file must be a YAML list of {rule, model, reason, owner, expires}", source=source)
    waivers: list[Waiver] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise RuleSetError("a waiver must be a mapping", source=source, where=f"entry {index}")
        try:
            entry = _WaiverEntry.model_validate(item)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            place = format_location(first["loc"], item)
            raise RuleSetError(describe_error(dict(first)), source=source, where=f"entry {index}: {place}") from None
        waivers.append(Waiver(entry.rule, entry.model, entry.reason, entry.owner, entry.expires, source, index))
    return waivers


def apply_waivers(findings: Iterable[Finding], model_id: str, waivers: Iterable[Waiver], today: date) -> list[str]:
    """Mark triggered and uncertain findings that a live waiver covers; return notes.

    The first live matching waiver wins. Notes report every expired waiver that would have
    matched a finding of this model, and every waiver naming a rule the run did not evaluate.
    """
    findings = list(findings)
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    notes: list[str] = []
    for waiver in waivers:
        if not waiver.matches_model(model_id):
            continue
        where = f"{waiver.source} entry {waiver.index}"
        targets = by_rule.get(waiver.rule)
        if targets is None:
            notes.append(f"waiver for {waiver.rule} ({where}) names a rule this run did not evaluate")
            continue
        if waiver.expired(today):
            notes.append(
                f"waiver for {waiver.rule} on {model_id} ({where}, owner {waiver.owner}) expired on "
                f"{waiver.expires.isoformat()} and was ignored"
            )
            continue
        for finding in targets:
            if finding.waived is None and finding.verdict in _WAIVABLE:
                finding.waived = waiver.to_dict()
    return notes
