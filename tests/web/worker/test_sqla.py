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


def _messages(tmp_path: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'broker.db'}")
    try:
        with engine.connect() as db:
            return int(db.execute(sa.text("SELECT count(*) FROM kombu_message")).scalar_one())
    finally:
        engine.dispose()


def _published(connection: Connection, name: str, *payloads: dict[str, int]) -> Queue:
    """Declare queue ``name`` (with its direct exchange) and publish ``payloads`` to it."""
    exchange = Exchange(name, type="direct")
    queue = Queue(name, exchange, routing_key=name)
    queue.bind(connection.default_channel).declare()
    producer = Producer(connection.default_channel)
    for payload in payloads:
        producer.publish(payload, exchange=exchange, routing_key=name)
    return queue


def test_consumed_messages_leave_no_rows(tmp_path: Path) -> None:
    with _connection(tmp_path) as connection:
        queue = _published(connection, "ci", *({"n": n} for n in range(20)))
        assert _messages(tmp_path) == 20
        got = []
        with connection.Consumer(queue, callbacks=[lambda body, message: (got.append(body["n"]), message.ack())]):
            while len(got) < 20:
                connection.drain_events(timeout=5)
        assert got == list(range(20))
    assert _messages(tmp_path) == 0


def test_a_fetched_unacknowledged_message_comes_back_when_the_channel_closes(tmp_path: Path) -> None:
    with _connection(tmp_path) as connection:
        queue = _published(connection, "scan", {"scan": 7})
        channel = connection.channel()
        fetched = queue.bind(channel).get(no_ack=False)
        assert fetched is not None and fetched.payload == {"scan": 7}
        assert _messages(tmp_path) == 0  # deleted with the fetch: only this channel holds it now
        channel.close()  # a warm shutdown: kombu's QoS publishes unacknowledged messages again
        again = queue.bind(connection.default_channel).get(no_ack=False)
        assert again is not None and again.payload == {"scan": 7}
        again.ack()
    assert _messages(tmp_path) == 0


def test_a_rejected_message_is_requeued(tmp_path: Path) -> None:
    with _connection(tmp_path) as connection:
        queue = _published(connection, "ci", {"k": 1})
        bound = queue.bind(connection.default_channel)
        first = bound.get(no_ack=False)
        assert first is not None
        first.reject(requeue=True)
        again = bound.get(no_ack=False)
        assert again is not None and again.payload == {"k": 1}
        again.ack()
        assert bound.get(no_ack=False) is None


def test_rows_the_stock_transport_left_invisible_are_swept(tmp_path: Path) -> None:
    with _connection(tmp_path) as connection:
        queue = _published(connection, "ci", {"n": 0}, {"n": 1}, {"n": 2})
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'broker.db'}")
    with engine.begin() as db:  # what the stock transport leaves behind after delivering two
        db.execute(sa.text("UPDATE kombu_message SET visible = 0 WHERE id IN (SELECT id FROM kombu_message LIMIT 2)"))
    engine.dispose()
    with _connection(tmp_path) as connection:
        message = queue.bind(connection.default_channel).get(no_ack=True)
        assert message is not None and message.payload == {"n": 2}
    assert _messages(tmp_path) == 0
