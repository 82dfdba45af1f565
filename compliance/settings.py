"""Settings: the one place that reads the environment, once, at start-up.

Every entry point (CLI, web app, worker, beat) calls :func:`load_settings` when it starts and
passes plain values down. Variables are ``COMPLIANCE_*``; the hub client's conventional
``HF_TOKEN`` and ``HF_ENDPOINT`` are honoured as fallbacks.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from compliance.errors import UsageError

DEFAULT_ENDPOINT = "https://huggingface.co"
# Hosts huggingface.co redirects a file read to (signed URLs of its LFS, Xet and CDN hosts, e.g.
# cdn-lfs-us-1.hf.co, cas-bridge.xethub.hf.co, us.aws.cdn.hf.co). The hub publishes them in
# https://huggingface.co/.well-known/meta.json ("lfsDomains", "cdnDomains"), all under hf.co, a
# domain that is Hugging Face's alone; the legacy LFS hosts under huggingface.co are named, not
# wildcarded, so no other host of that domain is trusted with a download. Used when the
# endpoint is huggingface.co (or hf.co) and COMPLIANCE_HUB_STORAGE_HOSTS is unset; any other
# endpoint defaults to none (same host only).
HUGGINGFACE_STORAGE_HOSTS = (
    "*.hf.co",
    "cdn-lfs.huggingface.co",
    "cdn-lfs-us-1.huggingface.co",
    "cdn-lfs-eu-1.huggingface.co",
)
_HUGGINGFACE_HOSTS = frozenset({"huggingface.co", "hf.co"})
_DEV_SECRET = "dev-only-not-secret"
T = TypeVar("T", int, float)


def _flag(raw: str | None, name: str, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"{name} must be true or false, got {raw!r}")


def _number(raw: str | None, name: str, default: float, *, minimum: float = 0.0) -> float:
    return _bounded(raw, name, default, float, "a number", minimum)


def _count(raw: str | None, name: str, default: int, *, minimum: int = 1) -> int:
    return _bounded(raw, name, default, int, "a whole number", minimum)


def _bounded(raw: str | None, name: str, default: T, kind: Callable[[str], T], what: str, minimum: T) -> T:
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise UsageError(f"{name} must be {what}, got {raw!r}") from None
    if value < minimum:
        raise UsageError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def seconds_between(raw: str | None, name: str, default: float, low: float, high: float) -> float:
    """A duration in seconds from ``raw`` (``default`` when unset), refused unless finite and within [low, high]."""
    value = _number(raw, name, default, minimum=low)
    if not math.isfinite(value) or value > high:
        raise UsageError(f"{name} must be between {low:g} and {high:g} seconds, got {raw!r}")
    return value


_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE)


def http_url(url: str, name: str) -> str:
    """``url`` checked as an http(s) URL with a host (no credentials, query or fragment), without a
    trailing slash; else a UsageError naming the option or variable ``name`` and what is wrong."""

    def bad(why: str) -> UsageError:
        return UsageError(f"{name} must be an http(s) URL with a host, got {url!r}: {why}")

    if not url:
        raise bad("it is empty")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise bad("it has spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise bad(
            "the port is not a number from 1 to 65535" if "port" in str(exc).lower() else "bad host name"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise bad(f"the scheme is {scheme}:" if scheme else "the scheme is missing")
    if port == 0:
        raise bad("the port is not a number from 1 to 65535")
    if "@" in parts.netloc:
        raise bad("it carries a user name or password")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise bad("it has a query or fragment")
    if not _valid_host(parts.hostname or ""):
        raise bad("bad host name")
    return url.rstrip("/")


def storage_host_patterns(raw: str, name: str) -> tuple[str, ...]:
    """Comma-separated storage-host patterns, checked and lower-cased: ``host``, ``host:port``,
    ``*.domain`` or ``*.domain:port`` (``*.`` matches any sub-domain of a domain of two labels
    or more, not the domain itself); ``none`` is the empty list. Else a UsageError naming ``name``."""
    if raw.strip().lower() == "none":
        return ()
    patterns = []
    for item in raw.split(","):
        entry = item.strip().lower()
        if not entry:
            continue
        wildcard = entry.startswith("*.")
        rest = entry[2:] if wildcard else entry
        try:
            parts = urlsplit(f"//{rest}")
            port = parts.port
        except ValueError:
            port, parts = None, None
        host = parts.hostname if parts is not None else None
        ok = (
            parts is not None
            and host is not None
            and _valid_host(host)
            and not (parts.path or parts.query or parts.fragment or "@" in parts.netloc or port == 0)
            and not (wildcard and (":" in host or host.count(".") < 1))
        )
        if not ok:
            raise UsageError(
                f"{name}: {item.strip()!r} is not a host, host:port, *.domain or *.domain:port "
                "(a wildcard needs a domain of two labels or more)"
            )
        patterns.append(entry)
    return tuple(patterns)


def _valid_host(host: str) -> bool:
    import ipaddress

    if not host:
        return False
    if ":" in host:  # bracketed IPv6
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in ascii_host.rstrip(".").split("."))


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved configuration. Construct with :func:`load_settings`, or directly in tests."""

    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file in data_dir
    broker_url: str = ""  # empty: SQLAlchemy transport on a SQLite file in data_dir
    result_backend: str = ""
    hf_endpoint: str = DEFAULT_ENDPOINT
    hf_token: str | None = None
    hub_offline: bool = False
    hub_timeout: float = 10.0  # seconds per request
    hub_budget: float = 30.0  # seconds for all hub requests of one check
    hub_retries: int = 3
    # Hosts a file read may be redirected to (see storage_host_patterns); None: the defaults
    # for the endpoint (HUGGINGFACE_STORAGE_HOSTS for huggingface.co, none elsewhere).
    hub_storage_hosts: tuple[str, ...] | None = None
    lineage_depth: int = 5
    rules_paths: tuple[Path, ...] = field(default_factory=tuple)
    api_token: str | None = None  # for `check --server`
    secret_key: str = _DEV_SECRET
    environment: str = "development"
    debug: bool = False
    # API submissions that queue work (checks, scans, re-evaluations), per token: a burst in any
    # 10 seconds, and a sustained rate in any minute. A CI matrix sends its checks at once.
    api_burst: int = 30
    api_per_minute: int = 120
    # Queued, not yet started work per queue (checks with status queued on the ci or interactive
    # queue; scans with status queued for the scan queue) above which such submissions get 503.
    queue_depth: int = 500
    session_hours: float = 12.0  # a dashboard log-in lasts this long, however active
    # A scan runner's lease: a live runner renews it every fifth of this; a runner whose lease
    # ran out is taken for dead and its claimed models go back to the queue.
    scan_lease_seconds: float = 15.0
    # How long a worker's warm shutdown may take: runners finish the model in hand, hand the
    # rest of their batch back, and any runner still busy at the end is released and stopped.
    worker_shutdown_grace: float = 10.0

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under ``data_dir``."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'compliance.db').resolve()}"

    @property
    def effective_hub_storage_hosts(self) -> tuple[str, ...]:
        """Storage hosts the hub's file reads may be redirected to: the configured list, else the
        known ones of huggingface.co when that is the endpoint, else none (same host only)."""
        if self.hub_storage_hosts is not None:
            return self.hub_storage_hosts
        parts = urlsplit(self.hf_endpoint)
        if parts.scheme == "https" and (parts.hostname or "").lower() in _HUGGINGFACE_HOSTS:
            return HUGGINGFACE_STORAGE_HOSTS
        return ()

    @property
    def effective_broker_url(self) -> str:
        """The broker URL, defaulting to kombu's SQLAlchemy transport (no server needed)."""
        return self.broker_url or f"sqla+sqlite:///{(self.data_dir / 'broker.db').resolve()}"

    @property
    def rate_limit_storage(self) -> str:
        """Where the API counts submissions: the broker's (or result backend's) Redis, which every
        process shares, when there is one; else this process's memory."""
        for url in (self.broker_url, self.result_backend):
            if url.startswith(("redis://", "rediss://")):
                return url
        return "memory://"

    @property
    def effective_result_backend(self) -> str:
        """Celery's result backend (results live in our own tables; this holds task state only)."""
        return self.result_backend or f"db+sqlite:///{(self.data_dir / 'results.db').resolve()}"

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields replaced (command-line options win over the environment)."""
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in changes.items() if k in known and v is not None})


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``COMPLIANCE_*`` (and ``HF_TOKEN``/``HF_ENDPOINT``) from ``environ`` (default: os.environ)."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(f"COMPLIANCE_{name}")
        return value if value not in (None, "") else None

    rules = get("RULES")
    environment = get("ENV") or "development"
    secret = get("SECRET_KEY") or _DEV_SECRET
    if environment == "production" and secret == _DEV_SECRET:
        raise UsageError("COMPLIANCE_SECRET_KEY must be set when COMPLIANCE_ENV=production")
    endpoint_name = "COMPLIANCE_HF_ENDPOINT" if get("HF_ENDPOINT") else "HF_ENDPOINT"
    endpoint = get("HF_ENDPOINT") or env.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    endpoint = http_url(endpoint, endpoint_name)
    storage = get("HUB_STORAGE_HOSTS")
    return Settings(
        data_dir=Path(get("DATA_DIR") or "var"),
        database_url=get("DATABASE_URL") or "",
        broker_url=get("BROKER_URL") or "",
        result_backend=get("RESULT_BACKEND") or "",
        hf_endpoint=endpoint,
        hf_token=get("HF_TOKEN") or env.get("HF_TOKEN") or None,
        hub_offline=_flag(get("HUB_OFFLINE"), "COMPLIANCE_HUB_OFFLINE", False),
        hub_timeout=_number(get("HUB_TIMEOUT"), "COMPLIANCE_HUB_TIMEOUT", 10.0, minimum=0.1),
        hub_budget=_number(get("HUB_BUDGET"), "COMPLIANCE_HUB_BUDGET", 30.0, minimum=0.1),
        hub_retries=int(_number(get("HUB_RETRIES"), "COMPLIANCE_HUB_RETRIES", 3)),
        hub_storage_hosts=storage_host_patterns(storage, "COMPLIANCE_HUB_STORAGE_HOSTS") if storage else None,
        lineage_depth=int(_number(get("LINEAGE_DEPTH"), "COMPLIANCE_LINEAGE_DEPTH", 5)),
        rules_paths=tuple(Path(p) for p in rules.split(os.pathsep)) if rules else (),
        api_token=get("API_TOKEN"),
        secret_key=secret,
        environment=environment,
        debug=_flag(get("DEBUG"), "COMPLIANCE_DEBUG", False),
        api_burst=_count(get("API_BURST"), "COMPLIANCE_API_BURST", 30),
        api_per_minute=_count(get("API_PER_MINUTE"), "COMPLIANCE_API_PER_MINUTE", 120),
        queue_depth=_count(get("QUEUE_DEPTH"), "COMPLIANCE_QUEUE_DEPTH", 500),
        session_hours=_number(get("SESSION_HOURS"), "COMPLIANCE_SESSION_HOURS", 12.0, minimum=0.01),
        scan_lease_seconds=seconds_between(
            get("SCAN_LEASE_SECONDS"), "COMPLIANCE_SCAN_LEASE_SECONDS", 15.0, 2.0, 600.0
        ),
        worker_shutdown_grace=seconds_between(
            get("WORKER_SHUTDOWN_GRACE"), "COMPLIANCE_WORKER_SHUTDOWN_GRACE", 10.0, 2.0, 3600.0
        ),
    )


def debug_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether COMPLIANCE_DEBUG asks for tracebacks; read when an entry point meets an unexpected error."""
    env = os.environ if environ is None else environ
    return env.get("COMPLIANCE_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def rules_cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where compiled rule sets are kept: ``COMPLIANCE_CACHE_DIR``, else the user cache directory
    (``$XDG_CACHE_HOME/compliance`` or ``~/.cache/compliance``); None when
    ``COMPLIANCE_CACHE_DIR=off`` (every run then validates the rule files afresh).

    Read where rules are loaded rather than through :class:`Settings`: the CLI's check path
    builds no Settings (it needs none), and this costs one look-up.
    """
    env = os.environ if environ is None else environ
    chosen = env.get("COMPLIANCE_CACHE_DIR", "").strip()
    if chosen.lower() in ("off", "none", "0", "false", "no"):
        return None
    if chosen:
        return Path(chosen)
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    # The XDG rule: a relative XDG_CACHE_HOME is invalid and ignored.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "compliance"
    try:
        return Path.home() / ".cache" / "compliance"
    except RuntimeError:  # no HOME and no password entry: run uncached
        return None
