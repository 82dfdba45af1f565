"""``compliance hardware list|show``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from compliance.report.numbers import sci


def _rows(ns: argparse.Namespace, accelerators: list[Any]) -> list[dict[str, Any]]:
    from compliance.check import load_rulebook
    from compliance.cli.commands import parse_date
    from compliance.hardware.classify import classify
    from compliance.hardware.facts import hardware_row

    as_of = parse_date(getattr(ns, "as_of", None))
    book = load_rulebook()
    rows = []
    for acc in accelerators:
        row = hardware_row(acc)
        row["classification"] = classify(acc, as_of=as_of, book=book)
        rows.append(row)
    return rows


def _fmt(x: Any, digits: int = 0) -> str:
    if x is None:
        return "?"
    return f"{x:,.{digits}f}"


def list_hardware(ns: argparse.Namespace) -> int:
    """Print the catalog with computed TPP, density and the rule sets' classification."""
    from compliance.hardware.catalog import load_catalog

    rows = _rows(ns, list(load_catalog().all()))
    if ns.fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    sys.stdout.write(f"{'id':<22} {'vendor':<10} {'name':<34} {'TPP':>8} {'PD':>6} {'DC':>3}  classification\n")
    for r in rows:
        labels = ", ".join(c["rule_id"] + ("?" if c["verdict"] == "uncertain" else "") for c in r["classification"])
        dc = {True: "yes", False: "no", None: "?"}[r["datacenter"]]
        sys.stdout.write(
            f"{r['id']:<22} {r['vendor']:<10} {r['name'][:34]:<34} {_fmt(r['tpp']):>8} "
            f"{_fmt(r['performance_density'], 2):>6} {dc:>3}  {labels or 'not controlled'}\n"
        )
    sys.stdout.write("? = uncertain (a figure the rule needs is not in the catalog)\n")
    return 0


def show_hardware(ns: argparse.Namespace) -> int:
    """Print one accelerator in full."""
    from compliance.hardware.catalog import load_catalog

    row = _rows(ns, [load_catalog().get(ns.name)])[0]
    if ns.fmt == "json":
        sys.stdout.write(json.dumps(row, indent=2) + "\n")
        return 0
    out = sys.stdout
    out.write(f"{row['vendor']} {row['name']}  (id {row['id']})\n")
    out.write(f"  TPP                   {_fmt(row['tpp'])}   = {row['tpp_detail']}\n")
    if row.get("tpp_with_tf32") and row["tpp_with_tf32"] != row["tpp"]:
        out.write(f"  TPP counting TF32     {_fmt(row['tpp_with_tf32'])}\n")
    out.write(f"  performance density   {_fmt(row['performance_density'], 2)}\n")
    out.write(f"  datacenter part       {row['datacenter']}\n")
    out.write(f"  memory                {row['memory_gb']} GB {row['memory_type'] or ''}, "
              f"{_fmt(row['memory_bandwidth_gbps'])} GB/s\n")  # fmt: skip
    out.write(f"  dense BF16 peak       {sci(row['peak_bf16_flops'])} FLOP/s\n")
    out.write(f"  developer country     {row['developer_country']}\n")
    out.write("  classification:\n")
    for c in row["classification"] or [{"rule_id": "none", "title": "no hardware rule triggered", "verdict": ""}]:
        out.write(f"    {c['rule_id']:<24} {c['verdict']:<10} {c['title']}\n")
    out.write(f"  sources: {', '.join(row['sources'])}\n")
    return 0


def check_hardware(ns: argparse.Namespace) -> int:
    """``compliance hardware check NAME[xN] --destination CC``: a check of the chip rules with no
    model, with the same report, outputs and exit codes as ``compliance check``."""
    from compliance.check import CheckOptions
    from compliance.cli.commands import emit_report, parse_date, parse_outputs, split_values
    from compliance.hardware.question import run_hardware_check

    outputs = parse_outputs(ns.outputs)
    options = CheckOptions(
        as_of=parse_date(ns.as_of),
        rules=split_values(ns.rules),
        destination=ns.destination,
        hardware=ns.spec,
        fail_on=ns.fail_on,
        fail_on_uncertain=ns.fail_on_uncertain,
        use_waivers=False,
        extra_context=_declared(ns.facts),
    )
    return emit_report(run_hardware_check(options).to_dict(), outputs, ns)


def _declared(options: list[str]) -> list[Any]:
    """``--fact`` declarations: they settle a figure the catalog lacks and win over the catalog's."""
    if not options:
        return []
    from compliance.facts.declared import parse_fact_option

    return [parse_fact_option(f) for f in options]
