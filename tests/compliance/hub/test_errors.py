"""Translation of hub failures into the project's errors, on real huggingface_hub exceptions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from huggingface_hub import errors as hf
from huggingface_hub.utils import httpx

from compliance.errors import AccessDenied, ExitCode, HubError, ModelNotFound, RateLimited
from compliance.hub.errors import (
    EntryMissing,
    HubUnavailable,
    RepositoryHidden,
    is_transient,
    retry_after_seconds,
    translate,
    translate_errors,
)

URL = "http://127.0.0.1:1/api/models/acme/model"


def response(status: int, headers: dict[str, str] | None = None) -> Any:
    return httpx.Response(status, headers=headers or {}, request=httpx.Request("GET", URL))


def http_error(cls: type[Exception], status: int, headers: dict[str, str] | None = None) -> Exception:
    return cls(f"{status} error", response=response(status, headers))  # type: ignore[call-arg]


def tr(exc: BaseException, **kw: Any) -> Any:
    return translate(exc, repo_id="acme/model", revision=kw.pop("revision", None), endpoint="http://hub", **kw)


def test_gated_is_access_denied_although_it_subclasses_repository_not_found() -> None:
    exc = http_error(hf.GatedRepoError, 401)
    assert isinstance(exc, hf.RepositoryNotFoundError)
    out = tr(exc)
    assert isinstance(out, AccessDenied) and out.exit_code == ExitCode.NOT_FOUND
    assert out.kind == "gated"  # its own failure kind: access can be requested, then checked again
    assert "gated" in out.message and "token" in out.message
    assert "not been granted" in tr(exc, token_given=True).message


def test_missing_repo_and_revision_are_not_found_with_exit_code_3() -> None:
    out = tr(http_error(hf.RepositoryNotFoundError, 401))
    # Its own kind (the cache records that the hub hides the repository from this token), still a ModelNotFound.
    assert type(out) is RepositoryHidden and isinstance(out, ModelNotFound) and out.exit_code == ExitCode.NOT_FOUND
    assert out.kind == "not_found"  # the hub does not say whether it is missing or private
    assert "acme/model" in out.message and "private" in out.message
    rev = tr(http_error(hf.RevisionNotFoundError, 404), revision="v9")
    assert type(rev) is ModelNotFound and rev.message == "revision 'v9' of acme/model not found"


def test_missing_files_are_absent_not_errors_for_the_caller() -> None:
    assert isinstance(tr(http_error(hf.RemoteEntryNotFoundError, 404)), EntryMissing)
    assert isinstance(tr(hf.EntryNotFoundError("gone")), EntryMissing)


def test_429_becomes_rate_limited_with_the_advised_wait() -> None:
    out = tr(http_error(hf.HfHubHTTPError, 429, {"Retry-After": "7"}))
    assert isinstance(out, RateLimited) and out.retry_after == 7.0
    assert is_transient(out)
    out = tr(http_error(hf.HfHubHTTPError, 429, {"RateLimit": '"api";r=0;t=42'}))
    assert isinstance(out, RateLimited) and out.retry_after == 42.0


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_failures_are_transient_hub_errors(status: int) -> None:
    out = tr(http_error(hf.HfHubHTTPError, status))
    assert isinstance(out, HubUnavailable) and isinstance(out, HubError) and is_transient(out)
    assert out.kind == "unreachable"
    assert str(status) in out.message


def test_other_client_errors() -> None:
    refused = tr(http_error(hf.HfHubHTTPError, 403))
    assert isinstance(refused, AccessDenied) and refused.kind == "private"
    assert type(tr(http_error(hf.HfHubHTTPError, 404))) is ModelNotFound
    bad = tr(http_error(hf.HfHubHTTPError, 400))
    assert type(bad) is HubError and not is_transient(bad)


def test_network_failures_are_transient() -> None:
    request = httpx.Request("GET", URL)
    refused = tr(httpx.ConnectError("connection refused", request=request))
    assert isinstance(refused, HubUnavailable) and "cannot reach" in refused.message
    slow = tr(httpx.ReadTimeout("timed out", request=request))
    assert isinstance(slow, HubUnavailable) and "in time" in slow.message


def test_html_or_garbage_is_a_hub_error_that_says_so() -> None:
    try:
        json.loads("<html>oops</html>")
    except json.JSONDecodeError as exc:
        out = tr(exc)
    assert type(out) is HubError and "not JSON" in out.message and not is_transient(out)
    shape = tr(KeyError("id"), parsing=True)
    assert type(shape) is HubError and "not a model description" in shape.message
    assert tr(KeyError("id")) is None  # outside a parse, a KeyError is a bug: left alone


def test_translate_errors_reraises_as_project_errors_and_leaves_bugs_alone() -> None:
    with pytest.raises(ModelNotFound), translate_errors("acme/model"):
        raise http_error(hf.RepositoryNotFoundError, 404)
    with pytest.raises(ZeroDivisionError), translate_errors("acme/model"):
        _ = 1 / 0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "0"}, 0.0),
        ({"retry-after": " 2.5 "}, 2.5),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "999999"}, 3600.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
        ({"RateLimit": '"api";r=0;t=12'}, 12.0),
        ({}, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers) == expected
