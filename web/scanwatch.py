"""``compliance scan``: start a scan and draw its progress (done/total, rate, errors) until it ends.

The scan is stored and queued for the workers (or, with ``--inline``, run in a thread of this
process); the progress bar reads the scan's row, so it shows the same figures as the API. The
exit code is 0 when the scan finished, 1 when it failed, 2 when watching timed out.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from compliance.settings import Settings

POLL_SECONDS = 0.5
BAR_WIDTH = 30


def run_and_watch(
    settings: Settings,
    kind: str,
    value: str | list[str],
    *,
    inline: bool = False,
    wait: bool = True,
    timeout: float | None = None,
    out: TextIO | None = None,
) -> int:
    """Store a scan of ``kind``/``value``, run or queue it, and watch it; returns the exit code."""
    from compliance.services import scans, targets
    from compliance.storage.db import session_scope
    from compliance.storage.tables import ScanStatus, ScanTrigger
    from web.db import Database

    out = out or sys.stderr
    database = Database.from_settings(settings)
    with session_scope(database.session_factory) as session:
        normalised = targets.normalise_value(kind, value)
        target = next(
            (t for t in targets.list_targets(session, enabled=True) if t.kind == kind and t.value == normalised),
            None,
        ) or targets.create_target(session, kind=kind, value=normalised, actor="cli", schedule=False)
        assert target.id is not None
        scan = scans.start_scan(session, target_id=target.id, trigger=ScanTrigger.CLI, requested_by="cli")
        scan_id, queued = scan.id, scan.status == ScanStatus.QUEUED
        if scan.status == ScanStatus.RUNNING and not inline and scan_id is not None:
            # A scan already under way whose runners died is taken over now (sent once this commits).
            from compliance.services.runners import recover

            queued = bool(recover(session, scan_ids=[scan_id]).dispatch)
    assert scan_id is not None
    print(f"scan {scan_id} of {target.name}", file=out, flush=True)
    runner: threading.Thread | None = None
    errors: list[BaseException] = []
    if inline:
        runner = threading.Thread(target=_run_inline, args=(settings, database, scan_id, errors), daemon=True)
        runner.start()
    elif queued:
        from web.worker.celery_app import create_celery
        from web.worker.enqueue import send_scan

        send_scan(create_celery(settings, register_tasks=False), scan_id)
    if not wait:
        print(scan_id)
        return 0
    code = watch(database, scan_id, timeout=timeout, out=out)
    if runner is not None:
        runner.join(timeout=5)
        if errors:
            raise errors[0]
    return code


def _run_inline(settings: Settings, database: Any, scan_id: int, errors: list[BaseException]) -> None:
    from compliance.services.scans import run_scan
    from web.worker.listing import HubLister

    try:
        run_scan(database.session_factory, scan_id, settings=settings, lister=HubLister.from_settings(settings))
    except BaseException as exc:  # reported by the watcher's thread
        errors.append(exc)


def watch(database: Any, scan_id: int, *, timeout: float | None = None, out: TextIO | None = None) -> int:
    """Redraw the progress line until the scan is done or failed (or ``timeout`` passes)."""
    from compliance.services.scans import get_scan, scan_progress

    out = out or sys.stderr
    deadline = None if timeout is None else time.monotonic() + timeout
    tty = out.isatty()
    last = ""
    while True:
        with database.session() as session:
            scan = get_scan(session, scan_id)
            assert scan is not None
            progress = scan_progress(scan)
        line = progress_line(progress)
        if line != last:
            print(("\r" + line) if tty else line, end="" if tty else "\n", file=out, flush=True)
            last = line
        if progress["status"] in ("done", "failed"):
            if tty:
                print(file=out)
            if progress["status"] == "failed":
                print(f"scan {scan_id} failed: {progress['error']}", file=out)
                return 1
            print(f"scan {scan_id} done: {progress['changes']} change(s)", file=out)
            return 0
        if deadline is not None and time.monotonic() >= deadline:
            if tty:
                print(file=out)
            print(f"scan {scan_id} still {progress['status']}; stopped watching", file=out)
            return 2
        time.sleep(POLL_SECONDS)


def progress_line(progress: dict[str, Any]) -> str:
    """``[#####.....] 1234/10000 done, 12 skipped, 3 errors, 98.5/s, ETA 90 s``."""
    total = int(progress["total"])
    finished = int(progress["done"]) + int(progress["errors"]) + int(progress["skipped"])
    share = finished / total if total else 0.0
    filled = round(share * BAR_WIDTH)
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    listing = "" if progress["listing_finished"] else "+"
    eta = f", ETA {progress['eta_seconds']:.0f} s" if progress.get("eta_seconds") is not None else ""
    return (
        f"[{bar}] {finished}/{total}{listing} ({progress['done']} checked, {progress['skipped']} unchanged, "
        f"{progress['errors']} errors) {progress['rate_per_second']:.1f}/s{eta}"
    )
