"""The JSON API under ``/api/v1``: thin views over ``compliance.services``.

:func:`build_api` declares every operation (:mod:`web.api.checks`, :mod:`web.api.scans`,
:mod:`web.api.manage`); ``create_app`` registers its blueprint and serves the OpenAPI document
generated from the same declarations (:mod:`web.api.openapi`).
"""

from __future__ import annotations

from web.api.endpoints import Api


def build_api() -> Api:
    """Every operation of the API."""
    from web.api import checks, manage, scans

    api = Api("/api/v1")
    checks.register(api)
    scans.register(api)
    manage.register(api)
    return api
