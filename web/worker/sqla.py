"""kombu's SQLAlchemy transport, polling five times a second instead of once.

The stock transport passes every ``broker_transport_options`` key to ``create_engine``, so its
``polling_interval`` cannot be set through the options (SQLAlchemy refuses the unknown
argument). A subclass with the class attribute changed is the supported way round it; it is
selected with ``broker_transport`` for ``sqla+`` URLs (:func:`web.worker.celery_app.create_celery`).
"""

from __future__ import annotations

from kombu.transport.sqlalchemy import Transport as _SqlaTransport

POLLING_INTERVAL = 0.2  # seconds between polls of an empty queue


class Transport(_SqlaTransport):
    """The SQLAlchemy transport with a short polling interval."""

    polling_interval = POLLING_INTERVAL
