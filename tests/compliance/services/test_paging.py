"""Page arithmetic."""

from __future__ import annotations

import pytest

from compliance.errors import UsageError
from compliance.services.paging import Page, page_bounds


def test_page_bounds_and_page_count() -> None:
    assert page_bounds(1, 50) == (0, 50)
    assert page_bounds(3, 20) == (40, 20)
    assert Page([], 0, 1, 50).pages == 1
    assert Page([], 101, 1, 50).pages == 3


@pytest.mark.parametrize(("page", "per_page"), [(0, 10), (1, 0), (1, 501)])
def test_page_bounds_refuses_silly_requests(page: int, per_page: int) -> None:
    with pytest.raises(UsageError):
        page_bounds(page, per_page)
