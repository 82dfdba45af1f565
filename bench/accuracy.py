"""Accuracy of the estimators against published figures (../shared/bench).

For every model there with a config.json or a model card, a directory is built from those
files alone and inspected like any local directory. Printed: parameter error against the
exact count where the row has one (``exact_param_count``), else the official headline count,
with how many rows used each reference; active-parameter error for mixture-of-experts rows that
publish an active count; compute ratio against Epoch AI's figure, and threshold calls at 1e23, 1e25 and
1e26 (right, wrong, uncertain; a wrong "below" is the worst error a gate can make).

Official counts are often rounded headline figures ("7B" for 7.6e9). When the ``exact`` extra
is installed, every config is also built with transformers on the meta device, and the
formula's count is compared with that exact count, so a miss against the headline figure can
be told apart from a miss of the formula.
"""

from __future__ import annotations

import csv
import math
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

THRESHOLDS = (1e23, 1e25, 1e26)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def load_rows(bench: Path) -> list[dict[str, str]]:
    """Rows of models.csv that have a config or a card to inspect."""
    with (bench / "models.csv").open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r.get("config_file") or r.get("card_file")]


def inspect_row(bench: Path, row: dict[str, str], workdir: Path) -> Any:
    """Build the model's directory from its config and card, and inspect it."""
    from compliance.errors import ComplianceError
    from compliance.inspection import catalog_peak_lookup, inspect_local

    target = workdir / row["model_id"].replace("/", "__")
    target.mkdir(parents=True)
    if row.get("config_file"):
        shutil.copy(bench / row["config_file"], target / "config.json")
    if row.get("card_file"):
        shutil.copy(bench / row["card_file"], target / "README.md")
    try:
        return inspect_local(target, peak_lookup=catalog_peak_lookup(), model_id=row["model_id"])
    except ComplianceError as exc:
        return exc


def _side(low: float | None, high: float | None, threshold: float) -> str:
    if low is not None and low > threshold:
        return "above"
    if high is not None and high <= threshold:
        return "below"
    return "uncertain"


def evaluate(bench: Path) -> dict[str, Any]:
    """Run every model and collect the comparisons."""
    rows = load_rows(bench)
    param_errors: list[tuple[str, float]] = []
    references: dict[str, str] = {}  # model -> the column its parameter count was measured against
    active_errors: list[tuple[str, float]] = []
    exact_errors: list[tuple[str, float, int, int]] = []  # model, error vs transformers, ours, theirs
    ratios: list[tuple[str, float, bool]] = []
    calls = {t: {"right": 0, "wrong_below": 0, "wrong_above": 0, "uncertain": 0} for t in THRESHOLDS}
    wrong: list[str] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-accuracy-") as tmp:
        for row in rows:
            result = inspect_row(bench, row, Path(tmp))
            if isinstance(result, Exception):
                errors.append(f"{row['model_id']}: {result}")
                continue
            facts = result.facts
            reference, official = _parameter_reference(row)
            params = facts.get("parameters")
            if row.get("config_file") and official and params is not None and params.value:
                param_errors.append((row["model_id"], abs(params.value - official) / official))
                references[row["model_id"]] = reference
                active_official = _float(row.get("active_params_official"))
                active = facts.get("active_parameters")
                if active_official and active is not None and active.value:
                    active_errors.append((row["model_id"], abs(active.value - active_official) / active_official))
                theirs = _exact_count(bench / row["config_file"])
                if theirs:
                    exact_errors.append(
                        (row["model_id"], abs(params.value - theirs) / theirs, int(params.value), theirs)
                    )
            epoch = _float(row.get("training_compute_flop")) if row.get("compute_source") == "epoch" else None
            compute = facts.get("training_compute_flop")
            if epoch is None or compute is None:
                continue
            if compute.value:
                card_based = any(
                    e.kind in ("card-text", "card-metadata")
                    for name in ("training_tokens", "training_gpu_hours")
                    if (f := facts.get(name)) is not None
                    for e in f.evidence
                )
                ratios.append((row["model_id"], compute.value / epoch, card_based))
            for t in THRESHOLDS:
                ours = _side(compute.low, compute.high, t)
                truth = "above" if epoch > t else "below"
                if ours == "uncertain":
                    calls[t]["uncertain"] += 1
                elif ours == truth:
                    calls[t]["right"] += 1
                else:
                    calls[t]["wrong_below" if ours == "below" else "wrong_above"] += 1
                    wrong.append(f"{row['model_id']} at {t:.0e}: ours {ours}, Epoch {epoch:.2e}")
    return {"rows": len(rows), "params": param_errors, "references": references, "active": active_errors,
            "exact": exact_errors, "ratios": ratios, "calls": calls, "wrong": wrong, "errors": errors}  # fmt: skip


def _parameter_reference(row: dict[str, str]) -> tuple[str, float | None]:
    """The count a row's parameters are measured against: its exact count when it has one, else the official one."""
    exact = _float(row.get("exact_param_count"))
    if exact:
        return "exact_param_count", exact
    return "params_official", _float(row.get("params_official"))


def _exact_count(config_path: Path) -> int | None:
    """transformers' count for a config (the ``exact`` extra), or None when it cannot build it."""
    import json

    from compliance.facts.exact import count_exact

    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    result = count_exact(config)
    return None if result is None else result.total


def _factor(r: float) -> float:
    return max(r, 1 / r)


def main(args: Any) -> None:
    """Print the accuracy figures, or say why they cannot be computed."""
    bench = Path(args.shared) / "bench"
    if not (bench / "models.csv").is_file():
        print(f"   skipped: {bench}/models.csv not found (pass --shared DIR)")
        return
    res = evaluate(bench)
    errs = [e for _, e in res["params"]]
    print(f"   models with a config or card: {res['rows']}  (errors: {len(res['errors'])})")
    for line in res["errors"]:
        print(f"     error: {line}")
    if errs:
        within = sum(e <= 0.05 for e in errs) / len(errs)
        used = res["references"]
        by_column = {col: sum(1 for c in used.values() if c == col) for col in ("exact_param_count", "params_official")}
        print(
            f"   parameters vs reference ({len(errs)} models with a config): median error "
            f"{statistics.median(errs):.1%}, p90 {_quantile(errs, 0.9):.1%}, within 5%: {within:.0%} (aim 95%)"
        )
        print(
            f"     reference: exact_param_count for {by_column['exact_param_count']}, "
            f"params_official for {by_column['params_official']}"
        )
        exact = {m: (e, ours, theirs) for m, e, ours, theirs in res["exact"]}
        for model_id, e in sorted(res["params"], key=lambda x: -x[1])[:5]:
            if e > 0.05:
                line = f"     off by {e:.1%} against {used.get(model_id, '?')}: {model_id}"
                if model_id in exact:
                    xe, ours, theirs = exact[model_id]
                    line += f" (ours {ours:,}; transformers on the meta device {theirs:,}: {xe:.2%} apart)"
                print(line)
    if res["active"]:
        aerrs = [e for _, e in res["active"]]
        print(
            f"   active parameters vs active_params_official ({len(aerrs)} mixture-of-experts models): median error "
            f"{statistics.median(aerrs):.1%}, within 5%: {sum(e <= 0.05 for e in aerrs) / len(aerrs):.0%}, "
            f"within 10%: {sum(e <= 0.10 for e in aerrs) / len(aerrs):.0%}"
        )
        for model_id, e in sorted(res["active"], key=lambda x: -x[1])[:3]:
            if e > 0.10:
                print(f"     active off by {e:.1%}: {model_id}")
    if res["exact"]:
        xerrs = [e for _, e, _, _ in res["exact"]]
        print(
            f"   parameters vs transformers' exact count ({len(xerrs)} configs it builds): median error "
            f"{statistics.median(xerrs):.2%}, within 0.5%: {sum(e <= 0.005 for e in xerrs) / len(xerrs):.0%}, "
            f"within 5%: {sum(e <= 0.05 for e in xerrs) / len(xerrs):.0%}"
        )
    elif errs:
        print("   (install the 'exact' extra to compare with transformers' exact counts as well)")
    for label, subset in (
        ("all with an estimate", res["ratios"]),
        ("card states tokens or hours", [r for r in res["ratios"] if r[2]]),
    ):
        factors = [_factor(r) for _, r, _ in subset]
        if not factors:
            continue
        print(
            f"   compute vs Epoch, {label} ({len(factors)}): median ratio "
            f"{statistics.median([r for _, r, _ in subset]):.2f}, p90 factor {_quantile(factors, 0.9):.2f}, "
            f"within 2x: {sum(f <= 2 for f in factors) / len(factors):.0%}, "
            f"within 3x: {sum(f <= 3 for f in factors) / len(factors):.0%}"
        )
    for t, c in res["calls"].items():
        print(
            f"   threshold {t:.0e}: right {c['right']}, wrong-below {c['wrong_below']}, "
            f"wrong-above {c['wrong_above']}, uncertain {c['uncertain']}"
        )
    for line in res["wrong"]:
        print(f"     wrong: {line}")
