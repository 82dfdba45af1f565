"""``python -m web.hubserver``: prints its URL and serves."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_runner_prints_the_bound_url_and_serves_the_demo() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "web.hubserver", "--demo", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/api/models?author=Qwen", timeout=10) as response:
            ids = [m["id"] for m in json.load(response)]
        assert ids == ["Qwen/Qwen2-72B", "Qwen/Qwen2-7B", "Qwen/Qwen3-30B-A3B"]
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_runner_refuses_a_missing_root(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "web.hubserver", "--root", str(tmp_path / "nope")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 4 and "not a directory" in done.stderr
