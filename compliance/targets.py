"""What the user asked to inspect: a local directory or a model on a hub.

``PATH_OR_ID`` is a directory when one exists at that path (or it is written as a path);
otherwise it must be a hub model ID ``ORG/NAME`` with an optional ``@REVISION``. IDs are
checked strictly here, before any request is made, so that nothing hostile reaches a URL.
"""

from __future__ import annotations

import re
from pathlib import Path

from compliance.errors import UsageError
from compliance.records import FrozenRecord

MAX_ID_LENGTH = 96  # per part, as on the Hugging Face Hub
MAX_REVISION_LENGTH = 255
_PART = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
# Pull-request refs are the one hub revision form that contains slashes.
_PR_REF = re.compile(r"^refs/pr/[0-9]{1,9}$")


class Target(FrozenRecord):
    """A parsed target: exactly one of ``path`` or ``model_id`` is set."""

    __slots__ = ("path", "model_id", "revision")

    def __init__(self, path: Path | None = None, model_id: str | None = None, revision: str | None = None) -> None:
        self.path = path
        self.model_id = model_id
        self.revision = revision

    @property
    def is_local(self) -> bool:
        """True for a local directory."""
        return self.path is not None


def parse_target(text: str) -> Target:
    """Decide whether ``text`` is a local directory or a hub model ID, and validate it."""
    if not text or not text.strip():
        raise UsageError("empty model ID or path")
    try:
        candidate = Path(text).expanduser()
    except (RuntimeError, ValueError):  # "~name/..." of no known user, or with a NUL: a path all the same
        candidate = Path(text)
    try:
        exists = candidate.exists()
    except OSError:  # e.g. a name longer than the file system allows: certainly no directory
        exists = False
    if exists or text.startswith(("/", "./", "../", "~", ".\\")) or text in (".", ".."):
        return Target(path=candidate)
    model_id, revision = split_revision(text)
    try:
        checked = validate_model_id(model_id)
    except UsageError as exc:
        # Command-line wording: the argument could also have been a directory or a hub URL.
        if "://" in model_id:
            raise UsageError(f"{exc.message} (and --endpoint for the hub)") from None
        if model_id.count("/") != 1:
            raise UsageError(f"{exc.message}, and no such directory exists") from None
        raise
    return Target(model_id=checked, revision=validate_revision(revision))


def split_revision(text: str) -> tuple[str, str | None]:
    """Split ``ORG/NAME@REV`` into its parts."""
    if "@" in text:
        model_id, _, revision = text.partition("@")
        return model_id, revision
    return text, None


def validate_model_id(model_id: str) -> str:
    """Return ``model_id`` if it is a well-formed ``ORG/NAME``; raise UsageError otherwise.

    The messages speak of model IDs only (the service and the API use them too); the CLI's
    :func:`parse_target` adds that no directory of that name exists either.
    """
    shown = model_id if len(model_id) <= 80 else model_id[:77] + "..."
    if not model_id.isascii():  # ASCII text is its own NFKC form: no look-alike can pass
        raise UsageError(f"model ID {shown!r} has non-ASCII characters")
    if "://" in model_id:
        raise UsageError(f"{shown!r} is a URL; give the model ID as ORG/NAME")
    parts = model_id.split("/")
    if len(parts) != 2:
        raise UsageError(f"model ID {shown!r} is not of the form ORG/NAME")
    for part in parts:
        if len(part) > MAX_ID_LENGTH or not _PART.fullmatch(part) or ".." in part or "--" in part:
            raise UsageError(f"model ID {shown!r} is not a valid ORG/NAME")
    return model_id


def validate_revision(revision: str | None) -> str | None:
    """Return ``revision`` if it is a safe branch, tag or commit name; raise UsageError otherwise."""
    if revision is None or _PR_REF.fullmatch(revision):
        return revision
    if (
        not revision
        or len(revision) > MAX_REVISION_LENGTH
        or not revision.isascii()
        or not _REVISION.fullmatch(revision)
        or ".." in revision
    ):
        shown = revision if len(revision) <= 60 else revision[:57] + "..."
        raise UsageError(f"revision {shown!r} is not a valid branch, tag or commit")
    return revision
