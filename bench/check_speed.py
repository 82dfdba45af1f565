"""Wall time of a whole ``compliance check`` of a local directory against every shipped rule set.

Aim: under 0.5 s, dominated by interpreter start; the ratio to ``python -c pass`` is printed.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RUNS = 9


def _median(cmd: list[str], ok: tuple[int, ...] = (0,)) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        samples.append(time.perf_counter() - started)
        if proc.returncode not in ok:
            raise RuntimeError(f"{' '.join(cmd[:4])} exited {proc.returncode}: {proc.stderr.strip()[:300]}")
    return statistics.median(samples)


def main(args: Any) -> None:
    """Time the demo model's check (all rule sets, destination and hardware given)."""
    from bench.inspect_speed import precompile
    from compliance.demo import build

    precompile()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        target = build(Path(tmp) / "assistant-8b")
        # The demo card names a hub base: --offline keeps the lookup to the local hub cache, so the figure
        # is the gate's own cost, not a remote hub's latency or, with no network, the client's retries.
        cmd = [sys.executable, "-m", "compliance", "check", str(target), "--destination", "CN",
               "--hardware", "H100x8", "--market", "EU", "--format", "json", "--offline"]  # fmt: skip
        t_check = _median(cmd, ok=(0, 1, 2))
        t_pass = _median([sys.executable, "-c", "pass"])
        print(f"   python -c pass: {t_pass * 1000:.1f} ms")
        print(
            f"   compliance check --offline, all rule sets (median of {RUNS}): {t_check * 1000:.1f} ms  (aim < 500 ms)"
        )
        print(f"   ratio to python -c pass: {t_check / t_pass:.1f}")
