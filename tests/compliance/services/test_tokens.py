"""API tokens: shown once, stored hashed, revocable, last use recorded sparingly."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from compliance.errors import UsageError
from compliance.services import audit, tokens
from compliance.storage.tables import utcnow


def test_the_plaintext_is_returned_once_and_never_stored(engine: Engine, session: Session) -> None:
    row, plaintext = tokens.create_token(session, name="ci", role="submitter", created_by="alice")
    session.commit()
    assert plaintext.startswith("cmp_") and len(plaintext) >= 40
    assert row.prefix == plaintext[:10] and row.token_hash == tokens.hash_token(plaintext)
    with engine.connect() as connection:
        for table in ("api_tokens", "audit_events"):
            for values in connection.execute(sa.text(f"SELECT * FROM {table}")).all():
                assert all(plaintext not in str(v) for v in values)
    event = audit.list_events(session, action="token.create").items[0]
    assert event.detail == {"name": "ci", "role": "submitter", "prefix": row.prefix}


def test_authenticate_finds_the_token_and_records_its_use_once_a_minute(session: Session) -> None:
    row, plaintext = tokens.create_token(session, name="ci", role="viewer", created_by="alice")
    session.commit()
    now = utcnow()
    found = tokens.authenticate_token(session, plaintext, now=now)
    assert found is not None and (found.id, found.name, found.role, found.touched) == (row.id, "ci", "viewer", True)
    session.commit()
    session.refresh(row)
    assert row.last_used_at == now
    later = tokens.authenticate_token(session, plaintext, now=now + timedelta(seconds=30))
    assert later is not None and not later.touched
    session.commit()
    session.refresh(row)
    assert row.last_used_at == now
    again = tokens.authenticate_token(session, plaintext, now=now + timedelta(seconds=61))
    assert again is not None and again.touched
    session.commit()
    session.refresh(row)
    assert row.last_used_at == now + timedelta(seconds=61)


@pytest.mark.parametrize("attempt", ["", "cmp_wrong", "Bearer x", "cmp_" + "a" * 500])
def test_authenticate_refuses_wrong_tokens(session: Session, attempt: str) -> None:
    tokens.create_token(session, name="ci", role="viewer", created_by="alice")
    session.commit()
    assert tokens.authenticate_token(session, attempt) is None


def test_a_revoked_token_stops_working(session: Session) -> None:
    row, plaintext = tokens.create_token(session, name="ci", role="admin", created_by="alice")
    assert row.id is not None
    tokens.revoke_token(session, row.id, actor="bob")
    session.commit()
    assert tokens.authenticate_token(session, plaintext) is None
    assert tokens.list_tokens(session) == []
    assert [t.id for t in tokens.list_tokens(session, include_revoked=True)] == [row.id]
    assert audit.list_events(session, action="token.revoke").items[0].actor == "bob"
    with pytest.raises(UsageError, match="already revoked"):
        tokens.revoke_token(session, row.id, actor="bob")


def test_create_token_checks_role_and_name(session: Session) -> None:
    with pytest.raises(UsageError, match="unknown role"):
        tokens.create_token(session, name="ci", role="root", created_by="alice")
    with pytest.raises(UsageError, match="name"):
        tokens.create_token(session, name=" ", role="viewer", created_by="alice")
