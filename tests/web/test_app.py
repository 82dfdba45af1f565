"""The app factory: configuration, health, errors as JSON, the dashboard hook, no Flask in the worker."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from compliance.settings import Settings
from tests.web.support import ApiClient, RecordingCelery


def test_factory_takes_settings_and_test_config(settings: Settings) -> None:
    from web.app import MAX_BODY_BYTES, create_app

    app = create_app(settings, celery=RecordingCelery(), config={"TESTING": True})
    assert app.testing and app.config["MAX_CONTENT_LENGTH"] == MAX_BODY_BYTES
    assert app.config["SECRET_KEY"] == settings.secret_key
    assert not create_app(settings, celery=RecordingCelery()).testing


def test_healthz_is_200_when_database_and_broker_answer(api: ApiClient) -> None:
    response = api.as_(None).get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_is_503_when_the_broker_is_down(api: ApiClient, celery: RecordingCelery) -> None:
    celery.fail = True
    response = api.as_(None).get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["broker"].startswith("error")


def test_healthz_is_503_when_the_database_is_gone(settings: Settings, tmp_path: Any) -> None:
    from web.app import create_app

    broken = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:9/none")
    client = create_app(broken, celery=RecordingCelery()).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"].startswith("error")


def test_healthz_with_a_real_broker_that_does_not_answer(settings: Settings) -> None:
    from web.app import create_app

    dead = settings.with_overrides(broker_url="redis://127.0.0.1:9/0")
    response = create_app(dead).test_client().get("/healthz")
    assert response.status_code == 503


def test_api_errors_are_json(api: ApiClient) -> None:
    missing = api.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and "error" in missing.get_json()
    wrong = api.request("PUT", "/api/v1/checks")
    assert wrong.status_code == 405 and "error" in wrong.get_json()


def test_dashboard_is_registered_only_when_present(settings: Settings, monkeypatch: Any) -> None:
    import importlib.util

    from web import app as app_module

    calls: list[Any] = []

    class FakeDashboard:
        @staticmethod
        def init_dashboard(app: Any, given: Settings) -> None:
            calls.append(given)

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(app_module.importlib.util, "find_spec", lambda name: None if name == "web.dashboard"
                        else real_find_spec(name))  # fmt: skip
    app_module.create_app(settings, celery=RecordingCelery())
    assert calls == []
    monkeypatch.setattr(app_module.importlib.util, "find_spec", lambda name: object() if name == "web.dashboard"
                        else real_find_spec(name))  # fmt: skip
    monkeypatch.setattr(app_module.importlib, "import_module", lambda name: FakeDashboard)
    app_module.create_app(settings, celery=RecordingCelery())
    assert calls == [settings]


def test_the_worker_never_imports_flask_and_nothing_reads_settings_at_import() -> None:
    code = (
        "import sys, os\n"
        "os.environ['COMPLIANCE_ENV'] = 'production'\n"  # load_settings would refuse: no secret key
        "import web.worker.tasks, web.worker.celery_app, web.worker.listing, web.worker.recovery, web.cli\n"
        "import web.app, web.api, web.run, web.db\n"
        "assert 'web.dashboard' not in sys.modules\n"
        "del sys.modules['flask']\n"
        "for name in [m for m in sys.modules if m.startswith(('web', 'flask'))]: del sys.modules[name]\n"
        "import web.worker.tasks\n"
        "assert 'flask' not in sys.modules, 'the worker imported flask'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
