"""Storage hosts: where a hub may send a file read, and what goes with it.

On huggingface.co, ``GET /{repo}/resolve/{rev}/{file}`` of a weight file answers with a redirect
to a signed URL on the hub's storage host (its LFS CDN, ``cdn-lfs*.hf.co``, or its Xet bridge,
``cas-bridge.xethub.hf.co``). The client follows such a redirect only to a host on the
configured allow-list (``COMPLIANCE_HUB_STORAGE_HOSTS``, patterns checked by
:func:`compliance.settings.storage_host_patterns`), never to any other host, never from ``https``
down to ``http``, and without the token: the signed URL is the authorisation, and
``huggingface_hub`` itself drops the ``Authorization`` header when a download leaves the hub
(``file_download`` pops it for a CDN location; httpx strips it on cross-origin redirects).
"""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def _pattern_matches(pattern: str, host: str, port: int, scheme: str) -> bool:
    wildcard = pattern.startswith("*.")
    parts = urlsplit(f"//{pattern[2:] if wildcard else pattern}")
    wanted_port = parts.port or DEFAULT_PORTS.get(scheme)
    if port != wanted_port:
        return False
    name = (parts.hostname or "").lower()
    return host.endswith(f".{name}") if wildcard else host == name


def is_storage_url(url: str, endpoint: str, patterns: tuple[str, ...]) -> bool:
    """Whether a redirect from ``endpoint`` to ``url`` goes to one of its storage hosts.

    ``patterns`` are ``host``, ``host:port``, ``*.domain`` or ``*.domain:port`` (lower case);
    without a port a pattern means the scheme's default port. The scheme must be ``https``, or
    the endpoint's own (a plain-http test hub may use plain-http storage).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or (scheme != "https" and scheme != urlsplit(endpoint).scheme.lower()):
        return False
    if parts.username is not None or parts.password is not None:
        return False
    host = (parts.hostname or "").lower()
    effective_port = port or DEFAULT_PORTS[scheme]
    return bool(host) and any(_pattern_matches(p, host, effective_port, scheme) for p in patterns)


def without_credentials(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` without the ones that carry the user's identity (the token, cookies)."""
    return {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}


def refusal(filename: str, target_origin: str, endpoint: str, patterns: tuple[str, ...]) -> str:
    """The message for a redirect to a host that is not on the allow-list."""
    allowed = ", ".join(patterns) if patterns else "none"
    return (
        f"the hub redirected {filename} to {target_origin}, which is not one of its storage hosts "
        f"(COMPLIANCE_HUB_STORAGE_HOSTS for {endpoint}: {allowed}); requests go only to the configured hub "
        "and its storage hosts"
    )
