"""Dashboard accounts: e-mail, password hash, role.

Passwords are hashed with ``werkzeug.security`` (scrypt with a random salt, the library's
default), which the web stack already depends on and which is maintained with it. Failed
log-ins take the same time whether or not the e-mail exists (a dummy hash is checked), so the
log-in form does not reveal which addresses have accounts.

Dashboard sessions are revocable: each carries the account's ``session_generation`` from
log-in, and :func:`end_sessions` moves it on. A new password, a new role and disabling the
account end every session of the account here, in the service, so each way of making those
changes (CLI, dashboard, API) does it.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select, update

from compliance.errors import UsageError
from compliance.services import audit
from compliance.services.roles import parse_role
from compliance.storage.tables import UserRow, utcnow

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_dummy_hash: list[str] = []


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (constant-time comparison)."""
    from werkzeug.security import check_password_hash

    return check_password_hash(password_hash, password)


def normalise_email(email: str) -> str:
    """The stored form of an address (trimmed, lower-case); UsageError if it is not one."""
    text = (email or "").strip().lower()
    if len(text) > 254 or not _EMAIL.match(text):
        raise UsageError(f"{email!r} is not an e-mail address")
    return text


def check_password_policy(password: str) -> None:
    """UsageError unless ``password`` is between the length bounds."""
    if not isinstance(password, str) or not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise UsageError(f"a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")


def create_user(session: Session, *, email: str, password: str, role: str, created_by: str) -> UserRow:
    """Create an account (audited)."""
    address = normalise_email(email)
    check_password_policy(password)
    if session.exec(select(UserRow).where(col(UserRow.email) == address)).first() is not None:
        raise UsageError(f"an account for {address} exists already")
    row = UserRow(
        email=address, password_hash=hash_password(password), role=parse_role(role).value, created_by=created_by
    )
    session.add(row)
    session.flush()
    audit.record(session, actor=created_by, action="user.create", object_type="user", object_id=_id(row),
                 detail={"email": address, "role": row.role})  # fmt: skip
    return row


def authenticate_user(session: Session, *, email: str, password: str, now: datetime | None = None) -> UserRow | None:
    """The enabled account with this e-mail and password, or None; records the log-in time.

    The caller commits (``last_login_at``).
    """
    try:
        address = normalise_email(email)
    except UsageError:
        address = ""
    row = session.exec(select(UserRow).where(col(UserRow.email) == address)).first() if address else None
    if row is None:
        verify_password(_dummy(), password or "")
        return None
    if not verify_password(row.password_hash, password or "") or row.disabled:
        return None
    row.last_login_at = now or utcnow()
    session.add(row)
    return row


def set_password(session: Session, user_id: int, *, password: str, actor: str) -> UserRow:
    """Replace an account's password (audited; the password itself is never logged)."""
    check_password_policy(password)
    row = _get(session, user_id)
    row.password_hash = hash_password(password)
    session.add(row)
    end_sessions(session, user_id)
    audit.record(session, actor=actor, action="user.password", object_type="user", object_id=user_id)
    return row


def set_role(session: Session, user_id: int, *, role: str, actor: str) -> UserRow:
    """Change an account's role (audited)."""
    row = _get(session, user_id)
    before, row.role = row.role, parse_role(role).value
    session.add(row)
    if row.role != before:
        end_sessions(session, user_id)
    audit.record(session, actor=actor, action="user.role", object_type="user", object_id=user_id,
                 detail={"before": before, "after": row.role})  # fmt: skip
    return row


def set_disabled(session: Session, user_id: int, *, disabled: bool, actor: str) -> UserRow:
    """Disable or re-enable an account (audited)."""
    row = _get(session, user_id)
    row.disabled = disabled
    session.add(row)
    if disabled:
        # Ended now, not only refused while disabled: re-enabling must not revive old sessions.
        end_sessions(session, user_id)
    action = "user.disable" if disabled else "user.enable"
    audit.record(session, actor=actor, action=action, object_type="user", object_id=user_id)
    return row


def end_sessions(session: Session, user_id: int) -> None:
    """End every dashboard session of the account (log-out does this too). The caller commits.

    One ``UPDATE ... SET session_generation = session_generation + 1``: a read-modify-write
    from a row loaded earlier in the request could write back a number another process had
    already handed to a newer session, which would then survive.
    """
    statement = (
        update(UserRow)
        .where(col(UserRow.id) == user_id)
        .values(session_generation=col(UserRow.session_generation) + 1)
        .execution_options(synchronize_session=False)  # the ORM would add 1 to its own copy
    )
    session.exec(statement)
    loaded = session.identity_map.get(identity_key(UserRow, user_id))
    if loaded is not None:
        session.expire(loaded, ["session_generation"])  # read back from the database when next used


def get_user(session: Session, user_id: int) -> UserRow | None:
    """One account by id."""
    return session.get(UserRow, user_id)


def get_user_by_email(session: Session, email: str) -> UserRow | None:
    """One account by e-mail (any case)."""
    return session.exec(select(UserRow).where(col(UserRow.email) == normalise_email(email))).first()


def list_users(session: Session) -> list[UserRow]:
    """Accounts by e-mail."""
    return list(session.exec(select(UserRow).order_by(col(UserRow.email))).all())


def _dummy() -> str:
    if not _dummy_hash:
        _dummy_hash.append(hash_password("not a real password, only here to spend the same time"))
    return _dummy_hash[0]


def _get(session: Session, user_id: int) -> UserRow:
    row = session.get(UserRow, user_id)
    if row is None:
        raise UsageError(f"no user {user_id}")
    return row


def _id(row: UserRow) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id
