"""One page of a listing, and the arithmetic of pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from compliance.errors import UsageError

T = TypeVar("T")
MAX_PER_PAGE = 500


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """``items`` of page ``page`` (1-based) of ``per_page``; ``total`` matches the whole query."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the query has (at least 1)."""
        return max(1, -(-self.total // self.per_page))


def page_bounds(page: int, per_page: int) -> tuple[int, int]:
    """Validated ``(offset, limit)`` for a 1-based page."""
    if page < 1:
        raise UsageError(f"page must be 1 or more, got {page}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise UsageError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
    return (page - 1) * per_page, per_page
