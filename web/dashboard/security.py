"""Session cookie settings, security headers and rate limits for the dashboard.

Headers go on every dashboard response (pages, JSON and static files): a strict
Content-Security-Policy (only this origin's scripts and styles, nothing inline, no framing),
``nosniff``, no referrer to other sites, and ``no-store`` on pages that show account data.

Rate limits use the ``limits`` library (the engine under Flask-Limiter) directly, so the
dashboard's limits cannot collide with limits another part of the app sets up. The default
storage is in-process memory, right for the single web process of the embedded set-up;
``DASHBOARD_RATELIMIT_STORAGE_URI`` (e.g. ``redis://...``) shares them between processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask, Response

from compliance.settings import Settings

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
LOGIN_LIMITS = ("10 per minute", "50 per hour")  # per client address, then per account
SUBMIT_LIMIT = "30 per minute"  # per account


def configure_session(app: Flask, settings: Settings) -> None:
    """Cookie flags and lifetime; the secret comes from settings unless the app set one already.

    The lifetime is always the settings' (Flask's own default, 31 days, is already in the
    config, so it must be assigned, not defaulted); :func:`web.dashboard.auth.load_user` also
    enforces it on the server, counted from the log-in.
    """
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = settings.environment != "development"
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=settings.session_hours)
    # The CSRF token lives as long as the session: a form left open over lunch still submits.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)


def add_headers(response: Response, *, secure: bool) -> Response:
    """Set the security headers on a dashboard response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype in ("text/html", "application/json") and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response


@dataclass
class RateLimits:
    """Moving-window rate limits over a ``limits`` storage."""

    storage_uri: str = "memory://"
    enabled: bool = True
    _limiter: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self._limiter = MovingWindowRateLimiter(storage_from_string(self.storage_uri))

    def hit(self, limit: str, *keys: str) -> bool:
        """Count one event against ``limit`` (e.g. ``"10 per minute"``); False once it is exceeded."""
        if not self.enabled:
            return True
        from limits import parse

        return bool(self._limiter.hit(parse(limit), "dashboard", *keys))

    def enforce(self, limit: str, *keys: str, message: str) -> None:
        """Count one event against ``limit``; past it, a 429 whose ``Retry-After`` says when a slot frees up."""
        if self.hit(limit, *keys):
            return
        import math
        import time

        from flask import abort
        from limits import parse

        reset_at = self._limiter.get_window_stats(parse(limit), "dashboard", *keys).reset_time
        abort(429, message, retry_after=max(1, math.ceil(reset_at - time.time())))

    def clear(self) -> None:
        """Forget every count (tests)."""
        self._limiter.storage.reset()
