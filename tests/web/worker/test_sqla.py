"""The embedded broker: kombu's SQLAlchemy transport with SQLite tuned and a one-INSERT publish."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from kombu import Connection, Exchange, Producer, Queue

from web.worker.sqla import Transport


def _connection(tmp_path: Path) -> Connection:
    return Connection(f"sqlite:///{tmp_path / 'broker.db'}", transport=Transport)


def test_published_messages_are_consumed_in_order_from_their_queue(tmp_path: Path) -> None:
    exchange = Exchange("ci", type="direct")
    ci, scan = Queue("ci", exchange, routing_key="ci"), Queue("scan", Exchange("scan", type="direct"), "scan")
    with _connection(tmp_path) as connection:
        producer = Producer(connection.default_channel)
        for queue in (ci, scan):
            queue.bind(connection.default_channel).declare()
        for n in range(3):
            producer.publish({"n": n}, exchange=exchange, routing_key="ci", serializer="json")
        got = []
        bound = ci.bind(connection.default_channel)
        while (message := bound.get(no_ack=True)) is not None:
            got.append(message.payload["n"])
        assert got == [0, 1, 2]
        assert scan.bind(connection.default_channel).get(no_ack=True) is None  # nothing strayed


def test_a_message_is_one_row_of_the_stock_schema(tmp_path: Path) -> None:
    exchange = Exchange("interactive", type="direct")
    queue = Queue("interactive", exchange, routing_key="interactive")
    with _connection(tmp_path) as connection:
        queue.bind(connection.default_channel).declare()
        Producer(connection.default_channel).publish({"k": 1}, exchange=exchange, routing_key="interactive")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'broker.db'}")
    with engine.connect() as db:
        rows = db.execute(
            sa.text("SELECT visible, version, q.name FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, 1, "interactive")]
