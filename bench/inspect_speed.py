"""Time ``compliance inspect`` on a 191-shard, ~800 GB (sparse) Llama 3.1 405B directory.

Figures: bytes of model files read (as reported, and cross-checked with the kernel's rchar
counter against a baseline run), wall time of the command, wall time of the bare interpreter
reading the same headers, and their ratio (aim: under 2 MB read, ratio <= 1.5).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.layouts import LLAMA_405B, llama_tensors, write_sharded

SHARDS = 191
RUNS = 21

BARE = """
import json, struct, pathlib, sys
d = pathlib.Path(sys.argv[1])
idx = json.loads((d / "model.safetensors.index.json").read_text())
total = 0
for shard in dict.fromkeys(idx["weight_map"].values()):
    with open(d / shard, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(n))
    for k, v in header.items():
        if k != "__metadata__":
            p = 1
            for s in v["shape"]:
                p *= s
            total += p
print(total)
"""

RCHAR = "import runpy, sys; sys.argv = sys.argv[1:]; {body}"


def _time(commands: dict[str, list[str]]) -> tuple[dict[str, float], dict[str, str]]:
    """Median wall time of each command over RUNS runs, taken in turns so that drift in the
    machine's speed (a shared 2-core VM) affects every command alike."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    outputs: dict[str, str] = {}
    for _ in range(RUNS):
        for name, cmd in commands.items():
            started = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            samples[name].append(time.perf_counter() - started)
            if proc.returncode != 0:
                raise RuntimeError(f"{cmd[:4]} failed: {proc.stderr.strip()[:300]}")
            outputs[name] = proc.stdout
    return {name: statistics.median(values) for name, values in samples.items()}, outputs


def _rchar(target: Path) -> int:
    """Bytes read by one `compliance inspect` process, per the kernel (/proc/self/io)."""
    code = (
        "import sys, io, contextlib\n"
        "from compliance.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        f"        main(['inspect', {str(target)!r}, '--format', 'json'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print([l for l in open('/proc/self/io') if l.startswith('rchar')][0].split()[1])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(proc.stdout.strip().splitlines()[-1])


def precompile() -> None:
    """Write bytecode for the package, as ``pip install`` does.

    An editable checkout run with PYTHONDONTWRITEBYTECODE (set on these machines) would
    otherwise recompile every module on every start, which is not what users run.
    """
    import compileall

    root = Path(__file__).resolve().parent.parent
    compileall.compile_dir(root / "compliance", quiet=1)


def main(args: Any) -> None:
    """Build the directory, run both timings, print the figures."""
    precompile()
    with tempfile.TemporaryDirectory(prefix="bench-405b-") as tmp:
        big = Path(tmp) / "llama-405b"
        apparent = write_sharded(big, llama_tensors(LLAMA_405B), SHARDS)
        (big / "config.json").write_text(json.dumps(LLAMA_405B))
        small = Path(tmp) / "tiny"
        small.mkdir()
        (small / "config.json").write_text(json.dumps({**LLAMA_405B, "num_hidden_layers": 1}))
        print(f"   directory: {SHARDS} shards, apparent size {apparent / 1e9:,.0f} GB (sparse)")

        # The installed console script, as users and CI jobs run it (``python -m`` adds runpy).
        script = Path(sys.executable).with_name("compliance")
        launcher = [str(script)] if script.exists() else [sys.executable, "-m", "compliance"]
        cli = [*launcher, "inspect", str(big), "--format", "json"]
        times, outputs = _time({"cli": cli, "bare": [sys.executable, "-c", BARE, str(big)],
                                "start": [sys.executable, "-c", "pass"]})  # fmt: skip
        t_cli, t_bare, t_start = times["cli"], times["bare"], times["start"]
        report = json.loads(outputs["cli"])
        params = report["facts"]["parameters"]["value"]
        reported = report["inputs"]["bytes_read"]
        assert int(outputs["bare"]) == params, (outputs["bare"], params)
        extra = _rchar(big) - _rchar(small)
        print(f"   parameters found: {params:,} (from headers)")
        print(f"   model bytes read (reported): {reported / 1e6:.2f} MB  (aim < 2 MB)")
        print(f"   model bytes read (kernel rchar, minus a config-only run): {extra / 1e6:.2f} MB")
        print(f"   python -c pass:                  {t_start * 1000:7.1f} ms")
        print(f"   bare interpreter + headers:      {t_bare * 1000:7.1f} ms")
        print(f"   compliance inspect (median of {RUNS}): {t_cli * 1000:7.1f} ms")
        print(f"   ratio inspect / bare: {t_cli / t_bare:.2f}  (aim <= 1.5)")
