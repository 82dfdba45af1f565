"""``python -m bench [--shared DIR] [--only NAME ...]``: run the benchmarks and print figures."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

# Each entry: module in this package exposing main(args) -> None (prints its own figures).
BENCHES = [
    "accuracy",
    "paraphrases",
    "inspect_speed",
    "check_speed",
    "gate_speed",
    "rules_speed",
    "hub_speed",
    "service_speed",
    "scan_faults",
    "dashboard_speed",
    "derivation_matches",
]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--shared", type=Path, default=Path("../shared"), help="folder holding bench/ (read only)")
    parser.add_argument("--only", nargs="*", choices=BENCHES, help="run only these")
    args = parser.parse_args()
    failed = []
    for name in args.only or BENCHES:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"\n== {name}: not available ({exc})")
            continue
        print(f"\n== {name}")
        started = time.perf_counter()
        try:
            module.main(args)
        except Exception as exc:  # a broken benchmark must not hide the others' figures
            failed.append(name)
            print(f"   FAILED: {type(exc).__name__}: {exc}")
        print(f"   ({time.perf_counter() - started:.1f} s)")
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
