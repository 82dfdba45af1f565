"""``python -m bench.fuzz``: the long fuzz run, with figures per parser (``make fuzz``).

1. The property-based fuzz tests under the ``fuzz`` hypothesis profile (random, ``--examples``
   inputs per test), in this process, so that their counters can be read afterwards.
2. When ``atheris`` is installed, each coverage-guided target of :mod:`bench.fuzz.targets` for
   ``--seconds``, one process each (libFuzzer ends its process).

Prints per parser: inputs tried, inputs per second, inputs refused with the project's own error,
internal errors (a distinct exception type and place, a 500, an unprintable message or a slow
input) with when each was first found; writes them to ``bench/out/fuzz.json``. Exits 1 when
any internal error was found or a fuzz test failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_hypothesis(examples: int, keep_going: bool, select: str | None = None) -> tuple[int, dict[str, Any]]:
    """Run every ``test_fuzz_*.py`` under the long profile; (pytest's exit code, figures per parser)."""
    os.environ["HYPOTHESIS_PROFILE"] = "fuzz"
    os.environ["FUZZ_EXAMPLES"] = str(examples)
    if keep_going:
        os.environ["FUZZ_KEEP_GOING"] = "1"
    import pytest

    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_fuzz_*.py"))
    options = ["-k", select] if select else []
    code = pytest.main(["-q", "-m", "fuzz", "-p", "no:cacheprovider", "--no-header", *options, *files])
    from tests.fuzzing import STATS

    return int(code), {name: stats.to_dict() for name, stats in sorted(STATS.items())}


def run_atheris(names: list[str], seconds: float) -> dict[str, Any]:
    """Each coverage-guided target for ``seconds``; figures per parser name."""
    from bench.fuzz.targets import TARGETS

    out: dict[str, Any] = {}
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            stats_path = Path(tmp) / "stats.json"
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "bench.fuzz.coverage_guided", name, str(seconds), str(stats_path)],
                cwd=tmp,  # libFuzzer writes crash files to the working directory
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                text=True,
                timeout=seconds * 3 + 120,
            )
            figures = json.loads(stats_path.read_text()) if stats_path.is_file() else {"error": done.stderr[-2000:]}
            figures["wall_seconds"] = round(time.perf_counter() - started, 1)
            out[TARGETS[name].parser] = figures
    return out


def _table(title: str, figures: dict[str, Any]) -> None:
    print(f"\n{title}")
    print(f"  {'parser':<24} {'inputs':>8} {'per s':>7} {'refused':>8} {'internal':>8}  slowest (CPU)")
    for name, row in figures.items():
        if "error" in row:
            print(f"  {name:<24} did not run: {row['error'].splitlines()[-1] if row['error'] else '?'}")
            continue
        rate = row.get("inputs_per_second") or 0
        print(
            f"  {name:<24} {row['inputs']:>8} {rate:>7.1f} {row['rejected']:>8} {row['internal_errors']:>8}"
            f"  {row['slowest_seconds']:.2f} s"
        )
        for signature, found in row["signatures"].items():
            print(f"      after {found['found_after_seconds']:>6.1f} s: {signature}: {found['message'][:120]}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="hypothesis examples per fuzz test")
    parser.add_argument("--seconds", type=float, default=30, help="atheris time per target")
    parser.add_argument("--only", nargs="*", help="atheris targets to run (default: all)")
    parser.add_argument("-k", dest="select", help="pytest -k expression selecting the fuzz tests (default: all)")
    parser.add_argument("--no-hypothesis", action="store_true")
    parser.add_argument("--no-atheris", action="store_true")
    parser.add_argument("--keep-going", action="store_true", help="count every internal error instead of stopping")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "fuzz.json")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    report: dict[str, Any] = {"examples_per_test": args.examples, "atheris_seconds_per_target": args.seconds}
    failed = False
    if not args.no_hypothesis:
        code, report["hypothesis"] = run_hypothesis(args.examples, args.keep_going, args.select)
        failed |= code != 0
        _table(f"hypothesis, profile 'fuzz', {args.examples} examples per test", report["hypothesis"])
    if not args.no_atheris:
        try:
            import atheris  # noqa: F401
        except ImportError:
            print("\natheris is not installed (pip install atheris): coverage-guided targets skipped")
        else:
            from bench.fuzz.targets import TARGETS

            report["atheris"] = run_atheris(args.only or list(TARGETS), args.seconds)
            _table(f"atheris, {args.seconds:g} s per target", report["atheris"])
    failed |= any(
        row.get("internal_errors") for part in ("hypothesis", "atheris") for row in report.get(part, {}).values()
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nfigures written to {args.out}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
