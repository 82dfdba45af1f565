"""The Celery application, built from Settings by a factory (nothing happens at import).

Four queues keep work classes apart: ``ci`` (checks submitted by CI gates through the API),
``interactive`` (people waiting on the dashboard), ``scan`` (registry sweeps and rule
re-evaluation: one long task per runner) and ``housekeeping`` (beat's tick, waiver expiry, and
the short tasks that start a scheduled scan or re-evaluation). A nightly sweep must never hold
the slots CI checks need: run the scan queue on its own worker pool (``compliance worker
--queues scan``) and the two check queues on another (``compliance worker --queues
ci,interactive``), which is what ``make run`` does. A worker given all queues still works (the
default for a one-process trial), but brokers do not promise strict priority between queues, so
only separate pools guarantee that a sweep cannot starve a gate.

Housekeeping has a queue of its own because its tasks used to share ``scan``: while runners held
every slot of the scan pool, the tick (which also re-queues lost work) and the scheduled starts
waited behind them and expired. Every worker consumes ``housekeeping`` after its own queues
(``compliance worker`` appends it unless told ``--no-housekeeping``); its tasks last seconds
(time limits of one to two minutes), so the check pool, which is rarely busy for long, takes
them while the scan pool is full.

Every task acknowledges late and is rejected back to the queue if its pool process dies, so a
killed worker's task runs again; the services make that safe (idempotency keys, conditional
claims). A worker stopped warmly puts the messages it fetched and did not start back on the
broker. A worker killed outright (``SIGKILL`` of the main process) takes them with it on the
embedded broker (kombu's SQLAlchemy transport; :mod:`web.worker.sqla` deletes a message when it
is fetched) and on Redis until the visibility timeout, so scans do not wait for the broker: every
worker's watchdog (:mod:`web.worker.watchdog`), its start and the beat tick take over a scan whose
runners' leases ran out, and re-send checks whose worker was lost (:mod:`web.worker.recovery`).

On Redis a message not acknowledged within :data:`REDIS_VISIBILITY_TIMEOUT` is delivered again.
The value fits checks, which a time limit stops after :data:`CHECK_TIME_LIMIT`: a check still
unacknowledged after twice that is lost, and comes back within minutes rather than Redis's
default hour. Scan runners run for longer; the copy Redis delivers of a live runner's message
carries the same task id, which the scan runners table refuses, so the copy exits at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from compliance.services.schedules import EXPIRE_WAIVERS_TASK, REEVALUATE_TASK, SCAN_TARGET_TASK
from compliance.settings import Settings

CHECK_QUEUES = ("ci", "interactive")
SCAN_QUEUE = "scan"
HOUSEKEEPING_QUEUE = "housekeeping"
QUEUES = (*CHECK_QUEUES, SCAN_QUEUE, HOUSEKEEPING_QUEUE)
TICK_TASK = "compliance.schedules.tick"
# Short tasks that start or tidy work; none may wait behind a sweep.
HOUSEKEEPING_TASKS = (TICK_TASK, EXPIRE_WAIVERS_TASK, SCAN_TARGET_TASK, REEVALUATE_TASK)
CHECK_TIME_LIMIT = 300  # seconds; a check reads kilobytes, so this only stops a stuck worker
SCAN_TIME_LIMIT = 24 * 3600  # one runner of one scan; a resumed scan starts a new budget
TICK_SECONDS = 30.0
TICK_ENTRY = "schedules-tick"
REDIS_VISIBILITY_TIMEOUT = 2 * CHECK_TIME_LIMIT + 60  # seconds; why it fits: see the module docstring
_SETTINGS_KEY = "compliance_settings"
# Set by ``compliance worker --shutdown-grace`` and ``--lease``; readers fall back to the settings.
SHUTDOWN_GRACE_KEY = "compliance_shutdown_grace"
LEASE_KEY = "compliance_scan_lease"


@dataclass
class Runtime:
    """What tasks need at run time, created once per worker process (after the fork)."""

    settings: Settings
    database: Any  # web.db.Database
    rulebook: Any = None  # compliance.rules.RuleBook, loaded on first use
    options: dict[str, Any] = field(default_factory=dict)

    def book(self) -> Any:
        """The rule sets, loaded once per process (a worker restart picks up new rules)."""
        if self.rulebook is None:
            from compliance.check import load_rulebook

            self.rulebook = load_rulebook(list(self.settings.rules_paths) or None)
        return self.rulebook


def create_celery(settings: Settings, *, register_tasks: bool = True) -> Celery:
    """Build the Celery app for these settings; ``register_tasks`` imports the task module.

    The web process passes ``register_tasks=False``: it only sends tasks, by name.
    """
    if not settings.broker_url or not settings.result_backend:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    broker = settings.effective_broker_url
    transport: Any = None
    if broker.startswith("sqla+"):
        from web.worker.sqla import Transport

        broker, transport = broker.removeprefix("sqla+"), Transport
    app = Celery("compliance", broker=broker, backend=settings.effective_result_backend)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,  # results live in our own tables
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue="interactive",
        # One direct exchange per queue, so a message reaches exactly the queue it was sent to.
        task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES],
        task_default_exchange="interactive",
        task_default_routing_key="interactive",
        task_create_missing_queues=False,
        # Exact names win over patterns (celery.app.routes.MapRoute), so the housekeeping tasks
        # named under compliance.scans.* still leave the scan queue to runners.
        task_routes={
            **{name: {"queue": HOUSEKEEPING_QUEUE} for name in HOUSEKEEPING_TASKS},
            "compliance.scans.*": {"queue": SCAN_QUEUE},
            "compliance.waivers.*": {"queue": HOUSEKEEPING_QUEUE},
            "compliance.schedules.*": {"queue": HOUSEKEEPING_QUEUE},
        },
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        beat_schedule={
            # The schedules themselves are data (the schedules table, editable through the
            # API); beat only ticks, and the tick starts whatever is due.
            TICK_ENTRY: {"task": TICK_TASK, "schedule": TICK_SECONDS},
        },
        timezone="UTC",
    )
    if transport is not None:
        # The SQLAlchemy transport polls; a short interval keeps interactive checks snappy.
        app.conf.broker_transport = transport
    elif settings.effective_broker_url.startswith(("redis://", "rediss://")):
        # Without this a message a dead worker had fetched comes back only after an hour; the
        # runners' leases cover scans, this covers checks.
        app.conf.broker_transport_options = {"visibility_timeout": REDIS_VISIBILITY_TIMEOUT}
    app.conf[_SETTINGS_KEY] = settings
    if register_tasks:
        from web.worker import tasks  # noqa: F401  registers the shared tasks with this app

    app.set_default()
    return app


def celery_settings(app: Celery) -> Settings:
    """The settings ``app`` was built from."""
    settings: Settings = app.conf[_SETTINGS_KEY]
    return settings


_runtime: Runtime | None = None


def runtime(app: Celery) -> Runtime:
    """The worker process's Runtime (engine created lazily, once per process, after fork)."""
    global _runtime
    if _runtime is None:
        from web.db import Database

        settings = celery_settings(app)
        _runtime = Runtime(settings=settings, database=Database.from_settings(settings))
    return _runtime


def reset_runtime(*, close: bool = True) -> None:
    """Forget the process's Runtime; a forked child passes ``close=False`` (the sockets are its parent's)."""
    global _runtime
    if _runtime is not None:
        _runtime.database.engine.dispose(close=close)
    _runtime = None
