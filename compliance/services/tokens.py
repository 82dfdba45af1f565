"""API tokens: a role, a name, shown once, stored as a hash, revocable.

A token is ``cmp_`` followed by 43 URL-safe characters (32 random bytes). Only its sha256 is
stored. A fast hash is right here, unlike for passwords: a slow hash protects secrets people
choose, which are guessable; a 256-bit random token cannot be guessed however fast the hash,
and a slow hash would cost every API request tens of milliseconds. The look-up is by the hash
(an index seek that reveals nothing useful about the token), then the stored and computed
hashes are compared in constant time.

``last_used_at`` is written at most once per :data:`LAST_USED_RESOLUTION`, so a busy client
does not turn every read request into a write.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance.errors import Conflict, UsageError
from compliance.services import audit
from compliance.services.roles import parse_role
from compliance.storage.tables import ApiTokenRow, table_of, utcnow

TOKEN_PREFIX = "cmp_"
LAST_USED_RESOLUTION = timedelta(minutes=1)
_MAX_TOKEN_CHARS = 200


def hash_token(plaintext: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(session: Session, *, name: str, role: str, created_by: str) -> tuple[ApiTokenRow, str]:
    """Create a token (audited); returns the row and the plaintext, which is never stored or shown again."""
    if not name or not name.strip() or len(name) > 200:
        raise UsageError("a token needs a name of at most 200 characters")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiTokenRow(
        name=name.strip(),
        role=parse_role(role).value,
        token_hash=hash_token(plaintext),
        prefix=plaintext[: len(TOKEN_PREFIX) + 6],
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor=created_by, action="token.create", object_type="token", object_id=_id(row),
                 detail={"name": row.name, "role": row.role, "prefix": row.prefix})  # fmt: skip
    return row, plaintext


@dataclass(frozen=True, slots=True)
class TokenIdentity:
    """Whom a live token belongs to. ``touched``: this look-up wrote ``last_used_at`` (commit it)."""

    id: int
    name: str
    role: str
    touched: bool = False


def authenticate_token(session: Session, plaintext: str, *, now: datetime | None = None) -> TokenIdentity | None:
    """Whom the live token ``plaintext`` belongs to, or None. The caller commits when ``touched``."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > _MAX_TOKEN_CHARS:
        return None
    digest = hash_token(plaintext)
    # Every API request runs this: a Core SELECT of six columns costs a third of loading the row
    # through the ORM, and the once-a-minute UPDATE needs no object either.
    table = table_of(ApiTokenRow)
    connection = session.connection()
    columns = (table.c.id, table.c.name, table.c.role, table.c.token_hash, table.c.revoked_at, table.c.last_used_at)
    found = connection.execute(sa.select(*columns).where(table.c.token_hash == digest)).first()
    if found is None or not hmac.compare_digest(found.token_hash, digest) or found.revoked_at is not None:
        return None
    now = now or utcnow()
    touched = found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION
    if touched:
        connection.execute(table.update().where(table.c.id == found.id).values(last_used_at=now))
    return TokenIdentity(found.id, found.name, found.role, touched)


def revoke_token(session: Session, token_id: int, *, actor: str) -> ApiTokenRow:
    """Revoke a token now (audited); it stops authenticating at once."""
    row = session.get(ApiTokenRow, token_id)
    if row is None:
        raise UsageError(f"no token {token_id}")
    if row.revoked_at is not None:
        raise Conflict(f"token {token_id} is already revoked")
    row.revoked_at = utcnow()
    session.add(row)
    audit.record(session, actor=actor, action="token.revoke", object_type="token", object_id=token_id,
                 detail={"name": row.name, "prefix": row.prefix})  # fmt: skip
    return row


def list_tokens(session: Session, *, include_revoked: bool = False) -> list[ApiTokenRow]:
    """Tokens in creation order (hashes included; never send them to a client)."""
    query = select(ApiTokenRow)
    if not include_revoked:
        query = query.where(col(ApiTokenRow.revoked_at).is_(None))
    return list(session.exec(query.order_by(col(ApiTokenRow.id))).all())


def _id(row: ApiTokenRow) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id
