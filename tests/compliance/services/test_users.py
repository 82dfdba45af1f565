"""Dashboard accounts: hashed passwords, roles, audited changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from compliance.errors import UsageError
from compliance.services import audit, users

PASSWORD = "correct horse battery staple"


def test_create_and_authenticate(session: Session) -> None:
    user = users.create_user(
        session, email=" Alice@Example.COM ", password=PASSWORD, role="reviewer", created_by="root"
    )
    session.commit()
    assert user.email == "alice@example.com"
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash
    found = users.authenticate_user(session, email="ALICE@example.com", password=PASSWORD)
    assert found is not None and found.id == user.id and found.last_login_at is not None
    assert users.authenticate_user(session, email="alice@example.com", password=PASSWORD + "!") is None
    assert users.authenticate_user(session, email="nobody@example.com", password=PASSWORD) is None
    assert users.authenticate_user(session, email="not an address", password=PASSWORD) is None
    assert audit.list_events(session, action="user.create").items[0].detail == {
        "email": "alice@example.com",
        "role": "reviewer",
    }


def test_a_disabled_account_cannot_log_in(session: Session) -> None:
    user = users.create_user(session, email="a@example.com", password=PASSWORD, role="viewer", created_by="root")
    assert user.id is not None
    users.set_disabled(session, user.id, disabled=True, actor="root")
    assert users.authenticate_user(session, email="a@example.com", password=PASSWORD) is None
    users.set_disabled(session, user.id, disabled=False, actor="root")
    assert users.authenticate_user(session, email="a@example.com", password=PASSWORD) is not None
    actions = [e.action for e in audit.list_events(session, object_type="user").items]
    assert actions == ["user.enable", "user.disable", "user.create"]


def test_password_and_role_changes_are_audited_without_the_password(session: Session) -> None:
    user = users.create_user(session, email="a@example.com", password=PASSWORD, role="viewer", created_by="root")
    assert user.id is not None
    users.set_password(session, user.id, password="another long passphrase", actor="a@example.com")
    users.set_role(session, user.id, role="admin", actor="root")
    session.commit()
    assert users.authenticate_user(session, email="a@example.com", password="another long passphrase") is not None
    role_event, password_event = audit.list_events(session, object_type="user", per_page=2).items
    assert role_event.detail == {"before": "viewer", "after": "admin"}
    assert password_event.action == "user.password" and password_event.detail is None


@pytest.mark.parametrize(
    ("email", "password", "role", "message"),
    [
        ("no-at-sign", PASSWORD, "viewer", "not an e-mail"),
        ("a@example.com", "short", "viewer", "12 to 1024"),
        ("a@example.com", PASSWORD, "owner", "unknown role"),
    ],
)
def test_create_user_validates(session: Session, email: str, password: str, role: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        users.create_user(session, email=email, password=password, role=role, created_by="root")


def test_e_mail_addresses_are_unique(session: Session) -> None:
    users.create_user(session, email="a@example.com", password=PASSWORD, role="viewer", created_by="root")
    with pytest.raises(UsageError, match="exists already"):
        users.create_user(session, email="A@example.com", password=PASSWORD, role="viewer", created_by="root")
    assert users.get_user_by_email(session, "A@EXAMPLE.com") is not None
    assert [u.email for u in users.list_users(session)] == ["a@example.com"]


def test_password_role_and_disable_end_every_session_and_logout_can_too(session: Session) -> None:
    user = users.create_user(session, email="a@example.com", password=PASSWORD, role="viewer", created_by="root")
    assert user.id is not None and user.session_generation == 0
    generations = []
    for change in (
        lambda: users.set_password(session, user.id, password="another long passphrase", actor="root"),
        lambda: users.set_role(session, user.id, role="admin", actor="root"),
        lambda: users.set_disabled(session, user.id, disabled=True, actor="root"),
        lambda: users.end_sessions(session, user.id),
    ):
        change()
        session.commit()
        generations.append(users.get_user(session, user.id).session_generation)  # type: ignore[union-attr]
    assert generations == [1, 2, 3, 4]


def test_changes_that_grant_nothing_new_keep_the_sessions(session: Session) -> None:
    user = users.create_user(session, email="a@example.com", password=PASSWORD, role="viewer", created_by="root")
    assert user.id is not None
    users.set_role(session, user.id, role="viewer", actor="root")
    users.set_disabled(session, user.id, disabled=False, actor="root")
    session.commit()
    assert users.get_user(session, user.id).session_generation == 0  # type: ignore[union-attr]


def test_ending_sessions_counts_in_the_database_not_from_a_stale_copy(engine: Any) -> None:
    from sqlmodel import Session as NewSession

    with NewSession(engine, expire_on_commit=False) as first:
        user = users.create_user(first, email="a@example.com", password=PASSWORD, role="viewer", created_by="root")
        first.commit()
        assert user.id is not None
        with NewSession(engine) as second:  # another web process logs the account out meanwhile
            users.end_sessions(second, user.id)
            second.commit()
        users.end_sessions(first, user.id)  # the first still holds generation 0 in memory
        first.commit()
        assert user.session_generation == 2
