"""``make run``'s process handling: children stopped with SIGTERM, SIGKILL only after the workers' grace."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from compliance.settings import Settings
from web.run import KILL_MARGIN_SECONDS, Children, kill_grace

# A child that says it is ready, then sleeps; with "ignore" it shrugs off SIGTERM.
CHILD = """
import signal, sys, time
if sys.argv[1] == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""


def test_the_kill_comes_after_the_workers_shutdown_grace(tmp_path: Path) -> None:
    assert kill_grace(Settings(data_dir=tmp_path)) == 10.0 + KILL_MARGIN_SECONDS == 15.0
    assert kill_grace(Settings(data_dir=tmp_path, worker_shutdown_grace=30.0)) == 35.0


def _start(children: Children, name: str, mode: str) -> None:
    import subprocess

    proc = children.start(name, ["-c", CHILD, mode], dict(os.environ), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"


def test_stop_terminates_then_kills_only_what_outlives_the_grace() -> None:
    children = Children(grace=1.0)
    _start(children, "polite", "exit")
    _start(children, "stubborn", "ignore")
    started = time.monotonic()
    children.stop()
    elapsed = time.monotonic() - started
    assert children.procs["polite"].returncode == -signal.SIGTERM
    assert children.procs["stubborn"].returncode == -signal.SIGKILL
    assert 1.0 <= elapsed < 5.0, elapsed
    for proc in children.procs.values():
        assert proc.stdout is not None
        proc.stdout.close()
