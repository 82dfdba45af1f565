"""The network boundary: every byte this project reads from a hub passes through here.

* :func:`configure_environment` prepares ``huggingface_hub`` before its first import (it reads
  its environment at import): telemetry off, so that no agent-detection request is sent, and
  ``HF_ENDPOINT`` pointed at the configured hub. It also installs a request hook that, while
  one of our calls runs, counts requests and refuses any that would go to a host other than
  the configured endpoint, or than a storage host a file read of this call was redirected to
  (:mod:`compliance.hub.storage`: an allow-list, the token never sent there).
* :class:`HubClient` makes the calls: one ``model_info`` with an explicit ``expand`` list, and
  plain GETs of single files or byte ranges through the library's own HTTP session, pinned to
  the resolved commit sha so that their results can be cached on disk and reused with no
  request at all. Every call runs inside :func:`~compliance.hub.errors.translate_errors`, is
  retried with exponential backoff and jitter on 429/5xx/timeouts (honouring ``Retry-After``),
  and stops when the per-check :class:`Budget` would be exceeded.
* Offline (``settings.hub_offline``) the client sends nothing: ``model_info`` answers come from
  the JSON this client cached on earlier runs, files from the file cache.
* Cached content of a gated or private repository is served only to a token the hub accepted
  for it (:mod:`compliance.hub.access`). Online, any other token's request goes to the hub,
  which answers as it would; offline it is refused as the hub would refuse it.
"""

from __future__ import annotations

import contextvars
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

from compliance.errors import AccessDenied, ComplianceError, HubError, ModelNotFound
from compliance.hub.access import GRANT_SECONDS, AccessLedger, visibility_of
from compliance.hub.cache import HubCache, is_sha
from compliance.hub.errors import (
    EntryMissing,
    ForeignHostRefused,
    HubUnavailable,
    RepositoryHidden,
    is_transient,
    translate_errors,
)
from compliance.hub.info import EXPAND, HubInfo, from_model_info
from compliance.hub.storage import is_storage_url, refusal, without_credentials
from compliance.settings import Settings

T = TypeVar("T")
BACKOFF_BASE = 0.25  # seconds before the first retry; doubles each time
BACKOFF_CAP = 8.0
# A request is not started with less than this left in the budget: it could not finish.
MIN_REQUEST_SECONDS = 0.05
MAX_ERROR_BODY = 1024 * 1024
MAX_REDIRECTS = 3
# Weight files whose LFS sha256 is asked for in one paths-info request (a 405B model has 191 shards).
MAX_HASHED_PATHS = 256


# --- the boundary ----------------------------------------------------------------------------


@dataclass(slots=True)
class RequestStats:
    """Requests sent and body bytes received, over the life of a client."""

    requests: int = 0
    bytes: int = 0


@dataclass(slots=True)
class _Scope:
    origin: str
    stats: RequestStats
    # Storage origins a file read of this call was redirected to and allowed to follow.
    storage: set[str]


_SCOPE: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("compliance_hub_scope", default=None)


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL, lower-cased, with the default port made explicit."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "http").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def configure_environment(endpoint: str) -> None:
    """Prepare ``huggingface_hub`` for talking to ``endpoint`` only. Call before any hub call.

    The library reads ``HF_ENDPOINT`` and ``HF_HUB_DISABLE_TELEMETRY`` when it is first
    imported, and from 1.x on its first request triggers ``GET {HF_ENDPOINT}/api/agent-harnesses``
    unless telemetry is disabled. So, before that import: telemetry is disabled (unless the
    user chose otherwise), xet transfers are disabled (they talk to a separate storage host),
    and ``HF_ENDPOINT`` names the configured hub. Afterwards every call passes ``endpoint=``
    explicitly anyway. The request hook that counts requests and refuses other hosts is installed
    on the library's HTTP session by each call (``_scoped``), not here: building a client (an
    offline check answered from the cache, say) then loads no HTTP stack.
    """
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_XET", "1")
    if "huggingface_hub" not in sys.modules:
        os.environ["HF_ENDPOINT"] = endpoint.rstrip("/")


def _request_hook(request: Any) -> None:
    scope = _SCOPE.get()
    if scope is None:  # not one of our calls: leave other users of the library alone
        return
    url = str(request.url)
    if origin(url) != scope.origin and origin(url) not in scope.storage:
        raise ForeignHostRefused(
            f"refused a request to {origin(url)}: requests go only to the configured hub", source=scope.origin
        )
    scope.stats.requests += 1


def _install_request_hook() -> None:
    """Add the hook to the library's shared session (recreated after fork or a factory change)."""
    try:
        from huggingface_hub.utils import get_session
    except ImportError:  # pragma: no cover - every supported version has it
        return
    hooks = getattr(get_session(), "event_hooks", None)  # httpx/httpx2 only; 0.x (requests) has none
    if isinstance(hooks, dict) and _request_hook not in hooks.setdefault("request", []):
        hooks["request"].append(_request_hook)


@contextmanager
def _scoped(endpoint: str, stats: RequestStats) -> Iterator[None]:
    _install_request_hook()
    token = _SCOPE.set(_Scope(origin(endpoint), stats, set()))
    try:
        yield
    finally:
        _SCOPE.reset(token)


# --- time budget --------------------------------------------------------------------------------


class Budget:
    """Wall-clock seconds allowed for all hub requests of one check, retries and waits included."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._deadline = clock() + seconds

    def remaining(self) -> float:
        """Seconds left (negative once spent)."""
        return self._deadline - self._clock()

    def request_timeout(self, per_request: float, what: str) -> float:
        """The timeout for the next request; raises :class:`HubError` when the budget is spent."""
        left = self.remaining()
        if left < MIN_REQUEST_SECONDS:
            raise HubError(f"hub time budget of {self.seconds:g} s used up before {what}")
        return max(MIN_REQUEST_SECONDS, min(per_request, left))

    def allows_wait(self, seconds: float) -> bool:
        """Whether waiting ``seconds`` still leaves time for one more request."""
        return self.remaining() - seconds >= MIN_REQUEST_SECONDS * 2


# --- the client ---------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """Where hub answers and files are cached: ``$HF_HOME/compliance`` (as the library resolved it)."""
    from huggingface_hub import constants

    return Path(constants.HF_HOME) / "compliance"


class HubClient:
    """Reads model descriptions and files from one hub, within budgets, through the cache."""

    def __init__(
        self,
        settings: Settings,
        *,
        cache_dir: Path | None = None,
        cache_writes: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.endpoint = settings.hf_endpoint.rstrip("/")
        configure_environment(self.endpoint)
        # False, not None: never fall back to a token stored on this machine by another tool.
        self.token: str | bool = settings.hf_token or False
        self.offline = settings.hub_offline
        self.timeout = settings.hub_timeout
        self.retries = max(0, settings.hub_retries)
        self.budget_seconds = settings.hub_budget
        self.storage_hosts = settings.effective_hub_storage_hosts
        self.cache = HubCache(cache_dir or default_cache_dir(), self.endpoint, writable=cache_writes)
        self.access = AccessLedger(self.cache.root, writable=cache_writes)
        self.stats = RequestStats()
        self._sleep = sleep
        self._jitter = jitter

    def new_budget(self) -> Budget:
        """A fresh budget for one check."""
        return Budget(self.budget_seconds)

    # -- retries --------------------------------------------------------------------------

    def _retrying(self, what: str, budget: Budget, call: Callable[[float], T]) -> T:
        attempt = 0
        while True:
            timeout = budget.request_timeout(self.timeout, what)
            try:
                with _scoped(self.endpoint, self.stats):
                    return call(timeout)
            except HubError as exc:
                if not is_transient(exc) or attempt >= self.retries:
                    raise
                advised = getattr(exc, "retry_after", None)
                wait = advised if advised is not None else self._backoff(attempt)
                if not budget.allows_wait(wait):
                    raise
                self._sleep(wait)
                attempt += 1

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random."""
        step = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        return step / 2 + step / 2 * self._jitter()

    # -- model_info ---------------------------------------------------------------------------

    def model_info(self, repo_id: str, revision: str | None, budget: Budget) -> HubInfo:
        """One ``model_info`` call with the expand list the inspection needs (cached for offline use)."""
        if self.offline:
            return self._cached_info(repo_id, revision)
        from huggingface_hub import HfApi

        from compliance import __version__

        api = HfApi(endpoint=self.endpoint, token=self.token, library_name="compliance", library_version=__version__)

        def call(timeout: float) -> HubInfo:
            with translate_errors(
                repo_id, revision, endpoint=self.endpoint, token_given=bool(self.token), parsing=True
            ):
                raw = api.model_info(
                    repo_id,
                    revision=revision,
                    expand=list(EXPAND),  # type: ignore[arg-type]
                    token=self.token,
                    timeout=timeout,
                )
                return from_model_info(raw)

        with self._noting_access(repo_id, served=False):
            info = self._retrying(f"reading {repo_id}", budget, call)
        # A private repository described to this token was accepted for it; a gated one is
        # described to anyone, so only a file read proves access.
        self.access.observe(repo_id, visibility_of(info), self.token)
        self.cache.save_info(repo_id, revision, info)
        return info

    def _cached_info(self, repo_id: str, revision: str | None) -> HubInfo:
        """Offline: the cached description, unless it is private and this token was never accepted."""
        cached = self.cache.load_info(repo_id, revision)
        at = f"@{revision}" if revision else ""
        if cached is None:
            raise ModelNotFound(
                f"{repo_id}{at} is not in the local hub cache (offline mode); run once online first",
                source=self.cache.root.as_posix(),
            )
        self.access.assume(repo_id, visibility_of(cached))
        if self.access.visibility(repo_id) == "private" and not self.access.allows(repo_id, self.token, max_age=None):
            # What the hub answers such a token (not found), without saying whether it is cached.
            who = "for the token given" if self.token else "without a token"
            raise ModelNotFound(
                f"{repo_id}{at} is not in the local hub cache {who} (offline mode: a private repository "
                "is served from the cache only to a token the hub accepted for it)",
                source=self.cache.root.as_posix(),
            )
        return cached

    # -- access to cached content ---------------------------------------------------------------

    def cached_file(self, repo_id: str, sha: str, filename: str) -> bytes | None:
        """A file cached at commit ``sha`` that may be served to this client's token, or None.

        Content of a gated or private repository is served only to a token the hub accepted
        for it (online, within :data:`~compliance.hub.access.GRANT_SECONDS`); online, None sends
        the request to the hub, which decides. Offline, a token the hub never accepted gets
        :class:`AccessDenied`, whether the file is cached or not, as the hub would refuse it.
        """
        if self.access.allows(repo_id, self.token, max_age=None if self.offline else GRANT_SECONDS):
            return self.cache.load_file(repo_id, sha, filename)
        if not self.offline:
            return None
        kind = self.access.visibility(repo_id) or "gated or private"
        who = "the token given was never accepted for it" if self.token else "no token was given"
        raise AccessDenied(
            f"{repo_id} is {kind} and {who} (offline mode: the local hub cache serves gated and private "
            "files only to a token the hub accepted for them; check once online with that token)",
            source=self.cache.root.as_posix(),
        )

    @contextmanager
    def _noting_access(self, repo_id: str, *, served: bool = True) -> Iterator[None]:
        """Record in the access ledger the hub's answer to this token for ``repo_id``.

        ``served`` says that success means the hub served the repository's content (a file),
        not only its description, which the hub shows to anyone for a gated repository.
        """
        try:
            yield
        except AccessDenied:
            self.access.refuse(repo_id, self.token, "gated")
            raise
        except RepositoryHidden:
            self.access.refuse(repo_id, self.token, "private")
            raise
        if served:
            self.access.grant(repo_id, self.token)

    # -- files --------------------------------------------------------------------------------

    def weight_hashes(self, repo_id: str, sha: str, paths: list[str], budget: Budget) -> list[str]:
        """The LFS sha256 the hub reports for each of ``paths`` at commit ``sha`` (one ``paths-info``
        request; no content is read). Offline or on any error, none: a copy is then not provable."""
        if self.offline or not paths:
            return []
        from huggingface_hub import HfApi

        from compliance import __version__

        api = HfApi(endpoint=self.endpoint, token=self.token, library_name="compliance", library_version=__version__)

        def call(timeout: float) -> list[str]:
            with translate_errors(repo_id, sha, endpoint=self.endpoint, token_given=bool(self.token), parsing=True):
                entries = api.get_paths_info(repo_id, paths[:MAX_HASHED_PATHS], revision=sha, token=self.token)
            found = (getattr(getattr(e, "lfs", None), "sha256", None) for e in entries)
            return sorted({h for h in found if isinstance(h, str) and len(h) == 64})

        try:
            with self._noting_access(repo_id, served=False):
                return self._retrying(f"listing the weight files of {repo_id}", budget, call)
        except ComplianceError:
            return []

    def read_file(
        self, repo_id: str, revision: str, filename: str, budget: Budget, *, max_bytes: int
    ) -> tuple[bytes | None, bool]:
        """A whole small file at ``revision`` (a commit sha when known): ``(content or None, from_cache)``.

        None means the file is not there (or, offline, not cached). Files larger than
        ``max_bytes`` raise :class:`HubError`. Content read at a commit sha is cached.
        """
        if is_sha(revision):
            cached = self.cached_file(repo_id, revision, filename)
            if cached is not None:
                return cached, True
        if self.offline:
            return None, False
        url = f"{self.endpoint}/{repo_id}/resolve/{quote(revision, safe='')}/{quote(filename)}"
        try:
            with self._noting_access(repo_id):
                data, _ = self._retrying(
                    f"reading {filename} of {repo_id}",
                    budget,
                    lambda timeout: self._get(url, repo_id, revision, timeout, budget, max_bytes=max_bytes),
                )
        except EntryMissing:
            return None, False
        if is_sha(revision):
            self.cache.save_file(repo_id, revision, filename, data)
        return data, False

    def read_range(
        self, repo_id: str, revision: str, filename: str, start: int, stop: int, budget: Budget
    ) -> tuple[bytes, int | None]:
        """Bytes ``[start, stop)`` of a file and the file's total size (from ``Content-Range``)."""
        url = f"{self.endpoint}/{repo_id}/resolve/{quote(revision, safe='')}/{quote(filename)}"
        headers = {"Range": f"bytes={start}-{stop - 1}"}
        with self._noting_access(repo_id):
            return self._retrying(
                f"reading {filename} of {repo_id}",
                budget,
                lambda timeout: self._get(
                    url, repo_id, revision, timeout, budget, max_bytes=stop - start, extra=headers
                ),
            )

    def _get(
        self,
        url: str,
        repo_id: str,
        revision: str,
        timeout: float,
        budget: Budget,
        *,
        max_bytes: int,
        extra: dict[str, str] | None = None,
    ) -> tuple[bytes, int | None]:
        """One GET through the library's session, following redirects to the hub or its storage hosts only.

        A redirect to a storage host is followed without the token (see :mod:`compliance.hub.storage`),
        and its error answers are the storage host's, not the hub's verdict on the repository.
        """
        from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

        from compliance import __version__

        headers = build_hf_headers(token=self.token, library_name="compliance", library_version=__version__)
        headers.update(extra or {})
        session = get_session()
        filename = url.rsplit("/", 1)[-1]
        storage: str | None = None  # the storage origin being read, once redirected there
        with translate_errors(repo_id, revision, endpoint=self.endpoint, token_given=bool(self.token)):
            for _ in range(MAX_REDIRECTS + 1):
                with _open(session, url, headers, timeout) as response:
                    status = int(response.status_code)
                    if 300 <= status < 400 and response.headers.get("Location"):
                        url = urljoin(url, response.headers["Location"])
                        if origin(url) != origin(self.endpoint):
                            storage = self._enter_storage(url, filename)
                            headers = without_credentials(headers)
                        continue
                    if status >= 400 and storage is not None:
                        raise _storage_failure(storage, status, filename)
                    if status >= 400:
                        length = response.headers.get("Content-Length")
                        if length is not None and length.isdigit() and int(length) > MAX_ERROR_BODY:
                            raise HubUnavailable(f"the hub failed with HTTP {status}", source=self.endpoint)
                        hf_raise_for_status(response)
                        raise HubError(f"the hub answered HTTP {status}", source=self.endpoint)
                    body = self._read_body(response, max_bytes, budget, url, ranged=bool(extra))
                    return body, _total_size(response.headers)
            raise HubError(f"too many redirects for {url}", source=self.endpoint)

    def _enter_storage(self, url: str, filename: str) -> str:
        """The origin of an allowed storage URL, approved for this call's requests; else refused."""
        target = origin(url)
        if not is_storage_url(url, self.endpoint, self.storage_hosts):
            raise ForeignHostRefused(refusal(filename, target, self.endpoint, self.storage_hosts), source=self.endpoint)
        scope = _SCOPE.get()
        if scope is not None:
            scope.storage.add(target)
        return target

    def _read_body(self, response: Any, max_bytes: int, budget: Budget, url: str, *, ranged: bool) -> bytes:
        chunks: list[bytes] = []
        size = 0
        iterator = response.iter_bytes() if hasattr(response, "iter_bytes") else response.iter_content(65536)
        for chunk in iterator:
            size += len(chunk)
            self.stats.bytes += len(chunk)
            if size > max_bytes:
                if ranged:  # a server that ignores Range: keep what was asked and stop reading
                    chunks.append(chunk)
                    break
                raise HubError(f"{url.rsplit('/', 1)[-1]} is larger than {max_bytes} bytes", source=self.endpoint)
            if budget.remaining() < 0:
                raise HubUnavailable("the hub answered too slowly (time budget used up)", source=self.endpoint)
            chunks.append(chunk)
        return b"".join(chunks)[:max_bytes]


def _storage_failure(storage: str, status: int, filename: str) -> HubError:
    """A storage host's error answer: transient for 429/5xx (a retry asks the hub for a fresh URL),
    else a plain failure; never an access verdict, which only the hub gives."""
    message = f"the storage host {storage} answered HTTP {status} for {filename}"
    if status == 429 or status >= 500:
        return HubUnavailable(message, source=storage)
    return HubError(message, source=storage)


@contextmanager
def _open(session: Any, url: str, headers: dict[str, str], timeout: float) -> Iterator[Any]:
    """A streamed GET that does not follow redirects, on httpx/httpx2 (1.x/2.x) or requests (0.x)."""
    if hasattr(session, "stream"):
        with session.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=False) as response:
            yield response
    else:  # pragma: no cover - huggingface_hub 0.x
        response = session.get(url, headers=headers, timeout=timeout, allow_redirects=False, stream=True)
        try:
            yield response
        finally:
            response.close()


def _total_size(headers: Any) -> int | None:
    content_range = headers.get("Content-Range") or ""
    if "/" in content_range:
        total = content_range.rsplit("/", 1)[1].strip()
        return int(total) if total.isdigit() else None
    length = headers.get("Content-Length")
    return int(length) if length is not None and str(length).isdigit() else None
