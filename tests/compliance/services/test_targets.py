"""Scan targets: validated values, audited changes, history kept."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from compliance.errors import UsageError
from compliance.services import audit, scans, targets


def test_a_model_list_is_validated_and_deduplicated(session: Session) -> None:
    target = targets.create_target(session, kind="models", value=["acme/a", "acme/b", "acme/a"], actor="alice")
    assert target.value == "acme/a\nacme/b"
    assert targets.target_spec(target).values == ("acme/a", "acme/b")
    assert target.name == "models: acme/a"
    with pytest.raises(UsageError, match="not a valid ORG/NAME"):
        targets.create_target(session, kind="models", value="acme/ok acme/bad..name", actor="alice")


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("author", "acme/x", "not a valid author"),
        ("search", "", "1 to 200"),
        ("models", [], "1 to 10000"),
        ("repo", "x", "unknown target kind"),
    ],
)
def test_bad_targets_are_refused(session: Session, kind: str, value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        targets.create_target(session, kind=kind, value=value, actor="alice")


def test_targets_keep_check_options(session: Session) -> None:
    target = targets.create_target(session, kind="search", value="llama", actor="alice", options={"markets": ["eu"]})
    assert target.options == {"markets": ["EU"]}
    assert target.id is not None
    targets.update_target(session, target.id, actor="bob", options={"destination": "CN"}, name="Llamas")
    assert (target.options, target.name) == ({"destination": "CN"}, "Llamas")
    with pytest.raises(UsageError, match="unknown option"):
        targets.update_target(session, target.id, actor="bob", options={"nope": 1})


def test_a_scanned_target_cannot_be_deleted(session: Session) -> None:
    target = targets.create_target(session, kind="author", value="acme", actor="alice")
    assert target.id is not None
    scans.start_scan(session, target_id=target.id, trigger="api")
    with pytest.raises(UsageError, match="disable it instead"):
        targets.delete_target(session, target.id, actor="alice")
    targets.update_target(session, target.id, actor="alice", enabled=False)
    assert targets.list_targets(session, enabled=True) == []
    assert [e.action for e in audit.list_events(session, object_type="target").items] == [
        "target.update",
        "target.create",
    ]
