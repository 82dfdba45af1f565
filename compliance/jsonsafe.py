"""JSON from untrusted bytes (``config.json``, a safetensors index), with every failure our own error.

The standard decoder raises ``RecursionError`` on input nested deeper than the interpreter's
recursion limit (``[[[[...`` 100,000 levels deep) and a bare ``ValueError`` on an integer of
more digits than Python converts; both are malformed input, not a bug, so they become the same
:class:`ModelFileError` (exit 4) as any other JSON defect.
"""

from __future__ import annotations

import json

from compliance.errors import InputError, ModelFileError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is kept off the start-up path of a local check
    from typing import Any


def load_json(data: bytes | str, *, source: str, error: type[InputError] = ModelFileError) -> Any:
    """Decode JSON ``data`` (UTF-8 when bytes); ``error`` naming ``source`` when it is not JSON,
    not UTF-8, or nested too deeply to decode."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise error(f"not valid JSON (not UTF-8 at byte {exc.start})", source=source) from None
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON ({exc})", source=source) from None
    except ValueError as exc:  # an integer of more digits than Python converts (4,300 by default)
        raise error(f"not valid JSON here ({str(exc)[:120]})", source=source) from None
    except RecursionError:
        raise error("JSON nested too deeply to decode", source=source) from None
