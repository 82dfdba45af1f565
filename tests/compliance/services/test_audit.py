"""The audit log: recorded with the change, listed newest first, never edited."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from compliance.errors import UsageError
from compliance.services import audit


def test_events_commit_with_the_caller_and_list_newest_first(session: Session) -> None:
    audit.record(session, actor="alice", action="target.create", object_type="target", object_id=1)
    audit.record(session, actor="bob", action="target.update", object_type="target", object_id=1, detail={"x": 1})
    audit.record(session, actor="bob", action="token.create", object_type="token", object_id=9)
    session.rollback()
    assert audit.list_events(session).total == 0
    audit.record(session, actor="alice", action="target.create", object_type="target", object_id=1)
    audit.record(session, actor="bob", action="target.update", object_type="target", object_id=1, detail={"x": 1})
    audit.record(session, actor="bob", action="token.create", object_type="token", object_id=9)
    session.commit()
    target = audit.list_events(session, object_type="target", object_id=1)
    assert [e.action for e in target.items] == ["target.update", "target.create"]
    assert target.items[0].detail == {"x": 1} and target.items[0].at.tzinfo is not None
    assert audit.list_events(session, actor="bob").total == 2
    page = audit.list_events(session, per_page=1, page=3)
    assert [e.action for e in page.items] == ["target.create"] and page.pages == 3


def test_an_event_needs_an_actor(session: Session) -> None:
    with pytest.raises(UsageError, match="actor"):
        audit.record(session, actor=" ", action="x.y", object_type="x", object_id=1)


def test_the_service_offers_no_way_to_change_an_event() -> None:
    public = {name for name in dir(audit) if not name.startswith("_")}
    assert not {n for n in public if n.startswith(("update", "delete", "edit", "remove"))}
