"""Dashboard speed and weight: server time of the models table and a result page with 100,000 checks stored.

The database is SQLite on the embedded defaults, filled in bulk: 2,000 registry models of 40
organisations with 50 checks each (100,000 check rows), the latest check of every model with a
full stored report, facts and findings copied from one real check (its training compute varied
so the models spread over every band). Older checks are rows without documents, as their
reports would not be read by these pages. Requests go through Flask's test client, so the times
are the server's own (routing, queries, templates), without the network.

Aims: p95 under 100 ms for both pages; every page under 200 kB without images.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import statistics
import tempfile
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

MODELS = 2_000
CHECKS_PER_MODEL = 50
ORGS = 40
REQUESTS = 200
PASSWORD = "bench password, long enough"


class _NoQueue:
    """A task sender that drops everything (nothing is submitted here)."""

    def send_task(self, *args: Any, **kwargs: Any) -> None:
        return None


def _blob(value: Any) -> bytes:
    # The storage layer's compressed JSON, made once per document instead of once per row.
    return zlib.compress(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(), 6)


def _seed(settings: Any) -> tuple[list[str], float]:
    """Fill the database; returns the latest check ids and the seconds it took."""
    import sqlalchemy as sa

    from compliance.demo import CONFIG
    from compliance.services.checks import get_report, run_check, submit_check
    from compliance.services.users import create_user
    from compliance.storage.db import make_engine, session_factory, session_scope
    from compliance.storage.migrate import upgrade
    from compliance.storage.tables import CheckRow, FindingRow, ModelRow

    started = time.perf_counter()
    url = settings.effective_database_url
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    card = "---\nlicense: apache-2.0\npipeline_tag: text-generation\n---\nPretrained on 15 trillion tokens.\n"
    with session_scope(factory) as session:
        create_user(session, email="bench@example.com", password=PASSWORD, role="admin", created_by="bench")
        uploaded = {"card": card, "config": CONFIG}
        options = {"markets": ["EU"], "open_weights": False}
        sample = submit_check(session, model_ref="bench/sample", source="api", uploaded=uploaded, options=options).id
    run_check(factory, sample, settings=settings)
    with session_scope(factory) as session:
        report = get_report(session, sample) or {}
        done = session.get(CheckRow, sample)
        assert done is not None
        hashes, rules_hash = done.ruleset_hashes, done.rules_hash
    facts = report["facts"]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(7)
    checks: list[dict[str, Any]] = []
    latest: list[str] = []
    data_rows: list[dict[str, Any]] = []
    finding_rows: list[dict[str, Any]] = []
    model_rows: list[dict[str, Any]] = []
    inputs_blob = _blob({"options": {"markets": ["EU"], "open_weights": False}, "uploaded": None})
    for m in range(MODELS):
        model_id = f"org{m % ORGS:02d}/model-{m:05d}"
        compute = 10 ** rng.uniform(20.5, 26.5)
        for c in range(CHECKS_PER_MODEL):
            check_id = f"b{m:05d}c{c:02d}".ljust(16, "0")
            at = base + timedelta(hours=m, minutes=c)
            checks.append({
                "id": check_id, "model_ref": model_id, "revision": None, "sha": "a" * 40, "source": "scan",
                "requested_by": "scan:1", "queue": None, "status": "done",
                "outcome": rng.choice(["pass", "fail", "inconclusive"]),
                "exit_code": 0, "ruleset_hashes": hashes, "rules_hash": rules_hash, "estimator_version": "bench",
                "as_of": at.date(), "error": None, "attempts": 1, "idempotency_key": None,
                "created_at": at, "started_at": at, "finished_at": at,
            })  # fmt: skip
        latest_id = checks[-1]["id"]
        latest.append(latest_id)
        varied = {**facts, "training_compute_flop": {**facts["training_compute_flop"], "value": compute,
                                                     "low": compute * 0.7, "high": compute * 1.4}}  # fmt: skip
        document = {**report, "model": {**report["model"], "id": model_id}, "facts": varied}
        data_rows.append(
            {"check_id": latest_id, "inputs": inputs_blob, "report": _blob(document), "facts": _blob(varied)}
        )
        for f in report["findings"]:
            finding_rows.append({
                "check_id": latest_id, "model_ref": model_id, "rule_id": f["rule_id"], "ruleset": f["ruleset"],
                "ruleset_version": f["ruleset_version"], "jurisdiction": f["jurisdiction"], "verdict": f["verdict"],
                "what_if": f["what_if"], "severity": f["severity"], "waived": False, "title": f["title"],
            })  # fmt: skip
        model_rows.append({"id": model_id, "author": model_id.split("/")[0], "latest_check_id": latest_id,
                           "last_sha": "a" * 40, "first_seen": base,
                           "last_seen": base + timedelta(hours=m)})  # fmt: skip
    raw_data = sa.table("check_data", sa.column("check_id"), sa.column("inputs", sa.LargeBinary),
                        sa.column("report", sa.LargeBinary), sa.column("facts", sa.LargeBinary))  # fmt: skip
    with engine.begin() as connection:
        for start in range(0, len(checks), 10_000):
            connection.execute(sa.insert(CheckRow.__table__), checks[start : start + 10_000])  # type: ignore[attr-defined]
        connection.execute(sa.insert(raw_data), data_rows)
        connection.execute(sa.insert(FindingRow.__table__), finding_rows)  # type: ignore[attr-defined]
        connection.execute(sa.insert(ModelRow.__table__), model_rows)  # type: ignore[attr-defined]
    engine.dispose()
    return latest, time.perf_counter() - started


def _times(client: Any, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


def _line(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    verdict = "ok" if p95 < 100 else "over the 100 ms aim"
    return f"   {label:<44} p50 {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms   ({verdict})"


def main(args: Any) -> None:
    """Seed, time the two pages, weigh every page; prints the figures."""
    from compliance.settings import Settings
    from web.app import create_app

    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        settings = Settings(data_dir=Path(tmp), hf_endpoint="http://127.0.0.1:9", hub_offline=True)
        latest, seeded = _seed(settings)
        print(f"   seeded {MODELS * CHECKS_PER_MODEL:,} checks of {MODELS:,} models in {seeded:.1f} s")
        app = create_app(settings, celery=_NoQueue(), config={"TESTING": True})
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        assert found, "no CSRF token on the login page"
        token = found.group(1)
        answer = client.post("/login", data={"email": "bench@example.com", "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 302, "bench login failed"
        rng = random.Random(11)
        cold = _times(client, ["/models?sort=distance"])[0]
        print(f"   first models page with compute (fills the compute cache): {cold:.0f} ms")
        table = [f"/models?page={rng.randint(1, MODELS // 50)}" for _ in range(REQUESTS)]
        filtered = [f"/models?org=org{rng.randint(0, ORGS - 1):02d}&verdict={rng.choice(['pass', 'fail'])}"
                    for _ in range(REQUESTS)]  # fmt: skip
        banded = [f"/models?band=1e23-1e24&sort=-compute&page={rng.randint(1, 3)}" for _ in range(REQUESTS)]
        results = [f"/checks/{rng.choice(latest)}" for _ in range(REQUESTS)]
        print(_line("models table, any page", _times(client, table)))
        print(_line("models table, organisation + verdict filter", _times(client, filtered)))
        print(_line("models table, band filter sorted by compute", _times(client, banded)))
        print(_line("result page (full report, 37 findings)", _times(client, results)))
        assets = 0
        for asset in ("/dashboard-static/dashboard.css", "/dashboard-static/dashboard.js"):
            response = client.get(asset)
            assets += len(response.data)
            response.close()
        print(f"   page weight (HTML + {assets / 1000:.1f} kB CSS and JS; gzip in brackets; aim < 200 kB):")
        result = f"/checks/{latest[0]}"
        pages = ["/", "/models", "/models/org00/model-00000", result, result + "/print", "/checks", "/checks/new",
                 "/scans", "/rules", "/hardware", "/waivers", "/audit", "/tokens"]  # fmt: skip
        for path in pages:
            body = client.get(path).data
            total = len(body) + assets
            print(f"     {path:<40} {total / 1000:6.1f} kB  ({len(gzip.compress(body)) / 1000:5.1f} kB HTML gzipped)"
                  + ("" if total < 200_000 else "  OVER"))  # fmt: skip
        app.extensions["dashboard"].engine.dispose()
        app.extensions["compliance"].database.dispose()
