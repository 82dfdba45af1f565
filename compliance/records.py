"""Small value classes for the start-up path.

``compliance inspect`` and ``compliance check`` on a local directory are started thousands of
times by CI jobs. The standard library's ``dataclasses`` costs about 7 ms to import on the
reference machine (it pulls in ``inspect``, ``ast``, ``dis`` and ``tokenize``) and another
0.2-0.5 ms per decorated class for the code it generates and compiles at import time. The
classes that every local inspection touches therefore subclass :class:`Record` instead: each
lists its fields in ``__slots__`` and writes its own ``__init__`` (compiled once into the
bytecode cache); ``Record`` adds field-wise equality, a readable ``repr`` and ``replace``.
Classes off that path keep using dataclasses.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Self


class Record:
    """Field-wise equality, repr and copy-with-changes for a class whose fields are its slots."""

    __slots__: tuple[str, ...] = ()

    def values(self) -> tuple[Any, ...]:
        """The field values, in declaration order."""
        return tuple(getattr(self, name) for name in self.__slots__)

    def as_dict(self) -> dict[str, Any]:
        """Field name to value (shallow)."""
        return {name: getattr(self, name) for name in self.__slots__}

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed; an unknown field name is a TypeError."""
        unknown = set(changes) - set(self.__slots__)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(unknown))}")
        return type(self)(**{**self.as_dict(), **changes})

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.values() == other.values()

    __hash__ = None  # type: ignore[assignment]  # mutable by default, like a dataclass with eq

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({body})"


class FrozenRecord(Record):
    """A :class:`Record` treated as immutable: hashable by its field values.

    Immutability is by convention (no setter is enforced at run time, which would slow every
    construction); nothing in the code base assigns to a frozen record's fields.
    """

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash((self.__class__, self.values()))
