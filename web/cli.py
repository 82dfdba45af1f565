"""The service commands: ``serve``, ``worker``, ``beat``, ``db``, ``tokens``, ``users``, ``scan``.

Each is a ``compliance.commands`` entry point, a callable ``(argv) -> exit code`` that the core
CLI finds by name, so ``compliance`` itself never imports the web layer. Every command reads
the settings once, when it starts, and passes them down; errors are the project's
(``UsageError`` exits 4 with one line), raised to the core CLI's ``main``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from compliance.cli.parser import Parser
from compliance.errors import ServiceError, UsageError
from compliance.settings import load_settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
CLI_ACTOR = "cli"
ROLES = ("viewer", "submitter", "reviewer", "admin")  # compliance.services.roles, without importing storage


@contextmanager
def database_errors() -> Iterator[None]:
    """Database failures as one-line service errors (exit 2), with the likely fix."""
    import sqlalchemy as sa

    try:
        yield
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        first = str(exc.orig if getattr(exc, "orig", None) is not None else exc).splitlines()[0]
        raise ServiceError(f"database error: {first} (has `compliance db upgrade` been run?)") from None


def _parser(prog: str, description: str) -> Parser:
    return Parser(prog=f"compliance {prog}", description=description)


def serve(argv: list[str]) -> int:
    """``compliance serve [--host H] [--port P] [--threads N] [--workers N]``: the web app."""
    p = _parser(
        "serve",
        "Serve the web app and the API: one process on waitress, or with --workers N, N processes under "
        "gunicorn (a production WSGI server each).",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--threads", type=int, default=8, help="request threads per process (default 8)")
    p.add_argument(
        "--workers", type=int, default=1, help="server processes (default 1; more need PostgreSQL and a broker server)"
    )
    ns = p.parse_args(argv)
    if not 0 <= ns.port <= 65535 or not 1 <= ns.threads <= 256 or not 1 <= ns.workers <= 64:
        raise UsageError("--port must be 0-65535, --threads 1-256 and --workers 1-64")
    settings = load_settings()
    _require_drivers(settings)
    if ns.workers > 1:
        _refuse_embedded(settings)
    _probe_port(ns.host, ns.port)
    if ns.workers > 1:
        from web.prefork import PreforkServer

        PreforkServer(settings, host=ns.host, port=ns.port, workers=ns.workers, threads=ns.threads).run()
        return 0
    from waitress.server import create_server

    from web.app import create_app

    app = create_app(settings)
    try:
        server: Any = create_server(app, host=ns.host, port=ns.port, threads=ns.threads, ident="compliance")
    except OSError as exc:
        raise _cannot_listen(ns.host, ns.port, exc) from None
    # Announced once the socket is bound: scripts wait for this line.
    where = f"{getattr(server, 'effective_host', ns.host)}:{getattr(server, 'effective_port', ns.port)}"
    print(f"serving on http://{where}", file=sys.stderr, flush=True)
    server.run()
    return 0


def _cannot_listen(host: str, port: int, exc: OSError) -> ServiceError:
    import os

    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return ServiceError(f"cannot listen on {host}:{port}: {reason}")


def _probe_port(host: str, port: int) -> None:
    # Before anything connects or forks: waitress would fail after the app is built, and
    # gunicorn retries a taken port for five seconds, then exits 1 with its own log lines.
    # The probe binds with SO_REUSEADDR, as both servers do.
    import socket

    try:
        socket.create_server((host, port)).close()
    except OSError as exc:
        raise _cannot_listen(host, port, exc) from None


def _require_drivers(settings: Any) -> None:
    from web.db import require_drivers

    require_drivers(settings)


def _refuse_embedded(settings: Any) -> None:
    # SQLite lets one process write at a time: more processes add lock waits, not throughput
    # (measured: the same submit p95 with one and with two), and the embedded broker is a
    # SQLite file too. Refused rather than left to find out under load.
    embedded = [
        name
        for name, url in (
            ("COMPLIANCE_DATABASE_URL", settings.effective_database_url),
            ("COMPLIANCE_BROKER_URL", settings.effective_broker_url),
        )
        if "sqlite" in url.split(":", 1)[0]
    ]
    if embedded:
        raise UsageError(
            f"--workers above 1 needs a database and a broker that take writes from many processes "
            f"(PostgreSQL; Redis or RabbitMQ): set {' and '.join(embedded)}, or serve with one process"
        )


def worker(argv: list[str]) -> int:
    """``compliance worker [--queues ci,interactive,scan] [--concurrency N] [--no-housekeeping]
    [--shutdown-grace SECONDS] [--lease SECONDS]``: a Celery worker."""
    from compliance.settings import seconds_between
    from web.worker.celery_app import HOUSEKEEPING_QUEUE, QUEUES

    work_queues = [q for q in QUEUES if q != HOUSEKEEPING_QUEUE]
    p = _parser(
        "worker",
        "Run a Celery worker. Give the scan queue its own worker so sweeps never hold CI slots; "
        f"every worker also takes the short {HOUSEKEEPING_QUEUE} tasks (the tick, scheduled starts) after its queues.",
    )
    p.add_argument("--queues", default=",".join(work_queues), help="comma-separated queues, in order (default: all)")
    p.add_argument(
        "--no-housekeeping",
        action="store_true",
        help=f"do not also consume the {HOUSEKEEPING_QUEUE} queue (some other worker must)",
    )
    p.add_argument("--concurrency", type=int, default=None, help="pool processes (default: one per CPU)")
    p.add_argument("--pool", choices=("prefork", "solo", "threads"), default="prefork")
    p.add_argument("--loglevel", default="INFO")
    p.add_argument("--hostname", default=None, help="node name (default: a unique one per queue set)")
    p.add_argument(
        "--recover-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="send runners again to a scan whose last ones were sent this long ago and never started (default 300)",
    )
    p.add_argument(
        "--shutdown-grace",
        default=None,
        metavar="SECONDS",
        help="how long a warm shutdown may take, 2-3600 (default: COMPLIANCE_WORKER_SHUTDOWN_GRACE, 10)",
    )
    p.add_argument(
        "--lease",
        default=None,
        metavar="SECONDS",
        help="scan runner lease, 2-600 (default: COMPLIANCE_SCAN_LEASE_SECONDS, 15)",
    )
    ns = p.parse_args(argv)
    queues = [q.strip() for q in ns.queues.split(",") if q.strip()]
    unknown = [q for q in queues if q not in QUEUES]
    if not queues or unknown:
        raise UsageError(f"--queues takes some of {', '.join(QUEUES)}; got {ns.queues!r}")
    settings = load_settings()
    grace = seconds_between(ns.shutdown_grace, "--shutdown-grace", settings.worker_shutdown_grace, 2.0, 3600.0)
    lease = seconds_between(ns.lease, "--lease", settings.scan_lease_seconds, 2.0, 600.0)
    consumed = worker_queues(queues, housekeeping=not ns.no_housekeeping)
    from web.worker.celery_app import LEASE_KEY, SHUTDOWN_GRACE_KEY, create_celery
    from web.worker.tasks import RECOVER_AFTER_KEY

    _require_drivers(settings)  # the worker opens the database in its first task, after the fork
    app = create_celery(settings)
    app.conf[SHUTDOWN_GRACE_KEY] = grace
    app.conf[LEASE_KEY] = lease
    if ns.recover_after is not None:
        app.conf[RECOVER_AFTER_KEY] = ns.recover_after
    args = ["worker", "--queues", ",".join(consumed), "--pool", ns.pool, "--loglevel", ns.loglevel]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    if ns.concurrency:
        args += ["--concurrency", str(ns.concurrency)]
    args += ["--hostname", ns.hostname or f"{'+'.join(queues)}.%h.{_pid()}"]
    app.worker_main(args)
    return 0


def worker_queues(queues: list[str], *, housekeeping: bool = True) -> list[str]:
    """The queues a worker given ``queues`` consumes: those, then housekeeping (last, once) unless
    ``housekeeping`` is false. Every pool takes the short housekeeping tasks, so one whose slots
    are all held by scan runners does not leave the tick waiting."""
    from web.worker.celery_app import HOUSEKEEPING_QUEUE

    ordered = [q for q in dict.fromkeys(queues) if q != HOUSEKEEPING_QUEUE]
    if housekeeping or HOUSEKEEPING_QUEUE in queues:
        ordered.append(HOUSEKEEPING_QUEUE)
    return ordered


def _pid() -> int:
    import os

    return os.getpid()


def beat(argv: list[str]) -> int:
    """``compliance beat``: the ticker that starts due schedules (the schedules are rows, not code)."""
    p = _parser("beat", "Run Celery beat: it sends the tick that starts whatever the schedules table says is due.")
    p.add_argument("--loglevel", default="INFO")
    p.add_argument("--tick", type=float, default=None, metavar="SECONDS", help="seconds between ticks (default 30)")
    ns = p.parse_args(argv)
    if ns.tick is not None and not 0.5 <= ns.tick <= 3600:
        raise UsageError("--tick must be between 0.5 and 3600 seconds")
    from web.worker.celery_app import TICK_ENTRY, create_celery

    settings = load_settings()
    _require_drivers(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_celery(settings)
    if ns.tick is not None:
        app.conf.beat_schedule[TICK_ENTRY]["schedule"] = ns.tick
    state = settings.data_dir / "celerybeat-schedule"
    app.start(["beat", "--loglevel", ns.loglevel, "--schedule", str(state)])
    return 0


def db(argv: list[str]) -> int:
    """``compliance db upgrade|check|current``: migrations."""
    p = _parser("db", "Database migrations.")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("upgrade", help="migrate to the newest schema and add the default schedules")
    sub.add_parser("check", help="exit 1 if the tables and the migrations disagree")
    sub.add_parser("current", help="print the database's revision")
    ns = p.parse_args(argv)
    from compliance.storage.migrate import check_migrations, current_revision
    from web.db import Database

    settings = load_settings()
    database = Database.from_settings(settings)
    shown = database.engine.url.render_as_string(hide_password=True)
    if ns.action == "upgrade":
        database.migrate()
        created = ensure_defaults(database)
        print(f"{shown}: at revision {current_revision(database.url)}; {created} default schedule(s) added")
        return 0
    if ns.action == "current":
        print(current_revision(database.url) or "empty")
        return 0
    problems = check_migrations(database.url)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


def ensure_defaults(database: Any) -> int:
    """Add the daily re-evaluation and waiver-expiry schedules if they are missing."""
    from compliance.services.schedules import ensure_default_schedules
    from compliance.storage.db import session_scope

    with session_scope(database.session_factory) as session:
        return len(ensure_default_schedules(session))


def tokens(argv: list[str]) -> int:
    """``compliance tokens create --name N --role R | list | revoke ID``."""
    p = _parser("tokens", "API tokens. The secret is printed once, on the last line.")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = sub.add_parser("create", help="create a token and print it on the last line")
    c.add_argument("--name", required=True)
    c.add_argument("--role", required=True, choices=ROLES)
    sub.add_parser("list", help="live tokens")
    r = sub.add_parser("revoke", help="revoke a token by id")
    r.add_argument("token_id", type=int)
    ns = p.parse_args(argv)
    from compliance.services import tokens as service
    from compliance.storage.db import session_scope
    from web.db import Database

    database = Database.from_settings(load_settings())
    with database_errors(), session_scope(database.session_factory) as session:
        if ns.action == "create":
            row, plaintext = service.create_token(session, name=ns.name, role=ns.role, created_by=CLI_ACTOR)
            print(f"token {row.id} {row.name!r} role {row.role} (shown once; store it now):")
            print(plaintext)
        elif ns.action == "list":
            for t in service.list_tokens(session):
                used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "never"
                print(f"{t.id:>4}  {t.prefix}…  {t.role:<9}  {t.name}  (last used {used})")
        else:
            service.revoke_token(session, ns.token_id, actor=CLI_ACTOR)
            print(f"token {ns.token_id} revoked")
    return 0


def users(argv: list[str]) -> int:
    """``compliance users create | list | password | role | disable | enable | sign-out``.

    Every change but ``create`` and ``enable`` ends the account's dashboard sessions (the
    services do it), so a leaked session cookie stops working at once.
    """
    p = _parser("users", "Dashboard accounts.")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = sub.add_parser("create", help="create an account; the password is read from standard input")
    c.add_argument("email")
    c.add_argument("--role", required=True, choices=ROLES)
    c.add_argument("--password-stdin", action="store_true", required=True, help="read the password from stdin")
    sub.add_parser("list", help="accounts")
    pw = sub.add_parser("password", help="set a new password, read from standard input; ends its sessions")
    pw.add_argument("email")
    pw.add_argument("--password-stdin", action="store_true", required=True, help="read the password from stdin")
    r = sub.add_parser("role", help="change an account's role; ends its sessions")
    r.add_argument("email")
    r.add_argument("role", choices=ROLES)
    for action, text in (("disable", "disable an account; ends its sessions"), ("enable", "enable it again"),
                         ("sign-out", "end every dashboard session of an account")):  # fmt: skip
        sub.add_parser(action, help=text).add_argument("email")
    ns = p.parse_args(argv)
    from compliance.storage.db import session_scope
    from web.db import Database

    database = Database.from_settings(load_settings())
    with database_errors(), session_scope(database.session_factory) as session:
        for line in _users_action(session, ns):
            print(line)
    return 0


def _users_action(session: Any, ns: Any) -> list[str]:
    """Carry out one ``users`` action; returns the lines to print."""
    from compliance.services import users as service

    if ns.action == "list":
        return [f"{u.id:>4}  {u.role:<9}  {u.email}{'  (disabled)' if u.disabled else ''}"
                for u in service.list_users(session)]  # fmt: skip
    if ns.action == "create":
        password = sys.stdin.readline().rstrip("\r\n")
        row = service.create_user(session, email=ns.email, password=password, role=ns.role, created_by=CLI_ACTOR)
        return [f"user {row.id} {row.email} role {row.role} created"]
    found = service.get_user_by_email(session, ns.email)
    if found is None or found.id is None:
        raise UsageError(f"no account for {ns.email}")
    if ns.action == "role" and found.role == ns.role:
        return [f"user {found.id} {found.email} has role {ns.role} already"]
    if ns.action == "password":
        service.set_password(session, found.id, password=sys.stdin.readline().rstrip("\r\n"), actor=CLI_ACTOR)
    elif ns.action == "role":
        service.set_role(session, found.id, role=ns.role, actor=CLI_ACTOR)
    elif ns.action == "sign-out":
        service.end_sessions(session, found.id)
    else:
        service.set_disabled(session, found.id, disabled=ns.action == "disable", actor=CLI_ACTOR)
    ended = "" if ns.action == "enable" else "; its dashboard sessions are ended"
    return [f"user {found.id} {found.email}: {ns.action} done{ended}"]


def scan(argv: list[str]) -> int:
    """``compliance scan author:ORG | search:TEXT | ORG/NAME...``: run a scan and show its progress."""
    p = _parser("scan", "Scan a hub target and watch it: author:ORG, search:TEXT, or model ids.")
    p.add_argument("target", nargs="+", metavar="TARGET")
    p.add_argument("--inline", action="store_true", help="run the scan in this process instead of on the workers")
    p.add_argument("--no-wait", action="store_true", help="queue the scan, print its id and return")
    p.add_argument("--timeout", type=float, default=None, help="stop watching after this many seconds")
    ns = p.parse_args(argv)
    kind, value = parse_scan_target(ns.target)
    from web.scanwatch import run_and_watch

    with database_errors():
        return run_and_watch(load_settings(), kind, value, inline=ns.inline, wait=not ns.no_wait, timeout=ns.timeout)


def parse_scan_target(items: list[str]) -> tuple[str, str | list[str]]:
    """``author:ORG``, ``search:TEXT`` or model ids, as a target kind and value."""
    first = items[0]
    for kind in ("author", "search"):
        if first.startswith(kind + ":"):
            if len(items) > 1:
                raise UsageError(f"{kind}: takes one value; got {len(items)} targets")
            value = first.split(":", 1)[1].strip()
            if not value:
                raise UsageError(f"{kind}: needs a value, e.g. {kind}:acme")
            return kind, value
    if any(":" in item for item in items):
        raise UsageError("a target is author:ORG, search:TEXT, or model ids ORG/NAME")
    return "models", list(items)
