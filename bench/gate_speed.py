"""Time the CI gate, ``compliance check DIR --format json``, against a bare read of the same headers.

The directory is the 191-shard Llama 3.1 405B layout of :mod:`bench.inspect_speed`. Every
command is a whole process, run in turns (so drift in a shared machine's speed hits all alike),
and the median of each is compared with the bare interpreter reading the 191 headers:

- warm: every shipped rule set, the compiled rule-set cache filled by an earlier run
  (aim: at most 3x the bare read; stretch 2x);
- with outputs: the same plus ``--output sarif=… --output junit=…``;
- cold: a user rule file (beside every shipped set) changed before each run, so that file is
  parsed and validated again (aim: at most 0.310 s, the whole check before the cache);
- cold, nothing cached: every rule file validated (an empty cache directory each run).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.inspect_speed import BARE, SHARDS, precompile
from bench.layouts import LLAMA_405B, llama_tensors, write_sharded

RUNS = 15
WARM_AIM, COLD_AIM = 3.0, 0.310
USER_SET = "org-bench-policy"


def _user_rules(folder: Path) -> Path:
    """A user rule file: the shipped organisation policy under another id (so both load)."""
    from compliance.rules.loader import default_rules_dir

    text = (default_rules_dir() / "org-open-release.yaml").read_text("utf-8")
    path = folder / f"{USER_SET}.yaml"
    path.write_text(text.replace("id: org-open-release", f"id: {USER_SET}").replace("org.", "orgbench."), "utf-8")
    return path


def _interleaved(commands: dict[str, tuple[list[str], dict[str, str], Callable[[], None] | None]]) -> dict[str, float]:
    """Median wall time of each command over RUNS turns; each command's set-up runs before it, untimed."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, (cmd, env, setup) in commands.items():
            if setup is not None:
                setup()
            started = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            samples[name].append(time.perf_counter() - started)
            if proc.returncode not in (0, 1, 2):  # pass, review, fail: all are a finished check
                raise RuntimeError(f"{name} exited {proc.returncode}: {proc.stderr.strip()[:300]}")
    return {name: statistics.median(values) for name, values in samples.items()}


def main(args: Any) -> None:
    """Build the directory and the user rule file, time the four cases, print medians and ratios."""
    from compliance.rules.loader import default_rules_dir, rule_set_files

    precompile()
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        root = Path(tmp)
        big = root / "llama-405b"
        write_sharded(big, llama_tensors(LLAMA_405B), SHARDS)
        (big / "config.json").write_text(json.dumps(LLAMA_405B))
        user = _user_rules(root)
        shipped = ",".join(p.stem for p in rule_set_files([default_rules_dir()]))

        script = Path(sys.executable).with_name("compliance")
        launcher = [str(script)] if script.exists() else [sys.executable, "-m", "compliance"]
        check = [*launcher, "check", str(big), "--format", "json"]
        warm_env = {**os.environ, "COMPLIANCE_CACHE_DIR": str(root / "cache")}
        subprocess.run(check, capture_output=True, env=warm_env, check=False)  # fills the cache
        turn = [0]

        def change_user_file() -> None:
            turn[0] += 1
            with user.open("a", encoding="utf-8") as fh:
                fh.write(f"# edited before run {turn[0]}\n")

        cold_all_env = dict(os.environ)

        def empty_cache() -> None:
            turn[0] += 1
            cold_all_env["COMPLIANCE_CACHE_DIR"] = str(root / f"empty-{turn[0]}")

        outputs = ["--output", f"sarif={root / 'r.sarif'}", "--output", f"junit={root / 'r.xml'}"]
        times = _interleaved(
            {
                "bare": ([sys.executable, "-c", BARE, str(big)], dict(os.environ), None),
                "warm": (check, warm_env, None),
                "outputs": ([*check, *outputs], warm_env, None),
                "cold": ([*check, "--rules", f"{shipped},{user}"], warm_env, change_user_file),
                "cold_all": (check, cold_all_env, empty_cache),
            }
        )
    bare = times["bare"]
    print(f"   directory: {SHARDS} shards; every shipped rule set; median of {RUNS}, commands in turns")
    print(f"   bare interpreter + headers:              {bare * 1000:7.1f} ms")
    for name, label in (
        ("warm", "check --format json (cache warm)"),
        ("outputs", "  + --output sarif= --output junit="),
        ("cold", "a user rule file changed (cold)"),
        ("cold_all", "nothing cached (every file validated)"),
    ):
        print(f"   {label:<40} {times[name] * 1000:7.1f} ms  ratio {times[name] / bare:5.2f}")
    print(f"   aims: warm ratio <= {WARM_AIM} (stretch 2), cold <= {COLD_AIM * 1000:.0f} ms")
