"""Stored waivers: created and revoked with an audit trail, expired by the daily job."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from compliance.errors import UsageError
from compliance.services import audit, waivers

TODAY = date(2026, 11, 21)


def make(session: Session, **kw: Any) -> Any:
    values: dict[str, Any] = {
        "rule_id": "eu.gpai.systemic_risk",
        "model_pattern": "acme/*",
        "reason": "reviewed by counsel",
        "owner": "legal@acme.example",
        "expires": TODAY + timedelta(days=30),
        "approved_by": "bob",
        "actor": "alice",
        "today": TODAY,
    }
    values.update(kw)
    return waivers.create_waiver(session, **values)


def test_create_waiver_is_audited_with_its_terms(session: Session) -> None:
    row = make(session)
    session.commit()
    assert (row.created_by, row.approved_by, row.revoked_at, row.expired_at) == ("alice", "bob", None, None)
    event = audit.list_events(session, object_type="waiver", object_id=row.id).items[0]
    assert (event.actor, event.action) == ("alice", "waiver.create")
    assert event.detail is not None and event.detail["expires"] == (TODAY + timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rule_id": "Not A Rule"}, "not a rule id"),
        ({"model_pattern": "acme /*"}, "glob"),
        ({"reason": "  "}, "reason"),
        ({"approved_by": ""}, "approved_by"),
        ({"expires": TODAY - timedelta(days=1)}, "in the past"),
    ],
)
def test_create_waiver_rejects_bad_terms(session: Session, change: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        make(session, **change)


def test_active_for_matches_the_glob_case_insensitively(session: Session) -> None:
    make(session, model_pattern="ACME/llama-*")
    make(session, model_pattern="other/*")
    session.commit()
    assert [w.model_pattern for w in waivers.active_for(session, "acme/Llama-3", today=TODAY)] == ["ACME/llama-*"]
    assert waivers.active_for(session, "acme/mistral", today=TODAY) == []


def test_revoke_ends_a_waiver_and_is_audited(session: Session) -> None:
    row = make(session)
    waivers.revoke_waiver(session, row.id, actor="carol", reason="model withdrawn")
    session.commit()
    assert row.revoked_by == "carol" and row.revoked_at is not None
    assert waivers.list_waivers(session, today=TODAY) == []
    assert [w.id for w in waivers.list_waivers(session, today=TODAY, state="revoked")] == [row.id]
    assert audit.list_events(session, action="waiver.revoke").items[0].detail == {"reason": "model withdrawn"}
    with pytest.raises(UsageError, match="already revoked"):
        waivers.revoke_waiver(session, row.id, actor="carol")
    with pytest.raises(UsageError, match="no waiver"):
        waivers.revoke_waiver(session, 999, actor="carol")


def test_expire_waivers_marks_only_those_past_their_day(session: Session) -> None:
    lapsed = make(session, expires=TODAY + timedelta(days=1))
    last_day = make(session, expires=TODAY + timedelta(days=2))
    revoked = make(session, expires=TODAY + timedelta(days=1))
    waivers.revoke_waiver(session, revoked.id, actor="alice")
    session.commit()
    later = TODAY + timedelta(days=2)
    assert waivers.expire_waivers(session, today=later) == 1
    assert waivers.expire_waivers(session, today=later) == 0  # the job is idempotent
    session.commit()
    assert lapsed.expired_at is not None and last_day.expired_at is None and revoked.expired_at is None
    assert [w.id for w in waivers.list_waivers(session, today=later)] == [last_day.id]
    assert [w.id for w in waivers.list_waivers(session, today=later, state="expired")] == [lapsed.id]
    events = audit.list_events(session, action="waiver.expire").items
    assert [(e.actor, e.object_id) for e in events] == [("system", str(lapsed.id))]
    assert waivers.count_active(session, today=later) == 1


def test_waivers_for_check_include_recently_expired_ones_for_the_note(session: Session) -> None:
    recent = make(session, expires=TODAY + timedelta(days=1))
    make(session, expires=TODAY + timedelta(days=2), model_pattern="other/*")
    session.commit()
    day = TODAY + timedelta(days=10)
    found = waivers.waivers_for_check(session, "acme/x", today=day)
    assert [(w.index, w.expired(day), w.source) for w in found] == [(recent.id, True, "waivers table")]
    assert waivers.waivers_for_check(session, "acme/x", today=day + timedelta(days=200)) == []
