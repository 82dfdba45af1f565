"""kombu's SQLAlchemy transport, tuned for SQLite: WAL, a busy timeout, and five polls a second.

* The stock transport passes every ``broker_transport_options`` key to ``create_engine``, so its
  ``polling_interval`` cannot be set through the options (SQLAlchemy refuses the unknown
  argument); a subclass with the class attribute changed is the supported way round it.
* On SQLite every poll is a ``BEGIN IMMEDIATE`` transaction and every message a commit; in
  SQLite's default rollback-journal mode each commit waits for the disk twice, which made
  sending a task cost more than the whole API request. WAL with ``synchronous=NORMAL`` (the
  same settings as the service database, see :mod:`compliance.storage.db`) keeps a commit in
  memory until the next checkpoint, and ``busy_timeout`` makes the web process and the workers
  wait their turn for the write lock instead of failing.
* The stock ``_get`` marks a fetched message invisible and never deletes it (nothing in kombu
  makes an invisible row visible again), so the message table grew by one row per task for
  ever. Here the fetch deletes the row in the transaction that takes it. Nothing is lost that
  was not lost before: kombu's virtual QoS keeps fetched, unacknowledged messages in memory and
  publishes them again when the channel closes (a warm shutdown) or a message is rejected with
  ``requeue``; a worker killed outright lost them with the stock transport too, and the stale
  work recovery (:mod:`web.worker.recovery`) covers that case.

Selected with ``broker_transport`` for ``sqla+`` URLs (:func:`web.worker.celery_app.create_celery`).
"""

from __future__ import annotations

import json
from queue import Empty
from typing import Any

from kombu.transport.sqlalchemy import Channel as _SqlaChannel
from kombu.transport.sqlalchemy import Transport as _SqlaTransport
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

POLLING_INTERVAL = 0.2  # seconds between polls of an empty queue
BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class Channel(_SqlaChannel):
    """The SQLAlchemy channel with SQLite connections in WAL mode, a lighter publish, and a fetch
    that deletes.

    The stock ``_put`` looks the queue row up by name and adds the message through the ORM's
    unit of work for every message: a third of the web process's work per submitted check.
    Here a queue's id is looked up once per channel and the message is one INSERT of the
    same row the ORM would write (``visible`` and ``version`` take their column defaults).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue_ids: dict[str, int] = {}
        self._swept: set[int] = set()

    def _queue_id(self, queue: str) -> int:
        queue_id = self._queue_ids.get(queue)
        if queue_id is None:
            queue_id = self._queue_ids[queue] = int(self._get_or_create(queue).id)
        return queue_id

    def _engine_from_config(self) -> Any:
        engine = super()._engine_from_config()
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> Any:  # type: ignore[override]  # as the stock one
        queue_id = self._queue_id(queue)
        table = self.message_cls.__table__
        try:
            self.session.connection().execute(table.insert(), {"payload": json.dumps(payload), "queue_id": queue_id})
            self.session.commit()
        except OperationalError:
            self.session.rollback()
            raise  # the publish fails (and can be retried), as in the stock transport
        except IntegrityError:
            self.session.rollback()
            self._queue_ids.pop(queue, None)  # the queue row went away: look it up again next time
            raise

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        """Take the oldest visible message of ``queue``: read and delete it in one transaction.

        On SQLite the transaction starts with ``BEGIN IMMEDIATE``, as in the stock transport, so
        two workers cannot read the same row before either deletes it; elsewhere the row is
        locked with ``FOR UPDATE``. The first fetch from a queue also deletes the rows the stock
        transport left invisible, which nothing would ever read again.
        """
        queue_id = self._queue_id(queue)
        table = self.message_cls.__table__
        session = self.session
        try:
            if session.bind.name == "sqlite":
                session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
            connection = session.connection()
            if queue_id not in self._swept:
                connection.execute(table.delete().where(table.c.queue_id == queue_id, table.c.visible.is_(False)))
            oldest = (
                select(table.c.id, table.c.payload)
                .where(table.c.queue_id == queue_id, table.c.visible.is_(True))
                .order_by(table.c.timestamp, table.c.id)
                .limit(1)
                .with_for_update()
            )
            row = connection.execute(oldest).first()
            if row is not None:
                connection.execute(table.delete().where(table.c.id == row.id))
            session.commit()
        except BaseException:
            session.rollback()
            raise
        self._swept.add(queue_id)
        if row is None:
            raise Empty()
        return json.loads(bytes_to_str(row.payload))


class Transport(_SqlaTransport):
    """The SQLAlchemy transport with a short polling interval and tuned SQLite connections."""

    Channel = Channel
    polling_interval = POLLING_INTERVAL
