"""URL converters: an integer in a path is the id of a stored row.

Every ``<int:...>`` in this app names a row (a scan, a target, a token...), whose id is a
positive 64-bit integer in every supported database. :class:`StoredIdConverter` replaces
Flask's ``int`` converter so that a path with an id outside 1..2^63-1 matches no route and is
a 404, instead of reaching the database, which cannot bind such a number and fails (a 500).
The OpenAPI document states the same range (:func:`id_schema`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

MIN_STORED_ID = 1
MAX_STORED_ID = 2**63 - 1  # a signed 64-bit primary key: SQLite's INTEGER, PostgreSQL's BIGINT


def digits_up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 1..``limit``, without leading zeros."""
    text = str(limit)
    shorter = f"[1-9][0-9]{{0,{len(text) - 2}}}" if len(text) > 1 else ""
    same_length = []
    for i, digit in enumerate(text):
        low = "1" if i == 0 else "0"
        if int(digit) > int(low):
            rest = len(text) - i - 1
            same_length.append(f"{text[:i]}[{low}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    same_length.append(text)
    return "(?:" + "|".join(filter(None, [shorter, *same_length])) + ")"


class StoredIdConverter(IntegerConverter):
    """``int`` limited to the range of a stored id.

    The range is in the regular expression, not only in ``to_python``: Werkzeug compares the
    method before it converts, so a path that matched a rule of another method would be a 405
    (with a wrong ``Allow``) instead of a 404. ASCII digits only (Werkzeug's ``\\d`` also takes
    other scripts' digits), no leading zeros.
    """

    regex = digits_up_to(MAX_STORED_ID)

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", MIN_STORED_ID)
        kwargs.setdefault("max", MAX_STORED_ID)
        super().__init__(map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    """Make ``<int:...>`` a stored id in every route of ``app`` (call before adding routes)."""
    app.url_map.converters["int"] = StoredIdConverter


def id_schema() -> dict[str, Any]:
    """The JSON Schema of a stored id."""
    return {"type": "integer", "minimum": MIN_STORED_ID, "maximum": MAX_STORED_ID}
