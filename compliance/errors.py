"""One error hierarchy for the whole project.

Every error a user can cause or meet carries the exit code the CLI uses for it, so the CLI,
the API and the workers translate errors the same way. Library errors (YAML, JSON, HTTP,
huggingface_hub) are translated into these at the boundary where they are raised.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented exit codes of ``compliance check`` and friends."""

    PASS = 0
    FAIL = 1  # a triggered finding at or above --fail-on
    INCONCLUSIVE = 2  # uncertain findings, unless allowed
    NOT_FOUND = 3  # model not found or not accessible
    INPUT = 4  # usage, input or rule-set error


class ComplianceError(Exception):
    """Base of every error the project raises on purpose.

    ``kind`` names the failure for machines (a stored check that failed keeps it, the API and
    the dashboard show it): ``input``, ``not_found``, ``private``, ``gated``, ``unreachable``,
    ``service``. Two more kinds are stored without an error: ``lost`` (the worker running the
    check died too often, see :mod:`compliance.services.runners`) and ``internal`` (a bug).
    """

    exit_code: ExitCode = ExitCode.INPUT
    kind: str = "error"

    def __init__(self, message: str, *, source: str | None = None, where: str | None = None) -> None:
        self.message = _printable(message)
        self.source = None if source is None else _printable(source)
        self.where = None if where is None else _printable(where)
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message on one line, prefixed by the file and place it concerns."""
        prefix = ""
        if self.source:
            prefix = self.source
            if self.where:
                prefix += f": {self.where}"
            prefix += ": "
        return prefix + " ".join(self.message.split())


def _printable(text: str) -> str:
    """``text`` with any lone surrogate written as ``\\udc80``.

    Input quoted in a message may hold one (a file name or argument the OS could not decode, a
    JSON escape), and no UTF-8 output can: not a terminal, a JSON answer or a database row.
    """
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class InputError(ComplianceError):
    """Bad input: a path, a file, an option, a declared fact."""

    kind = "input"


class ModelFileError(InputError):
    """A model artefact (safetensors header, config.json, model card) is malformed."""


class UsageError(InputError):
    """An option or argument is malformed."""


class Conflict(UsageError):
    """The request is well formed but the object's state refuses it (already revoked, has history)."""


class RuleSetError(InputError):
    """A rule set, waiver file or catalog failed to load or validate."""


class ModelNotFound(ComplianceError):
    """The model (or the revision) does not exist or is not accessible."""

    exit_code = ExitCode.NOT_FOUND
    kind = "not_found"


class AccessDenied(ModelNotFound):
    """The model exists but is gated or private for this token."""

    kind = "private"


class GatedModel(AccessDenied):
    """The model is gated and the token (if any) has not been granted access."""

    kind = "gated"


class HubError(ComplianceError):
    """The hub failed in a way that is not the caller's fault (5xx, timeout, garbage)."""

    exit_code = ExitCode.NOT_FOUND
    kind = "unreachable"


class RateLimited(HubError):
    """The hub answered 429; ``retry_after`` is the advised wait in seconds, when given."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: str | None) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ServiceError(ComplianceError):
    """A server-side component (database, broker, remote compliance server) failed."""

    exit_code = ExitCode.INCONCLUSIVE
    kind = "service"
