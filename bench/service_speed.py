"""The service under load: registry scans with real workers, a 1% rescan, scan memory, API latency.

Figures (embedded default: SQLite in WAL mode and kombu's SQLAlchemy transport; the project's hub
server with ``DemoRegistry(synthetic=N)`` in this process, on loopback):

1. scan of N models (default 10,000) by two worker processes (one runner each): models per
   second from the scan's start to its end (aim 100/s on a 2-core machine);
2. rescan after 1% of the models got a new commit: requests the hub received, split into listing
   pages and per-model requests (aim: the listing pages plus the changed models' inspections);
3. peak resident memory of each worker's pool process during a scan of 1,000 and of N models
   (``VmHWM``; aim: flat in the target size);
4. API latency through ``compliance serve`` (waitress; with ``--web-workers N``, N gunicorn
   processes, PostgreSQL only) with 100,000 checks stored (bulk-inserted): p50/p95 of
   ``POST /api/v1/checks`` and of ``GET /api/v1/checks/{id}`` (a ~70 kB report), 8 concurrent
   clients (aim p95 < 50 ms).

Figures are printed even when an aim is missed, with what limits them. Run alone with
``python -m bench.service_speed [--models N] [--checks N] [--backend postgres [--web-workers 2]]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 8


def _options(args: Any) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.service_speed")
    parser.add_argument("--models", type=int, default=10_000, help="models in the large scan (default 10000)")
    parser.add_argument("--small", type=int, default=1_000, help="models in the small scan (default 1000)")
    parser.add_argument("--checks", type=int, default=100_000, help="checks stored for the latency test")
    parser.add_argument("--requests", type=int, default=400, help="requests per latency figure")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="sqlite: the embedded default; postgres: PostgreSQL and Redis on loopback (production)",
    )
    parser.add_argument(
        "--web-workers",
        type=int,
        default=1,
        help="server processes for the latency figures (compliance serve --workers; above 1 needs postgres)",
    )
    if isinstance(args, list):
        return parser.parse_args(args)
    return parser.parse_args([])


def _environment(home: Path) -> None:
    # huggingface_hub reads these when first imported (workers inherit them).
    os.environ.setdefault("HF_HOME", str(home / "hf"))
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_HUB_DISABLE_XET"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        os.environ.pop(name, None)


class Stack:
    """One data directory (database and broker), its settings and the processes started on it."""

    def __init__(self, workdir: Path, hub_url: str, extra: dict[str, str] | None = None) -> None:
        from compliance.settings import load_settings
        from web.db import Database

        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
        self.env.update(
            COMPLIANCE_DATA_DIR=str(workdir / "var"),
            COMPLIANCE_HF_ENDPOINT=hub_url,
            PYTHONPATH=str(ROOT),
            **(extra or {}),
        )
        self.settings = load_settings(self.env)
        self.database = Database.from_settings(self.settings)
        self.database.migrate()
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, ready: str | None = None) -> subprocess.Popen[bytes]:
        """Start ``python -m web ARGS``; wait for ``ready`` in its output."""
        log = self.workdir / f"proc-{len(self.procs)}.log"
        with log.open("wb") as handle:
            proc = subprocess.Popen([sys.executable, "-m", "web", *args], env=self.env, stdout=handle,
                                    stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.procs.append(proc)
        deadline = time.monotonic() + 60
        while ready and ready not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args[0]} did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        return proc

    def stop(self) -> None:
        """Stop every process started here."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()

    def token(self) -> str:
        """A new admin token."""
        from compliance.services.tokens import create_token
        from compliance.storage.db import session_scope

        with session_scope(self.database.session_factory) as session:
            return create_token(session, name=f"bench-{random.random()}", role="admin", created_by="bench")[1]


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        out += [int(p) for p in task.read_text().split()]
    return out


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _scan(stack: Stack, author: str) -> tuple[int, Any]:
    """Start a scan of ``author`` through the services (as the API does) and queue its runners."""
    from compliance.services import scans, targets
    from compliance.storage.db import session_scope
    from web.worker.celery_app import create_celery
    from web.worker.enqueue import send_scan

    with session_scope(stack.database.session_factory) as session:
        found = [t for t in targets.list_targets(session) if t.value == author]
        target = found[0] if found else targets.create_target(session, kind="author", value=author, actor="bench",
                                                              schedule=False)  # fmt: skip
        assert target.id is not None
        scan_id = scans.start_scan(session, target_id=target.id, trigger="api", requested_by="bench").id
    assert scan_id is not None
    send_scan(create_celery(stack.settings, register_tasks=False), scan_id)
    return scan_id, _wait_scan(stack, scan_id)


def _wait_scan(stack: Stack, scan_id: int) -> Any:
    from compliance.services.scans import get_scan

    while True:
        with stack.database.session() as session:
            scan = get_scan(session, scan_id)
            assert scan is not None
            if scan.status in ("done", "failed"):
                return scan
        time.sleep(0.5)


def _workers(stack: Stack, count: int = 2) -> list[int]:
    pids = []
    for n in range(count):
        proc = stack.start("worker", "--queues", "scan", "--concurrency", "1", "--loglevel", "INFO",
                           "--hostname", f"bench{n}@%h", ready=" ready.")  # fmt: skip
        pids.append(proc.pid)
    return pids


def scan_figures(opts: argparse.Namespace, home: Path) -> None:
    """Figures 1 to 3."""
    from web.hubserver import DemoRegistry, create_hub_app, hub_state, start_hub_server
    from web.hubserver.demo import repo_from_entry

    for size in sorted({opts.small, opts.models}):
        registry = DemoRegistry(synthetic=size)
        app = create_hub_app(registry, controls=True)
        url, stop_hub = start_hub_server(app)
        backend = _backend(opts.backend)
        stack = Stack(home / f"scan-{size}", url, backend.__enter__())
        try:
            pids = _workers(stack)
            _, scan = _scan(stack, "synthetic")
            elapsed = (scan.finished_at - scan.started_at).total_seconds()
            rate = scan.done / elapsed if elapsed else 0.0
            peaks = [_peak_rss_mb(child) for pid in pids for child in _children(pid)]
            _print_errors(stack, scan.id)
            print(f"   [{opts.backend}] scan of {scan.total:,} models, 2 workers: {elapsed:.1f} s, {rate:.1f} models/s "
                  f"({scan.done:,} checked, {scan.errors} errors)  [aim 100/s]")  # fmt: skip
            print(f"   peak RSS per worker pool process, {size:,}-model scan: "
                  f"{', '.join(f'{p:.0f} MB' for p in peaks)}  [aim: flat in target size]")  # fmt: skip
            if size == opts.models:
                changed = sorted(random.Random(7).sample(range(size), max(1, size // 100)))
                for k in changed:
                    entry = dict(registry.entries[f"synthetic/llama-{k:04d}"])
                    entry["card"] = {**entry["card"], "body": entry["card"]["body"] + "\nRevised card.\n"}
                    registry.entries[entry["id"]] = entry
                    registry.add(repo_from_entry(entry))
                state = hub_state(app).controls
                state.clear_log()
                started = time.perf_counter()
                _, rescan = _scan(stack, "synthetic")
                took = time.perf_counter() - started
                log = [e for e in state.log() if e["path"] != "/api/agent-harnesses"]
                pages = sum(1 for e in log if e["path"] == "/api/models")
                per_model = len(log) - pages
                print(f"   rescan with {len(changed)} of {size:,} changed: {len(log)} requests = {pages} listing pages "
                      f"+ {per_model} for models ({per_model / len(changed):.1f} per changed model); "
                      f"{rescan.done} re-checked, {rescan.skipped:,} skipped, {took:.1f} s  "
                      f"[aim: pages + changed models]")  # fmt: skip
        finally:
            stack.stop()
            stack.database.dispose()
            stop_hub()
            backend.__exit__(None, None, None)


def _print_errors(stack: Stack, scan_id: int) -> None:
    """The first failed items of a scan, so an error count never stands unexplained."""
    from sqlmodel import select

    from compliance.storage.tables import ScanItemRow

    with stack.database.session() as session:
        rows = session.exec(
            select(ScanItemRow).where(ScanItemRow.scan_id == scan_id, ScanItemRow.status == "failed").limit(3)
        ).all()
    for row in rows:
        print(f"     failed: {row.model_id}: {(row.error or '')[:200]}")


@contextmanager
def _backend(name: str) -> Iterator[dict[str, str]]:
    """Settings for the chosen backend; for PostgreSQL a throwaway database, dropped afterwards."""
    if name == "sqlite":
        yield {}
        return
    import psycopg

    admin = "postgresql://postgres@127.0.0.1:5432/test"
    db = f"bench_{random.randrange(1 << 30):x}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    try:
        yield {
            "COMPLIANCE_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}",
            "COMPLIANCE_BROKER_URL": "redis://127.0.0.1:6379/14",
            "COMPLIANCE_RESULT_BACKEND": "redis://127.0.0.1:6379/14",
        }
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def _bulk_checks(stack: Stack, count: int) -> list[str]:
    """Store ``count`` finished checks with a real report each, fast: one report, compressed once."""
    import zlib

    import sqlalchemy as sa

    from compliance.demo import build
    from compliance.inspection import inspect_local
    from compliance.storage.tables import new_check_id, utcnow

    directory = build(stack.workdir / "model")
    report = _report(directory, inspect_local)
    blob = zlib.compress(json.dumps(report, separators=(",", ":")).encode(), 6)
    inputs = zlib.compress(b'{"options":{},"uploaded":null}', 6)
    checks = sa.table("checks", *(sa.column(c) for c in (
        "id", "model_ref", "source", "status", "outcome", "exit_code", "attempts", "created_at", "finished_at",
        "queue", "as_of", "rules_hash")))  # fmt: skip
    data = sa.table("check_data", sa.column("check_id"), sa.column("inputs"), sa.column("report"))
    ids = []
    now = utcnow().replace(tzinfo=None)
    with stack.database.engine.begin() as connection:
        for start in range(0, count, 5000):
            batch = [new_check_id() for _ in range(min(5000, count - start))]
            ids += batch
            connection.execute(sa.insert(checks), [
                {"id": i, "model_ref": f"org{n % 500}/model-{n}", "source": "ci", "status": "done", "outcome": "fail",
                 "exit_code": 1, "attempts": 1, "created_at": now, "finished_at": now, "queue": "ci",
                 "as_of": None, "rules_hash": "0" * 64}
                for n, i in enumerate(batch, start)
            ])  # fmt: skip
            connection.execute(sa.insert(data), [{"check_id": i, "inputs": inputs, "report": blob} for i in batch])
    return ids


def _report(directory: Path, inspect_local: Any) -> dict[str, Any]:
    from datetime import date

    from compliance.check import CheckOptions, run_check

    result: dict[str, Any] = run_check(inspect_local(directory), CheckOptions(as_of=date.today())).to_dict()
    return result


@contextmanager
def _server(stack: Stack, port: int, workers: int = 1) -> Iterator[str]:
    proc = stack.start("serve", "--port", str(port), "--threads", "8", "--workers", str(workers), ready="serving on")
    url = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = http.client.HTTPConnection(url, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def _load(url: str, token: str, requests: list[tuple[str, str, bytes | None]]) -> list[float]:
    """Send ``requests`` from CLIENTS threads with keep-alive connections; latencies in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    queue = list(requests)

    def client() -> None:
        conn = http.client.HTTPConnection(url, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        while True:
            with lock:
                if not queue:
                    return
                method, path, body = queue.pop()
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
            took = (time.perf_counter() - started) * 1000
            if response.status >= 300:
                raise RuntimeError(f"{method} {path}: {response.status} {answer[:300]!r}")
            with lock:
                latencies.append(took)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms"


def latency_figures(opts: argparse.Namespace, home: Path) -> None:
    """Figure 4."""
    backend = _backend(opts.backend)
    # One token sends every submission and no worker drains them: the limits are raised so the
    # figure is the latency of an accepted submission (the limit checks still run on each).
    limits = {"COMPLIANCE_API_BURST": str(opts.requests), "COMPLIANCE_API_PER_MINUTE": str(opts.requests)}
    limits["COMPLIANCE_QUEUE_DEPTH"] = str(opts.requests + 1)
    stack = Stack(home / "api", "http://127.0.0.1:9", {**backend.__enter__(), **limits})
    try:
        started = time.perf_counter()
        ids = _bulk_checks(stack, opts.checks)
        print(f"   stored {len(ids):,} checks with reports in {time.perf_counter() - started:.1f} s (bulk inserts)")
        token = stack.token()
        with _server(stack, _free_port(), opts.web_workers) as url:
            _load(url, token, [("GET", f"/api/v1/checks/{ids[0]}", None)] * 20)  # warm up
            body = json.dumps({"model": "acme/model", "markets": ["EU"], "destination": "AE"}).encode()
            submits = _load(url, token, [("POST", "/api/v1/checks", body)] * opts.requests)
            reads = _load(url, token, [("GET", f"/api/v1/checks/{random.choice(ids)}", None)
                                       for _ in range(opts.requests)])  # fmt: skip
        where = f"[{opts.backend}, {opts.web_workers} server process{'es' if opts.web_workers > 1 else ''}] "
        print(f"   {where}submit a check, {CLIENTS} clients: {_percentiles(submits)}  [aim p95 < 50 ms]")
        print(f"   {where}read a check with its report, {CLIENTS} clients: {_percentiles(reads)}  [aim p95 < 50 ms]")
    finally:
        stack.stop()
        stack.database.dispose()
        backend.__exit__(None, None, None)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(args: Any = None) -> None:
    """Print the figures (see the module docstring)."""
    opts = _options(args if isinstance(args, list) else None)
    with tempfile.TemporaryDirectory(prefix="service-speed-") as tmp:
        home = Path(tmp)
        _environment(home)
        scan_figures(opts, home)
        latency_figures(opts, home)


if __name__ == "__main__":
    main(sys.argv[1:])
