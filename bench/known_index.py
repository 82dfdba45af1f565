"""Build ``compliance/data/known_models.json``, the shipped index of known models' fingerprints.

``python -m bench.known_index [--shared ../shared] [--output PATH]``

* every demo-registry entry with a config (``web/hubserver/registry``): its config, the tensor
  names, shapes and dtypes of the safetensors headers the test hub generates for it, and the LFS
  sha256 the hub reports for each weight file; ``since`` is its creation date;
* with ``--shared``, every config in ``SHARED/bench/configs`` not already in the registry (config
  only: no headers, no hashes; ``since`` from ``models.csv``'s publication date when given).

``../shared`` is read at build time only; the built JSON is committed and a check reads nothing else.
Run it again after changing the registry; the test ``tests/bench/test_known_index.py`` fails when
the shipped file no longer matches the registry.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

from compliance.provenance.known import KNOWN_PATH, SCHEMA, families_of, known_record


def registry_records() -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Index entries of the demo registry's public models with a config (main revisions), and the
    ``families`` table of their tensor names."""
    from web.hubserver.demo import DemoRegistry
    from web.hubserver.repos import read_safetensors_header

    out = []
    names: dict[str, list[str]] = {}
    for repo in DemoRegistry():
        snap = repo.main
        config = snap.config()
        if config is None or repo.meta.private:
            continue
        tensors: list[tuple[str, str, list[int]]] = []
        hashes: list[str] = []
        for f in snap.weight_files():
            header = read_safetensors_header(f)
            if header is None:  # an unreadable header (the registry's lying one): config only
                tensors, hashes = [], []
                break
            hashes.append(f.sha256)
            for name, spec in header.items():
                if name != "__metadata__" and isinstance(spec, dict):
                    tensors.append((name, str(spec.get("dtype")), list(spec.get("shape") or [])))
        bases = (snap.card_data() or {}).get("base_model") or []
        bases = [bases] if isinstance(bases, str) else [b for b in bases if isinstance(b, str)]
        since = repo.meta.created_at.date().isoformat()
        out.append(known_record(repo.id, config=config, tensors=tensors, since=since, bases=bases, weights=hashes))
        names[repo.id] = [name for name, _, _ in tensors]
    return out, families_of(names)


def shared_records(shared: Path, skip: set[str]) -> list[dict[str, Any]]:
    """Index entries from ``shared/bench/configs`` (config only), for ids not in ``skip``."""
    bench = shared / "bench"
    dates: dict[str, str] = {}
    models = bench / "models.csv"
    if models.is_file():
        with models.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row.get("epoch_publication_date"):
                    dates[row["model_id"]] = row["epoch_publication_date"]
    out = []
    for path in sorted((bench / "configs").glob("*.json")):
        if path.name.startswith("_"):
            continue
        model_id = path.stem.replace("__", "/", 1)
        if model_id in skip:
            continue
        config = json.loads(path.read_text("utf-8"))
        if isinstance(config, dict):
            out.append(known_record(model_id, config=config, since=dates.get(model_id), source="shared-bench"))
    return out


def build(shared: Path | None) -> dict[str, Any]:
    """The index document."""
    records, families = registry_records()
    if shared is not None and (shared / "bench" / "configs").is_dir():
        records += shared_records(shared, {r["id"] for r in records})
    records.sort(key=lambda r: r["id"])
    return {"schema": SCHEMA, "models": records, "families": families}


def main(argv: list[str] | None = None) -> None:
    """Write the index and print how many entries it holds."""
    parser = argparse.ArgumentParser(prog="python -m bench.known_index")
    parser.add_argument("--shared", type=Path, default=None, help="folder holding bench/configs (read only)")
    parser.add_argument("--output", type=Path, default=KNOWN_PATH)
    args = parser.parse_args(argv)
    doc = build(args.shared)
    args.output.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"{len(doc['models'])} models written to {args.output}")


if __name__ == "__main__":
    main()
