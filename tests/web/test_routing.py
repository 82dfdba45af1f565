"""An integer in a path is a stored id: outside 1..2^63-1 it is a 404 on every route, never a 500 or a 405.

The routes are read from the app's URL map, so a route added later is covered without a change here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from web.routing import MAX_STORED_ID, digits_up_to

INT_ARG = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
OTHER_ARG = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?\w+>")
# Past the 64-bit range (the 500s of issue 12), zero, a number Python cannot even parse as int
# by default, leading zeros, and digits of another script that Werkzeug's \d took.
OUT_OF_RANGE = [str(MAX_STORED_ID + 1), str(2**64), "1" + "0" * 30, "9" * 5000, "0", "007", "\u0663"]


def int_routes(app: Any) -> list[tuple[str, str]]:
    """(rule, method) for every route with an integer in its path."""
    return sorted(
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if INT_ARG.search(rule.rule)
        for method in rule.methods - {"OPTIONS"}
    )


def path_with(rule: str, value: str) -> str:
    """The rule's path with ``value`` for every integer and ``x`` for any other argument."""
    return OTHER_ARG.sub("x", INT_ARG.sub(value, rule))


@given(limit=st.integers(min_value=1, max_value=10**25), number=st.integers(min_value=0, max_value=10**26))
def test_digits_up_to_matches_the_numbers_from_1_to_the_limit(limit: int, number: int) -> None:
    pattern = re.compile(digits_up_to(limit))
    for candidate in (number, limit, limit + 1, limit - 1):
        assert bool(pattern.fullmatch(str(candidate))) == (1 <= candidate <= limit), (limit, candidate)


def test_the_routes_with_ids_are_found(app: Any) -> None:
    rules = {rule for rule, _ in int_routes(app)}
    # The ones issue 12 names, API and dashboard: the walk below would cover none if this broke.
    assert {"/api/v1/scans/<int:scan_id>", "/api/v1/tokens/<int:token_id>", "/scans/<int:scan_id>"} <= rules


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_id_outside_the_stored_range_is_a_404_on_every_route(app: Any, tokens: dict[str, str], value: str) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    answers = {(rule, method): client.open(path_with(rule, value), method=method, headers=headers).status_code
               for rule, method in int_routes(app)}  # fmt: skip
    assert {key: status for key, status in answers.items() if status != 404} == {}


def test_the_largest_stored_id_reaches_the_views(app: Any, tokens: dict[str, str]) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    for rule, method in int_routes(app):
        path = path_with(rule, str(MAX_STORED_ID))
        status = client.open(path, method=method, headers=headers, json={}).status_code
        assert status < 500, (method, path, status)
        if rule.startswith("/api/") and method == "GET":
            assert status == 404, (method, path, status)  # looked up, and not there
