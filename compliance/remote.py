"""``compliance check --server URL``: submit to a compliance server, wait, and print the same report.

A local directory is not uploaded: only its metadata is (config.json, the model card and the
safetensors headers, each a few kB), so a CI job never sends weights anywhere. The exit code is
the one the server's report carries, so a remote check gates exactly like a local one.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from compliance.errors import (
    ComplianceError,
    ExitCode,
    InputError,
    ModelFileError,
    ModelNotFound,
    ServiceError,
    UsageError,
)
from compliance.regularfile import open_regular, read_regular

POLL_SECONDS = (0.2, 0.5, 1.0, 2.0)  # back off while the check runs


def upload_payload(directory: Path) -> dict[str, Any]:
    """The metadata of a local model directory, as the API's ``upload`` object."""
    from compliance.facts.safetensors import read_header, weight_files
    from compliance.inspection import read_config

    if not directory.is_dir():
        raise InputError("no such directory", source=str(directory))
    upload: dict[str, Any] = {"name": directory.resolve().name}
    if (directory / "config.json").is_file():
        upload["config"] = read_config(directory / "config.json")
    for name in ("README.md", "readme.md"):
        if (directory / name).is_file():
            upload["card"] = _card_text(directory / name)
            break
    headers = []
    files, _ = weight_files(directory)
    for path in files:
        fh, size = open_regular(path, error=ModelFileError)
        with fh:
            header, nread = read_header(fh, size=size, source=str(path))
        headers.append({"file": path.name, "header": header, "data_size": size - nread})
    if headers:
        upload["safetensors"] = headers
    if len(upload) == 1:
        raise InputError("nothing to upload: no config.json, README.md or *.safetensors", source=str(directory))
    return upload


def _card_text(path: Path) -> str:
    from compliance.facts.card.limits import MAX_CARD_BYTES

    data = read_regular(path, limit=MAX_CARD_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError("model card is not valid UTF-8", source=str(path)) from None


def request_body(ns: Any, options: Any) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/checks`` for these command-line options."""
    from compliance.targets import parse_target

    target = parse_target(ns.target)
    body: dict[str, Any] = {
        "as_of": options.as_of.isoformat(),
        "destination": options.destination,
        "hardware": options.hardware,
        "markets": list(options.markets),
        "rules": list(options.rules),
        "open_weights": options.open_weights,
        "revenue": options.developer_revenue_usd,
        "facts": list(ns.facts),
        "fail_on": options.fail_on,
        "fail_on_uncertain": options.fail_on_uncertain,
        "use_waivers": options.use_waivers,
    }
    if target.path is not None:
        body["upload"] = upload_payload(target.path)
    else:
        body["model"] = target.model_id
        body["revision"] = target.revision
    return {k: v for k, v in body.items() if v not in (None, [])}


def _call(method: str, url: str, token: str | None, body: dict[str, Any] | None, timeout: float) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # the URL is the user's own server
            return json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = _error_detail(exc)
        if exc.code in (401, 403):
            raise UsageError(f"the server refused the token ({exc.code}): {detail}") from None
        if exc.code == 404:
            raise ModelNotFound(f"not found on the server: {detail}") from None
        if exc.code in (400, 413, 422):
            raise UsageError(f"the server rejected the request: {detail}") from None
        wait = _retry_after(exc)
        if exc.code in (429, 503) and wait is not None:
            raise ServerBusy(f"the server answered {exc.code}: {detail}", retry_after=wait) from None
        raise ServiceError(f"the server answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ServiceError(f"cannot reach {url}: {getattr(exc, 'reason', exc)}") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ServiceError(f"{url} did not answer JSON") from None


class ServerBusy(ServiceError):
    """429 or 503 with Retry-After: the server stored nothing and asks to be tried again later."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(message)


def submit(url: str, token: str | None, body: dict[str, Any], deadline: float) -> Any:
    """POST a check; a busy answer (over the token's submission rate, or the queue full) is waited
    out for its Retry-After and sent again, while that ends before ``deadline`` (monotonic)."""
    while True:
        try:
            return _call("POST", url, token, body, timeout=30)
        except ServerBusy as busy:
            if time.monotonic() + busy.retry_after > deadline:
                raise
            time.sleep(busy.retry_after)


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = (exc.headers.get("Retry-After") or "").strip() if exc.headers is not None else ""
    return float(value) if value.isdigit() else None  # the HTTP-date form is not sent by our server


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        payload = json.loads(exc.read().decode("utf-8"))
        return str(payload.get("error") or payload)
    except (ValueError, UnicodeDecodeError, AttributeError):
        return exc.reason if isinstance(exc.reason, str) else str(exc.code)


def check_remote(ns: Any, options: Any) -> dict[str, Any]:
    """Submit, wait up to ``--timeout`` seconds, and return the server's report (the same contract)."""
    from compliance.settings import http_url, load_settings

    base = http_url(ns.server, "--server")
    # With --server, --token means the server's API token: the server holds its own hub credentials.
    token = ns.server_token or getattr(ns, "token", None) or load_settings().api_token
    deadline = time.monotonic() + ns.timeout
    submitted = submit(f"{base}/api/v1/checks", token, request_body(ns, options), deadline)
    check_id = submitted.get("id")
    if not isinstance(check_id, str):
        raise ServiceError("the server did not return a check id")
    step = 0
    while True:
        state = _call("GET", f"{base}/api/v1/checks/{check_id}", token, None, timeout=30)
        status = state.get("status")
        if status == "done" and isinstance(state.get("report"), dict):
            return dict(state["report"])
        if status == "failed":
            error = state.get("error") or "the check failed on the server"
            failure = ComplianceError(str(error))
            failure.exit_code = ExitCode(int(state.get("exit_code") or ExitCode.INCONCLUSIVE))
            raise failure
        if time.monotonic() >= deadline:
            raise ServiceError(f"check {check_id} did not finish within {ns.timeout:g} s (status {status})")
        time.sleep(POLL_SECONDS[min(step, len(POLL_SECONDS) - 1)])
        step += 1
