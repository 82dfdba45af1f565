"""Undeclared-derivation matches against the shipped index: found and false, on two corpora.

``python -m bench --only derivation_matches`` (or ``python -m bench.derivation_matches [--shared DIR]``)

* **demo registry**: every public model with a config, checked as the CLI checks a hub model
  (config dims, tensor shapes and names from the generated headers, its creation date, its declared
  bases) against the index without its own entry. Expected: exactly ``mustafaaljadery/llama3v``
  → ``openbmb/MiniCPM-Llama3-V-2_5`` (the documented copy; ``demo-faults/lying-header`` reuses a
  test fixture's config on purpose and is counted apart). Anything else is a false match.
* **../shared/bench configs** (config only): each checked under its own id and date (every flag is
  a false match: these are the originals), then re-published under another publisher's name today
  with no base declared (a renamed copy: flagged only if its layout is distinctive; the figure is
  recall of copies), and then as a declared fine-tune (must never be flagged).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from compliance.provenance.known import DISTINCTIVE_MAX, Layout, known_models, layout_counts, match_known

EXPECTED = {("mustafaaljadery/llama3v", "openbmb/MiniCPM-Llama3-V-2_5")}
FIXTURES = {"demo-faults/lying-header"}  # built with config_from a test model on purpose


def _flag(layout: Layout, model_id: str, bases: list[str], created: str | None) -> str | None:
    found = match_known(layout, model_id=model_id, bases=bases, created=created)
    return found.source.model_id if found is not None and found.kind in ("copy", "derivation") else None


def demo_registry() -> dict[str, Any]:
    """Matches among the demo registry's models."""
    from bench.known_index import registry_records

    records, _ = registry_records()
    found: list[tuple[str, str]] = []
    false: list[tuple[str, str]] = []
    fixtures: list[tuple[str, str]] = []
    for r in records:
        layout = Layout(r["dims"], total=r["parameters"], shapes=r["shapes"], names=r["names"])
        source = _flag(layout, r["id"], r["bases"], r["since"])
        if source is None:
            continue
        pair = (r["id"], source)
        (found if pair in EXPECTED else fixtures if r["id"] in FIXTURES else false).append(pair)
    missed = sorted(EXPECTED - set(found))
    return {"models": len(records), "found": found, "missed": missed, "false": false, "fixtures": fixtures}


def shared_configs(shared: Path) -> dict[str, Any] | None:
    """Matches on ``shared/bench/configs``: originals, renamed copies, declared fine-tunes."""
    folder = shared / "bench" / "configs"
    if not folder.is_dir():
        return None
    known = {m.model_id: m for m in known_models()}
    counts = layout_counts(known.values())
    today = time.strftime("%Y-%m-%d", time.gmtime())
    originals: list[tuple[str, str]] = []
    copies_missed: list[str] = []
    tunes_flagged: list[str] = []
    copies = distinctive = 0
    paths = sorted(p for p in folder.glob("*.json") if not p.name.startswith("_"))
    for path in paths:
        model_id = path.stem.replace("__", "/", 1)
        config = json.loads(path.read_text("utf-8"))
        layout = Layout.of(config)
        if len(layout.dims) < 3:
            continue
        entry = known.get(model_id)
        source = _flag(layout, model_id, [], entry.since if entry is not None else None)
        if source is not None:
            originals.append((model_id, source))
        copies += 1
        rare = counts[tuple(sorted(layout.dims.items()))] <= DISTINCTIVE_MAX
        distinctive += rare
        if _flag(layout, "someone-else/" + model_id.split("/")[-1], [], today) is None:
            copies_missed.append(model_id)
        if _flag(layout, "someone-else/tune", [model_id], today) is not None:
            tunes_flagged.append(model_id)
    return {
        "configs": len(paths),
        "originals_flagged": originals,
        "copies": copies,
        "copies_missed": copies_missed,
        "distinctive": distinctive,
        "tunes_flagged": tunes_flagged,
    }


def main(args: argparse.Namespace) -> None:
    """Print the figures."""
    demo = demo_registry()
    print(f"   demo registry: {demo['models']} models; found {len(demo['found'])} of {len(EXPECTED)} expected "
          f"{demo['found']}; false matches {len(demo['false'])} {demo['false']}; "
          f"test fixtures {demo['fixtures']}")  # fmt: skip
    shared = shared_configs(Path(args.shared))
    if shared is None:
        print("   ../shared/bench/configs: not available")
        return
    print(f"   shared configs: {shared['configs']} configs; originals flagged (false matches) "
          f"{len(shared['originals_flagged'])} {shared['originals_flagged']}")  # fmt: skip
    missed = shared["copies_missed"]
    print(f"   renamed copies (another publisher, no base declared): {shared['copies'] - len(missed)} of "
          f"{shared['copies']} found, missed {missed}; {shared['distinctive']} have a layout shared by "
          f"<= {DISTINCTIVE_MAX} known models")  # fmt: skip
    print(f"   declared fine-tunes flagged: {len(shared['tunes_flagged'])} of {shared['copies']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.derivation_matches")
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    main(parser.parse_args())
