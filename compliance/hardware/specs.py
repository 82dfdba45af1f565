"""Hardware specs as users type them: "H100", "H100x8", "h100 x 1024", "8x H100"."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from compliance.errors import UsageError
from compliance.hardware.accelerator import Accelerator

if TYPE_CHECKING:
    from compliance.hardware.catalog import Catalog

MAX_COUNT = 10_000_000  # more chips than any cluster built; beyond it a count is a typo
MAX_SPEC_CHARS = 200

_COUNT = r"[-+]?\d[\d,_]*"
_SPEC_NAME_FIRST = re.compile(rf"(?P<name>.+?)\s*[x×*]\s*(?P<count>{_COUNT})", re.IGNORECASE)
_SPEC_COUNT_FIRST = re.compile(rf"(?P<count>{_COUNT})\s*[x×*]\s*(?P<name>.+)", re.IGNORECASE)
_SPEC_BAD_COUNT = re.compile(r"(?P<name>.+?)\s*[x×*]\s*(?P<count>\S*)", re.IGNORECASE)


def parse_hardware_spec(spec: str, catalog: Catalog) -> tuple[Accelerator, int]:
    """Parse ``NAME``, ``NAMExCOUNT``, ``NAME x COUNT`` or ``COUNTxNAME`` ("H100", "H100x8",
    "h100 x 1024", "8x H100"). The count is between 1 and :data:`MAX_COUNT`; a malformed spec or
    an unknown name raises :class:`UsageError`."""
    text = (spec or "").strip()
    if not text:
        raise UsageError("hardware spec is empty; expected NAME or NAMExCOUNT, e.g. H100x8")
    if len(text) > MAX_SPEC_CHARS:
        raise UsageError(f"hardware spec longer than {MAX_SPEC_CHARS} characters")
    whole = catalog.lookup(text)
    if whole is not None:
        return whole, 1
    match = _SPEC_NAME_FIRST.fullmatch(text) or _SPEC_COUNT_FIRST.fullmatch(text)
    if match is None:
        bad = _SPEC_BAD_COUNT.fullmatch(text)
        if bad is not None and catalog.lookup(bad.group("name")) is not None:
            raise UsageError(
                f"malformed hardware count '{bad.group('count')}' in '{text}'; expected NAME or NAMExCOUNT, e.g. H100x8"
            )
        return catalog.get(text), 1
    count = int(match.group("count").replace(",", "").replace("_", ""))
    if not 1 <= count <= MAX_COUNT:
        raise UsageError(f"hardware count must be between 1 and {MAX_COUNT:,}, got {count} in '{text}'")
    return catalog.get(match.group("name")), count
