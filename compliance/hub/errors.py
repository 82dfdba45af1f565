"""Every hub failure, translated into the project's errors.

``huggingface_hub`` raises its own exceptions (mapped by the client from the ``X-Error-Code``
header), plus those of its HTTP stack (``requests`` in 0.x, ``httpx`` in 1.x, ``httpx2`` in
2.x), plus whatever ``json`` raises when the hub answers HTML. :func:`translate` maps them
all; :func:`translate_errors` is the context manager every hub call runs in.

Transient failures (429, 5xx, timeouts, refused connections) become :class:`RateLimited` or
:class:`HubUnavailable`, the two kinds the client retries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from compliance.errors import AccessDenied, ComplianceError, GatedModel, HubError, ModelNotFound, RateLimited

# Never wait longer than this on a server's advice, whatever it says.
MAX_RETRY_AFTER = 3600.0
_RATELIMIT_T = re.compile(r"(?:^|[;,\s])t=([0-9]+(?:\.[0-9]+)?)")


class HubUnavailable(HubError):
    """A transient failure: 5xx, timeout or unreachable hub. Worth retrying."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: str | None) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class EntryMissing(ModelNotFound):
    """A file is not in the repo at that revision: the caller treats it as absent."""


class RepositoryHidden(ModelNotFound):
    """The hub shows no such repository to this caller: it does not exist, or it is private to others."""


class ForeignHostRefused(HubError):
    """A request (usually a redirect) would have gone to a host other than the configured hub."""


def is_transient(exc: BaseException) -> bool:
    """Whether a translated error is worth retrying."""
    return isinstance(exc, RateLimited | HubUnavailable)


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The wait a 429/503 answer advises: ``Retry-After`` seconds, else the ``RateLimit`` header's ``t=``.

    HTTP-date forms of ``Retry-After`` are ignored (the hub sends seconds). The result is
    clamped to ``[0, MAX_RETRY_AFTER]``; None when the answer gives no advice.
    """
    if not headers:
        return None
    raw = _header(headers, "Retry-After")
    if raw is not None:
        try:
            return min(max(float(raw.strip()), 0.0), MAX_RETRY_AFTER)
        except ValueError:
            pass  # an HTTP-date or garbage: fall back to the RateLimit header below
    raw = _header(headers, "RateLimit")
    if raw is not None:
        match = _RATELIMIT_T.search(raw)
        if match:
            return min(float(match.group(1)), MAX_RETRY_AFTER)
    return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    getter = getattr(headers, "get", None)
    value = getter(name) if getter is not None else None
    if value is None:  # a plain dict: look the name up case-insensitively
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return None if value is None else str(value)


def _network_error_types() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(timeout types, other transport types) of whichever HTTP stack huggingface_hub uses."""
    timeouts: list[type[BaseException]] = [TimeoutError]
    transport: list[type[BaseException]] = [ConnectionError]
    try:
        from huggingface_hub.utils import httpx  # 1.30+: httpx or httpx2, whichever the client uses

        timeouts.append(httpx.TimeoutException)
        transport.append(httpx.TransportError)
    except ImportError:
        pass  # an older huggingface_hub: its requests types are added below
    try:  # 0.x uses requests; harmless to check when it happens to be installed
        import requests

        timeouts.append(requests.exceptions.Timeout)
        transport.append(requests.exceptions.ConnectionError)
    except ImportError:
        pass  # not installed: nothing of it can be raised
    return tuple(timeouts), tuple(transport)


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _headers_of(exc: BaseException) -> Mapping[str, str] | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return headers if headers is not None else None


def _server_message(exc: BaseException) -> str:
    message = getattr(exc, "server_message", None)
    if isinstance(message, str) and message.strip():
        return " ".join(message.split())[:200]
    return ""


def translate(
    exc: BaseException,
    *,
    repo_id: str,
    revision: str | None = None,
    endpoint: str | None = None,
    token_given: bool = False,
    parsing: bool = False,
) -> ComplianceError | None:
    """The project error for a hub failure, or None when ``exc`` is not a hub failure.

    ``parsing`` says the call also parsed a model description, so a ``KeyError`` or
    ``TypeError`` means the hub's JSON had the wrong shape rather than a bug here.
    """
    if isinstance(exc, ComplianceError):
        return exc
    from huggingface_hub import errors as hf

    where = endpoint or "the hub"
    at = f"@{revision}" if revision else ""
    if isinstance(exc, hf.GatedRepoError):  # before RepositoryNotFoundError: it is a subclass
        if token_given:
            text = "is gated and the token given has not been granted access"
        else:
            text = "is gated: request access on the hub, then pass an approved token (--token or HF_TOKEN)"
        return GatedModel(f"{repo_id} {text}", source=where)
    if isinstance(exc, hf.RevisionNotFoundError):
        return ModelNotFound(f"revision {revision!r} of {repo_id} not found", source=where)
    if isinstance(exc, hf.DisabledRepoError):
        return ModelNotFound(f"{repo_id} has been disabled on the hub", source=where)
    if isinstance(exc, hf.RepositoryNotFoundError):
        hint = "" if token_given else " (if it is private, pass a token with --token or HF_TOKEN)"
        return RepositoryHidden(f"model {repo_id}{at} not found{hint}", source=where)
    if isinstance(exc, hf.EntryNotFoundError):
        return EntryMissing(f"file not found in {repo_id}{at}", source=where)
    if isinstance(exc, hf.OfflineModeIsEnabled):
        return ModelNotFound(f"{repo_id}: the hub client is in offline mode (HF_HUB_OFFLINE)", source=where)
    if isinstance(exc, hf.HfHubHTTPError):
        return _from_status(exc, repo_id=repo_id, at=at, where=where, token_given=token_given)
    timeouts, transport = _network_error_types()
    if isinstance(exc, timeouts):
        return HubUnavailable(f"the hub did not answer in time ({type(exc).__name__})", source=where)
    if isinstance(exc, transport):
        detail = " ".join(str(exc).split())[:160] or type(exc).__name__
        return HubUnavailable(f"cannot reach the hub: {detail}", source=where)
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return HubError(f"the hub answered something that is not JSON for {repo_id}{at}", source=where)
    if type(exc).__name__ == "DecodingError":  # httpx/httpx2: a body that does not decode
        return HubError(f"the hub answered something that is not JSON for {repo_id}{at}", source=where)
    if parsing and isinstance(exc, KeyError | TypeError | AttributeError | ValueError):
        return HubError(f"the hub's answer for {repo_id}{at} is not a model description", source=where)
    return None


def _from_status(exc: BaseException, *, repo_id: str, at: str, where: str, token_given: bool) -> ComplianceError:
    status = _status(exc)
    server = _server_message(exc)
    suffix = f": {server}" if server else ""
    if status == 429:
        wait = retry_after_seconds(_headers_of(exc))
        advice = f" (retry after {wait:g} s)" if wait is not None else ""
        return RateLimited(f"the hub is rate-limiting requests{advice}", retry_after=wait, source=where)
    if (status is not None and status >= 500) or status in (408, None):
        return HubUnavailable(
            f"the hub failed with HTTP {status or 'error'} for {repo_id}{at}{suffix}",
            retry_after=retry_after_seconds(_headers_of(exc)),
            source=where,
        )
    if status in (401, 403):
        hint = "the token was refused" if token_given else "it needs a token (--token or HF_TOKEN)"
        return AccessDenied(f"{repo_id}{at} is not accessible: {hint}", source=where)
    if status == 404:
        return ModelNotFound(f"{repo_id}{at} not found{suffix}", source=where)
    return HubError(f"the hub refused the request for {repo_id}{at} with HTTP {status}{suffix}", source=where)


@contextmanager
def translate_errors(
    repo_id: str,
    revision: str | None = None,
    *,
    endpoint: str | None = None,
    token_given: bool = False,
    parsing: bool = False,
) -> Iterator[None]:
    """Run a hub call, re-raising any hub failure as the project's error (see :func:`translate`)."""
    try:
        yield
    except Exception as exc:
        translated = translate(
            exc, repo_id=repo_id, revision=revision, endpoint=endpoint, token_given=token_given, parsing=parsing
        )
        if translated is None or translated is exc:
            raise
        raise translated from exc


def describe(exc: BaseException) -> str:
    """A one-line description of a translated error, for warnings and lineage notes."""
    if isinstance(exc, ComplianceError):
        return exc.message
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def as_mapping(value: Any) -> dict[str, Any] | None:
    """``value`` if it is a mapping with string keys (hub JSON is hostile input), else None."""
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return value
    return None
