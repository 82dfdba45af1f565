"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

One run. Every rule that produced a finding gets a ``reportingDescriptor``; only triggered and
uncertain findings become results, since code scanning has no "passed" state. Levels:

* triggered at or above ``fail_on`` → ``error``; triggered below it → ``warning``;
* uncertain → ``warning`` when it makes the check inconclusive, else ``note``.

Waived findings stay in the log with an external, accepted suppression, so GitHub shows them
as dismissed instead of reopening or silently closing the alert.

GitHub needs a file location for every result. It is the file the deciding fact's evidence
came from (``README.md`` for card facts, ``config.json``, a ``*.safetensors`` shard), joined to
the model's directory for a local model; for a hub model, which has no file in the repository,
it is the file's URL at the checked commit (``{endpoint}/ORG/NAME/blob/{sha}/README.md``, the
endpoint taken from the report's own hub evidence; ``hub/ORG/NAME/`` when none names it). When
the evidence names no file (a command-line declaration, a derived estimate with no file behind
it) the model's card or config stands in. ``partialFingerprints``
hash the rule and the model id only, so an alert follows the model across revisions and runs
while ``automationDetails.id`` keeps uploads for different models from closing each other's alerts.
"""

from __future__ import annotations

import hashlib
import json
import math
import posixpath
import re
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from compliance.report import findings as fx
from compliance.report.markdown import escape

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# GitHub rejects a run with more results than this.
MAX_RESULTS = 25_000
MAX_MESSAGE = 1_000
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
# GitHub sorts alerts by precision; ours is how sure the deciding fact is.
PRECISION = {"confident": "very-high", "likely": "high", "speculative": "medium", "unknown": "low"}
_NOT_FILES = {"estimator", "hardware catalog", "command line", "transformers", "hub api", "hub-api"}
_NO_FILE_KINDS = {"derived", "catalog", "exact", "lineage", "hub-api"}
_MORE = re.compile(r"\s*\(\+\d+ more\)\s*$")
_FILE_LIKE = re.compile(r"(^|/)(readme|license)$|\.[A-Za-z0-9]{1,12}$", re.IGNORECASE)
_HUB_FILE = re.compile(r"/(?:resolve|blob|raw)/[^/]+/(.+)$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_URI_SAFE = "/-._~!$&'()*+,;=:@"


def render(report: dict[str, Any]) -> str:
    """Render a report dict (the JSON contract) as a SARIF 2.1.0 log."""
    return json.dumps(_scrub(sarif_log(report)), indent=2, ensure_ascii=False) + "\n"


def sarif_log(report: dict[str, Any]) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    summary = report.get("summary") or {}
    all_findings = _mark_clashes([f for f in report.get("findings") or [] if isinstance(f, dict)])
    rules, index = _rules(report, all_findings)
    reported = [f for f in fx.ordered(all_findings) if f.get("verdict") in ("triggered", "uncertain")]
    # Keep the findings that matter most when a rule book is large enough to hit GitHub's cap.
    reported.sort(key=lambda f: (_level_order(_level(f, summary)), f.get("waived") is not None))
    dropped = max(0, len(reported) - MAX_RESULTS)
    results = [_result(f, report, summary, index) for f in reported[:MAX_RESULTS]]
    tool = report.get("tool") or {}
    driver: dict[str, Any] = {"name": str(tool.get("name") or "compliance"), "rules": rules}
    if tool.get("version"):
        driver["version"] = str(tool["version"])
    info_uri = tool.get("information_uri") or tool.get("url")
    if isinstance(info_uri, str) and _absolute_http(info_uri):
        driver["informationUri"] = info_uri
    if tool.get("estimator_version"):
        driver["properties"] = {"estimator_version": str(tool["estimator_version"])}
    model = report.get("model") or {}
    exit_code = summary.get("exit_code")
    invocation: dict[str, Any] = {"executionSuccessful": exit_code in (0, 1, 2, None)}
    if isinstance(exit_code, int):
        invocation["exitCode"] = exit_code
        if exit_code in fx.EXIT_MEANINGS and summary.get("outcome") != "not_checked":
            invocation["exitCodeDescription"] = fx.EXIT_MEANINGS[exit_code]
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"compliance/{_category(model)}/"},
        "invocations": [invocation],
        "results": results,
        "properties": _jsonable(
            {
                "schema": report.get("schema"),
                "model": model,
                "as_of": report.get("as_of"),
                "generated_at": report.get("generated_at"),
                "summary": summary,
                "rulesets": [
                    {k: rs.get(k) for k in ("id", "version", "sha256")}
                    for rs in report.get("rulesets") or []
                    if isinstance(rs, dict)
                ],
                "results_dropped": dropped,
            }
        ),
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rules(report: dict[str, Any], findings: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for f in findings:
        rid = _rule_id(f)
        if rid in index:
            continue
        index[rid] = len(rules)
        rules.append(_descriptor(rid, f, report))
    return rules, index


def _rule_id(finding: dict[str, Any]) -> str:
    """The SARIF rule id: the rule's id, qualified by its rule set when ids clash across sets."""
    rid = str(finding.get("rule_id") or "unnamed-rule")
    return f"{finding['ruleset']}/{rid}" if finding.get("_clash") and finding.get("ruleset") else rid


def _mark_clashes(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sets: dict[str, set[str]] = {}
    for f in findings:
        sets.setdefault(str(f.get("rule_id")), set()).add(str(f.get("ruleset")))
    return [{**f, "_clash": True} if len(sets[str(f.get("rule_id"))]) > 1 else f for f in findings]


def _descriptor(rid: str, f: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    summary = report.get("summary") or {}
    title = fx.clip(f.get("title") or rid, 200)
    severity = str(f.get("severity") or "info")
    tags: list[str] = []
    # "security" is what makes GitHub read security-severity and list the alert with other
    # release-blocking findings (branch protection can then gate on it).
    for tag in ("security", "compliance", f.get("jurisdiction"), f.get("ruleset")):
        if tag and str(tag) not in tags:
            tags.append(str(tag))
    full = f.get("message") or title
    descriptor: dict[str, Any] = {
        "id": rid,
        "name": _pascal(title) or _pascal(rid) or "Rule",
        "shortDescription": {"text": title},
        "fullDescription": {"text": fx.clip(full, 1000)},
        "help": {"text": _help_text(f), "markdown": _help_markdown(f)},
        "defaultConfiguration": {"level": "error" if fx.at_or_above(severity, summary.get("fail_on")) else "warning"},
        "properties": {
            "tags": tags[:20],
            "precision": _precision(report, f),
            "security-severity": SECURITY_SEVERITY.get(severity, "1.0"),
            "severity": severity,
            "ruleset": f.get("ruleset"),
            "ruleset_version": f.get("ruleset_version"),
        },
    }
    link = f.get("link")
    if isinstance(link, str) and _absolute_http(link):
        descriptor["helpUri"] = link
    return descriptor


def _precision(report: dict[str, Any], f: dict[str, Any]) -> str:
    """GitHub precision from the weakest confidence among the facts the rule compared."""
    order = list(PRECISION)
    tiers = [((report.get("facts") or {}).get(name) or {}).get("confidence") for name in fx.deciding_facts(f)]
    known = [t for t in tiers if t in PRECISION]
    if not known:
        return "medium"
    return PRECISION[max(known, key=order.index)]


def _help_lines(f: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, label in (
        ("message", ""),
        ("citation", "Citation"),
        ("link", "Source"),
        ("status", "Status"),
        ("effective_from", "In force from"),
        ("effective_until", "In force until"),
        ("what_if", "Verdict if it were in force"),
    ):
        value = f.get(key)
        if value:
            rows.append((label, fx.clip(value, 2000)))
    effect = f.get("effect")
    if isinstance(effect, dict) and effect.get("type"):
        rows.append(("Effect", str(effect["type"]).replace("_", " ")))
    return rows


def _help_text(f: dict[str, Any]) -> str:
    lines = [f"{label}: {value}" if label else value for label, value in _help_lines(f)]
    return "\n".join(lines) or fx.clip(f.get("title") or _rule_id(f), 200)


def _help_markdown(f: dict[str, Any]) -> str:
    lines: list[str] = []
    for label, value in _help_lines(f):
        if label == "Source" and _absolute_http(value):
            lines.append(f"**{label}:** <{quote(value, safe=_URI_SAFE + '?#%')}>")
        elif label:
            lines.append(f"**{label}:** {escape(value)}")
        else:
            lines.append(escape(value))
    return "\n\n".join(lines) or escape(f.get("title") or _rule_id(f))


def _level(f: dict[str, Any], summary: dict[str, Any]) -> str:
    # A waived finding keeps the level it would have had: the suppression says it was dismissed.
    blocks = fx.blocking(f, summary, count_waived=True)
    if f.get("verdict") == "triggered":
        return "error" if blocks == "fail" else "warning"
    return "warning" if blocks == "inconclusive" else "note"


def _level_order(level: str) -> int:
    return {"error": 0, "warning": 1, "note": 2}.get(level, 3)


def _result(
    f: dict[str, Any], report: dict[str, Any], summary: dict[str, Any], index: dict[str, int]
) -> dict[str, Any]:
    rid = _rule_id(f)
    uri, line = _location(report, f)
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line is not None:
        physical["region"] = {"startLine": line}
    result: dict[str, Any] = {
        "ruleId": rid,
        "ruleIndex": index[rid],
        "level": _level(f, summary),
        "message": {"text": _message(f)},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": _fingerprints(f, report),
        "properties": _jsonable(
            {
                "verdict": f.get("verdict"),
                "severity": f.get("severity"),
                "ruleset": f.get("ruleset"),
                "ruleset_version": f.get("ruleset_version"),
                "jurisdiction": f.get("jurisdiction"),
                "comparisons": f.get("comparisons") or [],
                "reason": f.get("reason"),
                "waived": f.get("waived"),
            }
        ),
    }
    waived = f.get("waived")
    if isinstance(waived, dict):
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": fx.clip(fx.waiver_text(waived), 500)}
        ]
    return result


def _message(f: dict[str, Any]) -> str:
    title = str(f.get("title") or _rule_id(f))
    compared = fx.comparisons_text(f, limit=3, outcome=True)
    verdict = f.get("verdict")
    text = f"{title}: {compared}." if compared else f"{title}."
    if verdict == "uncertain":
        reason = str(f.get("reason") or "the facts do not settle it").rstrip(". ")
        text += f" Uncertain: {reason}."
        flags = [flag for e in f.get("settle") or [] if isinstance(e, dict) for flag in fx.settle_flags(e)]
        if flags:
            text += f" Settle it with {' or '.join(flags)}."
    elif f.get("reason"):
        text += f" {f['reason']}"
    if f.get("citation"):
        text += f" ({f['citation']})"
    return fx.clip(text, MAX_MESSAGE)


def _fingerprints(f: dict[str, Any], report: dict[str, Any]) -> dict[str, str]:
    model_id = str((report.get("model") or {}).get("id") or "")
    key = "\x00".join((str(f.get("ruleset") or ""), _rule_id(f), model_id))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    # primaryLocationLineHash is the key GitHub reads; setting it stops the upload action
    # from hashing file lines (which for hub models do not exist in the repository).
    return {"complianceFinding/v1": digest, "primaryLocationLineHash": f"{digest}:1"}


# Locations ---------------------------------------------------------------------------------


def _location(report: dict[str, Any], f: dict[str, Any]) -> tuple[str, int | None]:
    """URI and line of the file the deciding evidence came from: repository-relative for a
    local model, the file's URL at the checked commit for a hub model."""
    model = report.get("model") or {}
    base = _model_base(model)
    hub = _hub_root(report, model)
    for fact in fx.deciding_facts(f):
        files = [(ev, found) for ev in fx.fact_evidence(report, f, fact) if (found := _evidence_file(ev))]
        if not files:
            continue
        # A derived fact cites several files; the one with a line points at the claim itself.
        ev, (name, in_model) = next(((e, p) for e, p in files if _line(e) is not None), files[0])
        if hub is not None and in_model:
            return hub + quote(name.lstrip("/"), safe=_URI_SAFE), _line(ev)
        return _join(base if in_model else None, name), _line(ev)
    if hub is not None:
        return hub + quote(_fallback_file(report), safe=_URI_SAFE), None
    return _join(base, _fallback_file(report)), None


_API_MODEL = re.compile(r"^(https?://[^\s]+?)/api/models/")


def _hub_root(report: dict[str, Any], model: dict[str, Any]) -> str | None:
    """``{endpoint}/{id}/blob/{sha}/`` for a hub model, the endpoint read from the report's own
    evidence (hub file and API URLs); None for other models or when no evidence names the hub."""
    model_id = model.get("id")
    if model.get("source") != "hub" or not model_id:
        return None
    at = str(model.get("sha") or model.get("revision") or "main")
    marker = f"/{model_id}/"
    for body in (report.get("facts") or {}).values():
        for ev in (body or {}).get("evidence") or [] if isinstance(body, dict) else []:
            source = str(ev.get("source") or "") if isinstance(ev, dict) else ""
            if not _absolute_http(source):
                continue
            api = _API_MODEL.match(source)
            endpoint = api.group(1) if api else None
            if endpoint is None and marker in source and _HUB_FILE.search(source):
                endpoint = source.split(marker, 1)[0]
            if endpoint:
                return f"{endpoint}/{quote(str(model_id), safe='/')}/blob/{quote(at, safe='')}/"
    return None


def _line(ev: dict[str, Any]) -> int | None:
    line = ev.get("line")
    return line if isinstance(line, int) and not isinstance(line, bool) and line >= 1 else None


def _model_base(model: dict[str, Any]) -> str | None:
    source = model.get("source")
    if source == "local" and model.get("path"):
        return str(model["path"])
    if source == "hub" and model.get("id"):
        return f"hub/{model['id']}"
    return None


def _evidence_file(ev: dict[str, Any]) -> tuple[str, bool] | None:
    """The file an evidence item names, and whether it lives in the model's directory."""
    kind = str(ev.get("kind") or "")
    source = str(ev.get("source") or "").strip()
    if kind in _NO_FILE_KINDS or not source or source.lower() in _NOT_FILES or source.startswith("-"):
        return None
    if "://" in source:
        parts = urlsplit(source)
        if parts.scheme == "file":
            return unquote(parts.path), False
        if parts.scheme not in ("http", "https"):
            return None
        # A hub file URL: the path after the revision is the file inside the model.
        hub = _HUB_FILE.search(parts.path)
        name = unquote(hub.group(1) if hub else posixpath.basename(parts.path))
        return (name, True) if name and _FILE_LIKE.search(name) else None
    first = _MORE.sub("", source.split(", ")[0]).strip()
    if not _FILE_LIKE.search(first):
        return None
    return first, kind != "declared"


def _fallback_file(report: dict[str, Any]) -> str:
    files = [str(p) for p in (report.get("inputs") or {}).get("files_read") or []]
    for wanted in ("readme.md", "config.json"):
        for name in files:
            if name.lower() == wanted:
                return name
    return files[0] if files else "README.md"


def _join(base: str | None, name: str) -> str:
    name = name.replace("\\", "/")
    if base is not None and not _is_absolute(name):
        root = posixpath.normpath(base.replace("\\", "/"))
        # Evidence read through the model's path already names it (``models/m/README.md``).
        if posixpath.normpath(name) != root and not posixpath.normpath(name).startswith(root + "/"):
            name = posixpath.join(root, name)
    if _is_absolute(name):
        path = name if name.startswith("/") else "/" + name
        return "file://" + quote(posixpath.normpath(path), safe=_URI_SAFE)
    path = posixpath.normpath(name)
    return quote(path, safe=_URI_SAFE)


def _is_absolute(path: str) -> bool:
    return path.startswith("/") or bool(re.match(r"^[A-Za-z]:/", path))


# Small helpers ------------------------------------------------------------------------------


def _category(model: dict[str, Any]) -> str:
    raw = str(model.get("id") or "model")
    return re.sub(r"[^A-Za-z0-9._/-]+", "-", raw).strip("-/") or "model"


def _pascal(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text)
    return "".join(w[:1].upper() + w[1:] for w in words)[:100]


def _absolute_http(uri: str) -> bool:
    parts = urlsplit(uri.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not re.search(r"\s", uri.strip())


def _scrub(obj: Any) -> Any:
    """Drop lone surrogates from every string: they cannot be written as UTF-8."""
    if isinstance(obj, str):
        return _SURROGATE.sub("", obj)
    if isinstance(obj, dict):
        return {_scrub(k): _scrub(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_scrub(v) for v in obj]
    return obj


def _jsonable(obj: Any) -> Any:
    """A copy with non-finite floats made null and unknown objects made strings (SARIF is strict JSON)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    return str(obj)
