"""Security headers on every response of the app, whichever part answered.

The dashboard sets its own (a Content-Security-Policy that lets its pages load their scripts
and styles, see ``web.dashboard.security``); these are the defaults for everything else: the
JSON API, ``/healthz``, and the error pages Flask answers itself (an unknown path, a method a
route does not take), which no blueprint hook sees. They are set only where absent, so a part
that sets a header keeps its own value.

* ``X-Content-Type-Options: nosniff`` everywhere: a browser never runs a JSON answer as a script.
* No framing (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), and a policy that loads
  nothing, since none of these responses is a page that needs anything.
* ``Cache-Control: no-store`` on the API: its answers are per token, and one carries a new
  token's secret in plain text.
"""

from __future__ import annotations

from flask import Flask, Response, request

API_PREFIXES = ("/api/", "/healthz")
CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DEFAULTS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
}


def add_security_headers(response: Response) -> Response:
    """Set the default security headers where a response has none of its own."""
    for name, value in DEFAULTS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith(API_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
    return response


def install_headers(app: Flask) -> None:
    """Run :func:`add_security_headers` after every request of ``app`` (blueprints' hooks run first)."""
    app.after_request(add_security_headers)
