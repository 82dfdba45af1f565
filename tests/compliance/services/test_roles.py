"""Roles: an ordered ladder."""

from __future__ import annotations

import pytest

from compliance.errors import UsageError
from compliance.services.roles import ROLE_ORDER, parse_role, role_allows


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        ("viewer", "viewer", True),
        ("viewer", "submitter", False),
        ("submitter", "viewer", True),
        ("reviewer", "submitter", True),
        ("reviewer", "admin", False),
        ("admin", "reviewer", True),
        ("root", "viewer", False),
        ("admin", "superuser", False),
    ],
)
def test_role_allows_follows_the_ladder(role: str, needed: str, allowed: bool) -> None:
    assert role_allows(role, needed) is allowed


def test_parse_role_accepts_any_case_and_rejects_unknown_roles() -> None:
    assert parse_role(" Admin ") == "admin"
    assert [r.value for r in ROLE_ORDER] == ["viewer", "submitter", "reviewer", "admin"]
    with pytest.raises(UsageError, match="choose from viewer, submitter, reviewer, admin"):
        parse_role("owner")
