"""Verdict diffs and their causes (pure functions; the stored side is tested with scans)."""

from __future__ import annotations

import pytest

from compliance.services.changes import cause_of, diff_verdicts
from compliance.storage.tables import ChangeCause, ChangeKind


def test_diff_verdicts_names_each_kind_of_move() -> None:
    before = {"a": "not_triggered", "b": "triggered", "c": "triggered", "d": "not_triggered", "e": "uncertain"}
    after = {"a": "triggered", "b": "not_applicable", "c": "uncertain", "d": "not_applicable", "e": "uncertain"}
    assert [(c.kind, c.rule_id, c.before, c.after) for c in diff_verdicts(before, after)] == [
        (ChangeKind.NEW_FINDING, "a", "not_triggered", "triggered"),
        (ChangeKind.CLEARED_FINDING, "b", "triggered", "not_applicable"),
        (ChangeKind.VERDICT_CHANGED, "c", "triggered", "uncertain"),
        (ChangeKind.VERDICT_CHANGED, "d", "not_triggered", "not_applicable"),
    ]


def test_rules_that_come_or_go_matter_only_when_active() -> None:
    before = {"old": "triggered", "quiet": "not_triggered"}
    changes = diff_verdicts(before, {"new": "uncertain", "calm": "not_triggered"})
    assert [(c.kind, c.rule_id) for c in changes] == [
        (ChangeKind.NEW_FINDING, "new"),
        (ChangeKind.CLEARED_FINDING, "old"),
    ]


@pytest.mark.parametrize(
    ("flags", "cause"),
    [
        ({"sha_changed": True, "rules_changed": True}, ChangeCause.MODEL),
        ({"options_changed": True, "rules_changed": True}, ChangeCause.CONTEXT),
        ({"rules_changed": True, "estimator_changed": True}, ChangeCause.LAW),
        ({"date_changed": True}, ChangeCause.LAW),
        ({"estimator_changed": True}, ChangeCause.ESTIMATOR),
        ({}, ChangeCause.LAW),
    ],
)
def test_cause_of_picks_the_first_that_applies(flags: dict[str, bool], cause: ChangeCause) -> None:
    assert cause_of(flags) is cause
