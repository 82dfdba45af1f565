"""Bounded memos for what rule evaluation words and works out again and again from a rule alone."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

V = TypeVar("V")

LIMIT = 4096  # entries per memo: a process that loads many rule books starts afresh past this


def remembered(memo: dict[Hashable, V], key: Hashable, make: Callable[[], V]) -> V:
    """``memo[key]``, made by ``make()`` the first time; a full memo is emptied first, so it stays
    bounded. A key that cannot be hashed (an entry not made by the compiler) is made every time."""
    try:
        return memo[key]
    except KeyError:
        pass
    except TypeError:
        return make()
    if len(memo) >= LIMIT:
        memo.clear()
    value = memo[key] = make()
    return value
