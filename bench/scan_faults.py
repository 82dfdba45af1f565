"""Scan workers killed and stopped mid-scan, with the default lease: how soon the scan resumes, what is redone.

One registry scan of N synthetic models (default 500, the project's hub server in this process,
each model request slowed by 20 ms) on real ``python -m web worker --queues scan --concurrency 2``
processes, no beat. While a batch is in flight:

1. the worker is killed (SIGKILL of its process group) while a second worker is already running:
   seconds from the kill to the first model finished after it;
2. the worker is killed and a replacement started at once (twice): seconds from the
   replacement's start to the first model finished after it;
3. the worker is stopped (SIGTERM to its main process, a warm shutdown): seconds to its exit
   (aim: within ``COMPLIANCE_WORKER_SHUTDOWN_GRACE``, 10 s), models it stored in the grace and
   models it handed back, then seconds from the next worker's start to the first model finished.

For each kill, the models redone: those claimed and not stored at the kill (``running`` right
after it), per runner (bound: one batch, 50) and per worker (bound: 50 x concurrency 2). Each
latency is split into when the dead runners were declared lost, when a new runner started and
when the first model was stored. The scan must end done with every model exactly once.

Backends: embedded (SQLite and kombu's SQLAlchemy transport), and PostgreSQL with Redis when both
answer on loopback. Run alone with ``python -m bench.scan_faults [--models N]``.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SCAN_WORKER = ("--queues", "scan", "--concurrency", "2")
RESUME_AIM = 30.0
GRACE = 10.0


def _options(args: Any) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scan_faults")
    parser.add_argument("--models", type=int, default=500, help="models in the scan (default 500)")
    return parser.parse_args(args if isinstance(args, list) else [])


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _kill_line(name: str, fault: Any, since: str) -> str:
    from tests.web.integration.worker_faults import BATCH

    redone = fault.redone()
    per_runner = fault.after.held_per_runner()
    mark = "" if fault.latency < RESUME_AIM else "  MISSED"
    return (f"   [{name}] {fault.point}: resumed {fault.latency:.1f} s after {since} ({fault.timeline()})"
            f"  [aim < {RESUME_AIM:.0f} s]{mark}\n"
            f"   [{name}]   models redone: {len(redone)} per worker, per runner {per_runner}  "
            f"[bound {BATCH} per runner, {2 * BATCH} per worker]")  # fmt: skip


def run(name: str, home: Path, hub: Any, models: int) -> None:
    """One backend: three kills and a warm stop on one scan; prints a line per fault."""
    from tests.web.integration.worker_faults import (
        duplicates,
        inject,
        mid_batch,
        own_stack,
        settled,
        start_scan,
        unchanged,
        wait_snapshot,
    )

    started = time.perf_counter()
    with own_stack(name, home / name, hub.url) as stack:
        app = stack.app()
        factory = app.extensions["compliance"].database.session_factory
        first = stack.start_worker(*SCAN_WORKER)
        scan_id = start_scan(stack, app)
        mid_batch(factory, scan_id, hub, first, timeout=120)
        survivor = stack.start_worker(*SCAN_WORKER)
        faults = []
        fault, _ = inject(
            stack, factory, scan_id, first, how="kill", point="kill 1, a second worker running", timeout=120
        )
        print(_kill_line(name, fault, "the kill"))
        faults.append(fault)
        current = survivor
        for n in (2, 3):
            mid_batch(factory, scan_id, hub, current, timeout=120)
            point = f"kill {n}, replacement started"
            fault, new = inject(stack, factory, scan_id, current, how="kill", point=point, replacement=SCAN_WORKER,
                                timeout=120)  # fmt: skip
            print(_kill_line(name, fault, "the replacement's start"))
            faults.append(fault)
            assert new is not None
            current = new
        mid_batch(factory, scan_id, hub, current, timeout=120)
        fault, _ = inject(
            stack, factory, scan_id, current, how="stop", point="SIGTERM", replacement=SCAN_WORKER, timeout=120
        )
        states = sorted({fault.after.runners[r.id].state for r in fault.before.live()})
        mark = "" if fault.exit_seconds < GRACE else "  MISSED"
        print(f"   [{name}] SIGTERM: worker exited in {fault.exit_seconds:.1f} s  [aim < {GRACE:.0f} s]{mark}; "
              f"{len(fault.stored())} models stored in the grace, {len(fault.handed_back())} handed back, "
              f"runners {', '.join(states)}; "
              f"resumed {fault.latency:.1f} s after the next start ({fault.timeline()})")  # fmt: skip
        faults.append(fault)
        end = wait_snapshot(factory, scan_id, lambda s: s.status in ("done", "failed"), what="the end", timeout=300)
        problems = duplicates(factory, scan_id, models)
        left = settled(factory, scan_id)
        redone = sum(len(unchanged(f.after.finished(), end.finished())) for f in faults)
        print(f"   [{name}] scan of {models} models {end.status} in {time.perf_counter() - started:.0f} s with "
              f"3 kills and a stop: {'every model once' if not problems else '; '.join(problems)}; "
              f"finished models redone: {redone}; rows left: {left or 'none'}")  # fmt: skip


def main(args: Any = None) -> None:
    """Print the figures (see the module docstring)."""
    from tests.web.integration.worker_faults import slow_hub

    opts = _options(args)
    backends = ["embedded"]
    if _reachable(5432) and _reachable(6379):
        backends.append("postgres-redis")
    else:
        print("   postgres-redis: skipped (PostgreSQL on 5432 or Redis on 6379 not reachable)")
    with tempfile.TemporaryDirectory(prefix="scan-faults-") as tmp, slow_hub(opts.models) as hub:
        for name in backends:
            try:
                run(name, Path(tmp), hub, opts.models)
            except BaseException as exc:  # pytest.fail (a worker that did not start) is a BaseException
                if isinstance(exc, KeyboardInterrupt):
                    raise
                raise RuntimeError(f"{name}: {exc}") from exc


if __name__ == "__main__":
    main(sys.argv[1:])
