r"""Which ``next`` targets the dashboard may redirect to after log-in: paths on this site only.

The check models how a browser reads the ``Location`` header (the WHATWG URL standard), not
how Python's ``urllib`` does: a browser removes tab, CR and LF anywhere in a URL, strips
leading and trailing control characters and spaces, and reads a backslash as a slash. So
``/<tab>/evil.example`` and ``/\evil.example`` both become ``//evil.example``, a reference to
another host. A target is accepted only when, read that way, it starts with exactly one slash,
which makes it a path on the current origin whatever follows. Control characters of any kind
are refused outright (a newline would also make the header itself invalid).
"""

from __future__ import annotations

import unicodedata

MAX_TARGET_CHARS = 2048


def same_site_path(target: str | None) -> str | None:
    """``target`` if a browser would read it as a path on this site, else None."""
    if not target or len(target) > MAX_TARGET_CHARS:
        return None
    # Category C: controls (tab, CR, LF, NUL, DEL...), format characters (zero-width, bidi),
    # surrogates, private use and unassigned code points; none belongs in a path we link to.
    if any(unicodedata.category(char).startswith("C") for char in target):
        return None
    as_read = target.replace("\\", "/")
    if not as_read.startswith("/") or as_read.startswith("//"):
        return None
    return target
