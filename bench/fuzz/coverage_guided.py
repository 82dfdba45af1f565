"""``python -m bench.fuzz.coverage_guided TARGET SECONDS STATS.json``: one atheris run of one target.

The project's modules (and PyYAML, which the YAML parsers run through) are instrumented for
coverage, the target's seeds start the corpus, and libFuzzer mutates them for ``SECONDS``. The
oracle runs in keep-going mode, so the figures (inputs, refusals, internal errors with their
first message) are written to ``STATS.json`` every second and at the end: libFuzzer ends the
process itself when the time is up, without returning to Python.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    name, seconds, out = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
    os.environ["FUZZ_KEEP_GOING"] = "1"
    # Every input is validated afresh, and none is written to the user's rule-set cache.
    os.environ["COMPLIANCE_CACHE_DIR"] = "off"
    import atheris

    scratch = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
    corpus, work = scratch / "corpus", scratch / "work"
    corpus.mkdir()
    work.mkdir()
    # Modules imported inside this block are instrumented; the parsers import much of what they
    # use on first call, so the seeds are run here once to bring those modules in too.
    with atheris.instrument_imports(include=["compliance", "yaml"]):
        from bench.fuzz.targets import TARGETS
        from tests.fuzzing import STATS

        target = TARGETS[name]
        for index, seed in enumerate(target.seeds(scratch)):
            (corpus / f"seed-{index}").write_bytes(seed)
            target.run(seed, work)
    STATS.pop(target.parser, None)  # the warm-up's first calls import and instrument: not a slow input
    written = [0.0]

    def save() -> None:
        stats = STATS.get(target.parser)
        if stats is not None:
            out.write_text(json.dumps(stats.to_dict(), indent=1))

    def one_input(data: bytes) -> None:
        target.run(data, work)
        now = time.monotonic()
        if now - written[0] > 1.0:
            written[0] = now
            save()

    atheris.Setup(
        [sys.argv[0], f"-max_total_time={int(seconds)}", "-timeout=60", "-rss_limit_mb=4096", str(corpus)],
        one_input,
    )
    try:
        atheris.Fuzz()
    finally:
        save()


if __name__ == "__main__":
    main()
