"""The service commands: db, tokens, users, scan, and their errors (one line, exit code 4)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from compliance.errors import UsageError
from web import cli


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data directory, read by each command's settings."""
    data = tmp_path / "var"
    monkeypatch.setenv("COMPLIANCE_DATA_DIR", str(data))
    return data


def test_db_upgrade_migrates_and_adds_default_schedules(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.db(["upgrade"]) == 0
    assert "2 default schedule(s) added" in capsys.readouterr().out
    assert cli.db(["upgrade"]) == 0
    assert "0 default schedule(s) added" in capsys.readouterr().out
    assert cli.db(["check"]) == 0
    assert cli.db(["current"]) == 0 and capsys.readouterr().out.strip()


def test_tokens_create_prints_the_token_on_its_last_line(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli.db(["upgrade"])
    capsys.readouterr()
    assert cli.tokens(["create", "--name", "ci", "--role", "submitter"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("cmp_") and " " not in token
    cli.tokens(["list"])
    assert "submitter" in capsys.readouterr().out
    cli.tokens(["revoke", "1"])
    assert "revoked" in capsys.readouterr().out
    with pytest.raises(UsageError):
        cli.tokens(["create", "--name", "x", "--role", "emperor"])


def test_users_create_reads_the_password_from_stdin(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.db(["upgrade"])
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert cli.users(["create", "Ada@Example.org", "--role", "reviewer", "--password-stdin"]) == 0
    assert "ada@example.org" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    with pytest.raises(UsageError, match="password"):
        cli.users(["create", "bob@example.org", "--role", "viewer", "--password-stdin"])


def _generation(email: str) -> int:
    from compliance.services.users import get_user_by_email
    from compliance.settings import load_settings
    from compliance.storage.db import session_scope
    from web.db import Database

    database = Database.from_settings(load_settings())
    try:
        with session_scope(database.session_factory) as session:
            user = get_user_by_email(session, email)
            assert user is not None
            return user.session_generation
    finally:
        database.dispose()


def test_users_changes_end_the_accounts_sessions(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.db(["upgrade"])
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    cli.users(["create", "ada@example.org", "--role", "submitter", "--password-stdin"])
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("another long passphrase\n"))
    steps = [["password", "ada@example.org", "--password-stdin"], ["role", "ada@example.org", "viewer"],
             ["role", "ada@example.org", "viewer"], ["disable", "ada@example.org"], ["enable", "ada@example.org"],
             ["sign-out", "ada@example.org"]]  # fmt: skip
    generations = []
    for argv in steps:
        assert cli.users(argv) == 0
        generations.append(_generation("ada@example.org"))
    assert generations == [1, 2, 2, 3, 3, 4]
    out = capsys.readouterr().out
    assert "has role viewer already" in out and out.count("its dashboard sessions are ended") == 4
    cli.users(["list"])
    assert "viewer     ada@example.org" in capsys.readouterr().out
    with pytest.raises(UsageError, match="no account"):
        cli.users(["disable", "bob@example.org"])


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["author:acme"], ("author", "acme")),
        (["search:llama 3"], ("search", "llama 3")),
        (["acme/a", "acme/b"], ("models", ["acme/a", "acme/b"])),
    ],
)
def test_scan_targets_are_parsed(argv: list[str], expected: tuple[str, Any]) -> None:
    assert cli.parse_scan_target(argv) == expected


@pytest.mark.parametrize("argv", [["author:"], ["author:a", "author:b"], ["colour:red"]])
def test_bad_scan_targets(argv: list[str]) -> None:
    with pytest.raises(UsageError):
        cli.parse_scan_target(argv)


def test_scan_inline_shows_progress_and_finishes(
    env: Path, hub: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMPLIANCE_HF_ENDPOINT", hub.url)
    cli.db(["upgrade"])
    assert cli.scan(["author:meta-llama", "--inline", "--timeout", "60"]) == 0
    err = capsys.readouterr().err
    assert "scan 1 of author: meta-llama" in err
    assert "done:" in err and "/s" in err and "errors)" in err


def test_progress_line_shows_done_total_rate_and_errors() -> None:
    from web.scanwatch import progress_line

    line = progress_line({"total": 200, "done": 90, "errors": 2, "skipped": 8, "listing_finished": True,
                          "rate_per_second": 45.5, "eta_seconds": 2.2})  # fmt: skip
    assert line.startswith("[" + "#" * 15 + "." * 15 + "] 100/200")
    assert "2 errors" in line and "45.5/s" in line and "ETA 2 s" in line


def test_the_commands_run_as_processes_with_exit_codes(env: Path) -> None:
    run = [sys.executable, "-m", "web"]
    result = subprocess.run([*run, "tokens", "create", "--name", "x", "--role", "viewer"], capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0  # no database yet: a clean error, not a traceback
    assert "Traceback" not in result.stderr
    assert subprocess.run([*run, "db", "upgrade"], capture_output=True, timeout=60).returncode == 0
    bad = subprocess.run([*run, "worker", "--queues", "bulk"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 4 and bad.stderr.startswith("error:") and "--queues" in bad.stderr
    assert subprocess.run([*run], capture_output=True, timeout=60).returncode == 4


def test_serve_refuses_several_processes_on_the_embedded_database(env: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "web", "serve", "--workers", "2"], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 4 and result.stderr.count("\n") == 1
    assert "--workers above 1" in result.stderr and "COMPLIANCE_DATABASE_URL" in result.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_taken_port_is_a_one_line_error(
    env: Path, workers: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    from compliance.errors import ServiceError

    if workers != "1":  # past the SQLite refusal; the port is probed before anything connects
        monkeypatch.setenv("COMPLIANCE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
        monkeypatch.setenv("COMPLIANCE_BROKER_URL", "redis://127.0.0.1:9/0")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        taken.listen()
        with pytest.raises(ServiceError, match=f"cannot listen on 127.0.0.1:{port}: Address already in use"):
            cli.serve(["--port", str(port), "--workers", workers])
    assert "serving on" not in capsys.readouterr().err


MISSING_DRIVER_URL = "postgresql+psycopg2://ci:secret@127.0.0.1:9/app"


@pytest.mark.parametrize(
    "argv",
    [["db", "upgrade"], ["serve", "--port", "0"], ["serve", "--port", "0", "--workers", "2"], ["worker"], ["beat"]],
)
def test_a_database_driver_that_is_not_installed_stops_the_service_commands(
    env: Path, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    if importlib.util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed here")
    monkeypatch.setenv("COMPLIANCE_DATABASE_URL", MISSING_DRIVER_URL)
    with pytest.raises(UsageError, match=r"pip install 'psycopg2-binary'"):
        getattr(cli, argv[0])(argv[1:])


def test_a_missing_driver_is_one_printed_line_and_exit_4(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    if importlib.util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed here")
    monkeypatch.setenv("COMPLIANCE_RESULT_BACKEND", "db+" + MISSING_DRIVER_URL)  # Celery's, checked too
    result = subprocess.run([sys.executable, "-m", "web", "worker"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 4 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: the database driver 'psycopg2'") and "secret" not in result.stderr


@pytest.mark.parametrize(
    ("given", "housekeeping", "consumed"),
    [
        (["scan"], True, ["scan", "housekeeping"]),
        (["ci", "interactive"], True, ["ci", "interactive", "housekeeping"]),
        (["scan"], False, ["scan"]),
        (["housekeeping", "scan", "scan"], True, ["scan", "housekeeping"]),
        (["housekeeping"], False, ["housekeeping"]),  # asked for by name: kept
    ],
)
def test_every_worker_consumes_housekeeping_last(given: list[str], housekeeping: bool, consumed: list[str]) -> None:
    assert cli.worker_queues(given, housekeeping=housekeeping) == consumed


@pytest.fixture
def started(env: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], Any]]:
    """``cli.worker`` with Celery's worker_main recorded instead of run: (argv, app conf) per start."""
    from celery import Celery

    calls: list[tuple[list[str], Any]] = []
    monkeypatch.setattr(Celery, "worker_main", lambda self, argv=None: calls.append((list(argv or []), self.conf)))
    return calls


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_the_worker_takes_its_queues_then_housekeeping_and_stores_grace_and_lease(
    started: list[tuple[list[str], Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from web.worker.celery_app import LEASE_KEY, SHUTDOWN_GRACE_KEY

    monkeypatch.setenv("COMPLIANCE_WORKER_SHUTDOWN_GRACE", "25")
    assert cli.worker(["--queues", "scan", "--lease", "40"]) == 0
    assert cli.worker(["--queues", "ci,interactive", "--no-housekeeping", "--shutdown-grace", "3"]) == 0
    assert cli.worker([]) == 0
    (scan_argv, scan_conf), (check_argv, check_conf), (all_argv, _) = started
    assert _option(scan_argv, "--queues") == "scan,housekeeping"
    assert (scan_conf[SHUTDOWN_GRACE_KEY], scan_conf[LEASE_KEY]) == (25.0, 40.0)
    assert _option(check_argv, "--queues") == "ci,interactive"
    assert (check_conf[SHUTDOWN_GRACE_KEY], check_conf[LEASE_KEY]) == (3.0, 15.0)
    assert _option(all_argv, "--queues") == "ci,interactive,scan,housekeeping"
    assert _option(scan_argv, "--hostname").startswith("scan.")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--shutdown-grace", "1"], "--shutdown-grace must be at least 2"),
        (["--shutdown-grace", "3601"], "--shutdown-grace must be between 2 and 3600 seconds"),
        (["--lease", "601"], "--lease must be between 2 and 600 seconds"),
        (["--lease", "soon"], "--lease must be a number"),
        (["--lease", "nan"], "--lease must be between"),
    ],
)
def test_worker_grace_and_lease_out_of_range_are_usage_errors(
    started: list[tuple[list[str], Any]], argv: list[str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        cli.worker(argv)
    assert started == []


def test_worker_options_as_a_process_exit_4_with_one_line(env: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "web", "worker", "--lease", "1000"], capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 4 and result.stderr.count("\n") == 1, result.stderr
    assert "--lease must be between 2 and 600 seconds" in result.stderr


def test_scanning_again_takes_over_a_scan_whose_runners_died(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import timedelta

    import sqlalchemy as sa

    from compliance.settings import load_settings
    from compliance.storage.db import session_scope
    from compliance.storage.tables import ScanRow, ScanRunnerRow, utcnow
    from web.db import Database
    from web.worker import enqueue

    sent: list[int] = []
    monkeypatch.setattr(enqueue, "send_scan", lambda _app, scan_id, **_kw: sent.append(scan_id))
    cli.db(["upgrade"])
    assert cli.scan(["author:acme", "--no-wait"]) == 0 and sent == [1]
    database = Database.from_settings(load_settings())
    with session_scope(database.session_factory) as session:  # the worker took it up, then was killed
        session.execute(sa.update(ScanRow).values(status="running"))
        session.add(ScanRunnerRow(scan_id=1, task_id="t", lease_until=utcnow() - timedelta(seconds=1)))
    assert cli.scan(["author:acme", "--no-wait"]) == 0 and sent == [1, 1]
    assert cli.scan(["author:acme", "--no-wait"]) == 0 and sent == [1, 1]  # just sent: not again
    database.dispose()
