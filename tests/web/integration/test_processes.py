"""Checks and scans through the API, run by real worker processes, on each backend."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from compliance.storage.db import session_scope
from compliance.storage.tables import ChangeRow, CheckRow, FindingRow, ScanItemRow
from tests.web.integration.conftest import Stack, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo model directory (metadata and sparse weights)."""
    from compliance.demo import build

    return Path(build(tmp_path_factory.mktemp("models") / "assistant-8b"))


def _cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    result = subprocess.run([sys.executable, "-m", "compliance", *args], env=env, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    return result.returncode, result.stdout, result.stderr


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    """What must agree between a local and a remote check (not where the files were read from)."""
    return {
        "findings": [{k: v for k, v in f.items() if k != "evidence"} for f in report["findings"]],
        "summary": report["summary"],
        "facts": {
            k: (v.get("value"), v.get("low"), v.get("high"), v.get("confidence")) for k, v in report["facts"].items()
        },
        "rulesets": report["rulesets"],
        "as_of": report["as_of"],
    }


def test_remote_check_gives_the_same_report_and_exit_code(
    stack: Stack, live_server: Any, model_dir: Path, hub_server: Any
) -> None:
    url = live_server(stack.app())
    token = stack.token("submitter")
    env = {**stack.env, "COMPLIANCE_DATA_DIR": str(stack.workdir / "cli")}
    cases = [
        [str(model_dir), "--market", "EU", "--open-weights", "yes", "--as-of", "2026-06-01"],
        [str(model_dir), "--destination", "AE", "--hardware", "H100x8", "--fail-on", "medium", "--allow-uncertain"],
        ["meta-llama/Llama-3.1-8B-Instruct", "--endpoint", hub_server.url, "--market", "EU"],
    ]
    for args in cases:
        local_code, local_out, local_err = _cli("check", *args, "--format", "json", env=env)
        remote_args = [a for a in args if a not in ("--endpoint", hub_server.url)]
        remote_code, remote_out, remote_err = _cli(
            "check",
            *remote_args,
            "--format",
            "json",
            "--server",
            url,
            "--server-token",
            token,
            "--timeout",
            "180",  # generous: a loaded CI machine runs PostgreSQL, Redis, workers and the hub at once
            env=env,
        )
        assert remote_out and local_out, (args, local_err, remote_err)
        assert remote_code == local_code, (args, local_err, remote_err)
        assert _comparable(json.loads(remote_out)) == _comparable(json.loads(local_out)), args
    local_code, _, _ = _cli("check", "nobody/missing-model", "--endpoint", hub_server.url, env=env)
    # The contract's spelling: --token is the server's token when --server is given.
    remote_code, _, err = _cli("check", "nobody/missing-model", "--server", url, "--token", token,
                               "--timeout", "60", env=env)  # fmt: skip
    assert local_code == remote_code == 3, err
    code, _, err = _cli("check", str(model_dir), "--server", url, "--server-token", "cmp_wrong", env=env)
    assert code == 4 and "refused the token" in err


def test_a_scan_through_the_api_stores_every_model_once(stack: Stack) -> None:
    app = stack.app()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {stack.token('submitter')}"}
    response = client.post("/api/v1/scans", json={"author": "meta-llama"}, headers=headers)
    assert response.status_code == 202
    url = response.get_json()["url"]
    scan = wait_for(lambda: (s := client.get(url, headers=headers).get_json())["status"] == "done" and s,
                    timeout=60, what="the scan")  # fmt: skip
    assert scan["total"] == scan["done"] >= 3 and scan["errors"] == 0
    assert len([c for c in scan["changes"] if c["kind"] == "new_model"]) == scan["total"]
    database = app.extensions["compliance"].database
    with session_scope(database.session_factory) as session:
        item_checks = session.exec(select(ScanItemRow.check_id).where(col(ScanItemRow.scan_id) == scan["id"])).all()
        assert len(set(item_checks)) == len(item_checks) == scan["total"]
        for check_id in item_checks:
            check = session.get(CheckRow, check_id)
            assert check is not None and check.status == "done" and check.sha
            rules = session.exec(select(FindingRow.rule_id).where(col(FindingRow.check_id) == check_id)).all()
            assert len(rules) == len(set(rules)) > 0
        changes = session.exec(select(sa.func.count()).select_from(ChangeRow).where(col(ChangeRow.scan_id) ==
                               scan["id"])).one()  # fmt: skip
        assert changes == scan["changes_total"]


def test_health_answers_on_each_backend(stack: Stack) -> None:
    response = stack.app().test_client().get("/healthz")
    assert response.status_code == 200, response.get_json()


def test_beat_starts_a_scheduled_scan(tmp_path: Path, hub_server: Any) -> None:
    from compliance.services.targets import create_target
    from compliance.storage.tables import ScanRow
    from tests.web.integration.conftest import make_stack
    from web.db import Database

    stack = make_stack("beat", tmp_path, hub_server.url)
    database = Database.from_settings(stack.settings)
    try:
        with session_scope(database.session_factory) as session:
            target = create_target(session, kind="author", value="meta-llama", actor="tests")  # daily, due now
        stack.start_worker("--queues", "ci,interactive,scan", "--concurrency", "2")
        stack.start("beat", "--loglevel", "INFO", "--tick", "1", ready="beat: Starting")

        def finished() -> Any:
            with session_scope(database.session_factory) as session:
                scan = session.exec(select(ScanRow).where(col(ScanRow.target_id) == target.id)).first()
                return scan if scan is not None and scan.status == "done" else None

        scan = wait_for(finished, timeout=60, what="the scheduled scan")
        assert scan.trigger == "beat" and scan.done == scan.total >= 3
    finally:
        stack.stop()
        database.dispose()


@pytest.mark.services
def test_several_server_processes_take_checks_together(postgres_redis: Stack) -> None:
    import http.client
    import socket
    from concurrent.futures import ThreadPoolExecutor

    stack = postgres_redis
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    server = stack.start("serve", "--port", str(port), "--workers", "2", "--threads", "4", ready="serving on")
    token = stack.token("submitter")
    try:

        def children() -> list[str]:
            return [p for task in Path(f"/proc/{server.proc.pid}/task").glob("*/children")
                    for p in task.read_text().split()]  # fmt: skip

        wait_for(lambda: len(children()) == 2, timeout=30, what="two server processes")

        def submit(n: int) -> str:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            body = json.dumps({"model": "meta-llama/Llama-3.1-8B-Instruct", "markets": ["EU"]})
            key = f"{token[-12:]}-{n}"  # keys are global: this token's own
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key}
            conn.request("POST", "/api/v1/checks", body=body, headers=headers)
            response = conn.getresponse()
            answer = json.loads(response.read())
            conn.close()
            assert response.status == 202, answer
            return str(answer["id"])

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(submit, range(24)))
        assert len(set(ids)) == 24
        database = stack.app().extensions["compliance"].database

        def all_done() -> bool:
            with session_scope(database.session_factory) as session:
                rows = session.exec(select(CheckRow.status).where(col(CheckRow.id).in_(ids))).all()
                return sorted(rows) == ["done"] * 24

        wait_for(all_done, timeout=90, what="the 24 checks")
    finally:
        server.stop()
        stack.workers.remove(server)
    assert server.proc.returncode == 0, server.text()  # SIGTERM: a graceful stop
