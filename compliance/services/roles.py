"""Roles, weakest first: viewer < submitter < reviewer < admin; each role includes those below.

* viewer: read checks, findings, scans and the audit log.
* submitter: also submit checks and start scans.
* reviewer: also create and revoke waivers.
* admin: also manage tokens, users, targets and schedules.
"""

from __future__ import annotations

from compliance.errors import UsageError
from compliance.storage.tables import Role

ROLE_ORDER: tuple[Role, ...] = (Role.VIEWER, Role.SUBMITTER, Role.REVIEWER, Role.ADMIN)


def parse_role(text: str) -> Role:
    """The role named ``text``; UsageError for anything else."""
    try:
        return Role(text.strip().lower())
    except (ValueError, AttributeError):
        raise UsageError(f"unknown role {text!r}; choose from {', '.join(ROLE_ORDER)}") from None


def role_allows(role: str, needed: str) -> bool:
    """True when ``role`` is at least ``needed``. An unknown role allows nothing."""
    try:
        return ROLE_ORDER.index(Role(role)) >= ROLE_ORDER.index(Role(needed))
    except ValueError:
        return False
