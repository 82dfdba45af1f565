"""Cost of inspecting models on a hub, against the project's local hub server (loopback).

Figures:

1. requests and body bytes per inspected model of the demo registry (median, max), cold
   (empty cache, fresh session) and warm (files cached by commit sha), read from the server's
   request log (the client's agent-detection request excluded);
2. wall time for N models (default 1,000 synthetic ones served by the hub) inspected in one
   process, against bare ``huggingface_hub`` calls doing the minimum (``model_info`` with the
   same ``expand`` list), and against bare calls reading the same files (``model_info`` plus
   ``hf_hub_download`` of README.md). The ratio to the minimum is the figure to watch (aim
   <= 1.3x warm).

Run alone with ``python -m bench.hub_speed [--models N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

WARMUP = 5


def _prepare_environment(home: Path) -> None:
    # huggingface_hub reads these when first imported: keep it off the network and our HF_HOME.
    if "huggingface_hub" not in sys.modules:
        os.environ["HF_HOME"] = str(home)
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_XET", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        os.environ.pop(name, None)


def _options(args: Any) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.hub_speed")
    parser.add_argument("--models", type=int, default=1000, help="models timed in one process (default 1000)")
    if isinstance(args, list):
        return parser.parse_args(args)
    return argparse.Namespace(models=getattr(args, "hub_models", None) or 1000)


def _cost(entries: list[dict[str, Any]]) -> tuple[int, int]:
    kept = [e for e in entries if e["path"] != "/api/agent-harnesses"]
    return len(kept), sum(int(e["bytes"] or 0) for e in kept)


def _summary(label: str, costs: list[tuple[int, int]]) -> str:
    reqs = [c[0] for c in costs]
    kb = [c[1] / 1000 for c in costs]
    return (
        f"   {label}: requests median {statistics.median(reqs):g}, max {max(reqs)}; "
        f"kB median {statistics.median(kb):.1f}, max {max(kb):.1f}"
    )


def per_model_costs(work: Path) -> None:
    """Requests and bytes per model of the demo registry, cold and warm."""
    from compliance.errors import ComplianceError
    from compliance.hub.inspect import inspect_hub
    from compliance.hub.lineage import HubSession
    from compliance.settings import Settings
    from compliance.targets import parse_target
    from web.hubserver import DemoRegistry, create_hub_app, hub_state, start_hub_server

    registry = DemoRegistry()
    app = create_hub_app(registry, controls=True)
    url, stop = start_hub_server(app)
    controls = hub_state(app).controls
    settings = Settings(hf_endpoint=url)
    cold: list[tuple[int, int]] = []
    warm: list[tuple[int, int]] = []
    try:
        print(f"   {'model':52} {'cold req':>8} {'cold kB':>8} {'warm req':>8} {'warm kB':>8}")
        for k, repo in enumerate(registry):
            cache = work / f"costs-{k}"
            row = []
            for phase in (cold, warm):
                controls.clear_log()
                try:
                    inspect_hub(parse_target(repo.id), settings, cache_dir=cache, session=HubSession())
                except ComplianceError as exc:
                    row = [f"not inspected: {type(exc).__name__}"]
                    break
                cost = _cost(controls.log())
                phase.append(cost)
                row += [f"{cost[0]:8d}", f"{cost[1] / 1000:8.1f}"]
            print(f"   {repo.id:52} " + " ".join(row))
    finally:
        stop()
    print(_summary("cold (empty cache, lineage included)", cold))
    print(_summary("warm (files cached by sha)         ", warm))


def _timed(label: str, ids: list[str], call: Any) -> float:
    for model in ids[:WARMUP]:
        call(model)
    started = time.perf_counter()
    for model in ids:
        call(model)
    elapsed = time.perf_counter() - started
    print(f"   {label:58} {elapsed:7.2f} s  ({elapsed / len(ids) * 1000:6.2f} ms/model)")
    return elapsed


def throughput(work: Path, count: int) -> None:
    """Wall time for ``count`` models in one process, ours against bare huggingface_hub calls."""
    from huggingface_hub import HfApi, hf_hub_download

    from compliance.hub.client import HubClient
    from compliance.hub.info import EXPAND
    from compliance.hub.inspect import inspect_hub
    from compliance.hub.lineage import HubSession
    from compliance.settings import Settings
    from compliance.targets import parse_target
    from web.hubserver import DemoRegistry, create_hub_app, start_hub_server

    registry = DemoRegistry(synthetic=count)
    ids = [r.id for r in registry if r.id.startswith("synthetic/")][:count]
    if len(ids) < count:
        print(f"   the hub serves {len(ids)} synthetic models; demo models repeated to reach {count}")
        demo = [r.id for r in registry if not r.id.startswith("synthetic/") and not r.meta.private]
        ids += [demo[k % len(demo)] for k in range(count - len(ids))]
    from compliance.hub.fingerprint import config_dims

    shapes = {config_dims(registry.entries[m].get("config")) for m in ids if m in registry.entries}
    if len(shapes) < len(ids):
        print(
            f"   note: the {len(ids)} models have {len(shapes)} distinct architectures, so most of them match an "
            "earlier one exactly and get the undeclared-base check (one config.json read each, cold)"
        )
    url, stop = start_hub_server(create_hub_app(registry))
    settings = Settings(hf_endpoint=url)
    api = HfApi(endpoint=url, token=False)
    try:
        bare = _timed(
            "bare model_info(expand=same list)",
            ids,
            lambda m: api.model_info(m, expand=list(EXPAND)),  # type: ignore[arg-type]
        )
        bare_cache = work / "bare-cache"

        def bare_files(model: str) -> None:
            info = api.model_info(model, expand=list(EXPAND))  # type: ignore[arg-type]
            hf_hub_download(model, "README.md", revision=info.sha, endpoint=url, cache_dir=bare_cache, token=False)

        bare_same = _timed("bare model_info + hf_hub_download(README.md), cold", ids, bare_files)
        client = HubClient(settings, cache_dir=work / "ours-cache")
        session = HubSession()

        def ours(model: str) -> None:
            inspect_hub(parse_target(model), settings, session=session, client=client)

        requests_before = client.stats.requests
        cold = _timed("compliance inspect_hub, cold cache", ids, ours)
        cold_requests = client.stats.requests - requests_before
        requests_before = client.stats.requests
        warm = _timed("compliance inspect_hub, warm cache (README cached by sha)", ids, ours)
        warm_requests = client.stats.requests - requests_before
    finally:
        stop()
    n = len(ids) + WARMUP
    print(f"   requests per model: ours cold {cold_requests / n:.2f}, warm {warm_requests / n:.2f}; bare minimum 1")
    print(f"   ratio ours warm / bare minimum:        {warm / bare:.2f}  (aim <= 1.3)")
    print(f"   ratio ours cold / bare minimum:        {cold / bare:.2f}  (reads README.md too)")
    print(f"   ratio ours cold / bare same files:     {cold / bare_same:.2f}")


def main(args: Any = None) -> None:
    """Print the per-model costs and the throughput comparison."""
    options = _options(args)
    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        work = Path(tmp)
        _prepare_environment(work / "hf-home")
        print("-- requests and bytes per model, demo registry")
        per_model_costs(work)
        print(f"\n-- {options.models} models in one process")
        throughput(work, options.models)


if __name__ == "__main__":
    main(sys.argv[1:])
