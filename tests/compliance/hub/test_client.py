"""The network boundary against the local hub: retries, budgets, garbage, redirects, cache, offline."""

from __future__ import annotations

import socket
import time

import pytest

from compliance.errors import HubError, ModelNotFound, RateLimited
from compliance.hub.client import Budget, origin
from compliance.settings import Settings
from tests.compliance.hub.conftest import Run, hub_requests
from tests.hubfixtures import HubServer

MODEL = "meta-llama/Llama-3.1-8B"
INFO_PATH = "^/api/models/meta-llama/Llama-3.1-8B$"


def api_calls(hub: HubServer) -> list[int]:
    return [e["status"] for e in hub_requests(hub) if e["path"].startswith("/api/models/")]


def test_429_with_retry_after_zero_is_retried(hub: HubServer, run: Run) -> None:
    hub.fault(match=INFO_PATH, status=429, times=2, headers={"Retry-After": "0"})
    started = time.monotonic()
    inspection = run.inspect(MODEL)
    assert api_calls(hub) == [429, 429, 200]
    assert inspection.facts.value("parameters") == 8_030_261_248
    assert time.monotonic() - started < 2.0  # Retry-After 0 honoured: no backoff sleeps


def test_503_is_retried_then_succeeds(hub: HubServer, run: Run) -> None:
    hub.fault(match=INFO_PATH, status=503, times=1)
    assert run.inspect(MODEL).model.sha is not None
    assert api_calls(hub) == [503, 200]


def test_503_on_a_file_is_retried_too(hub: HubServer, run: Run) -> None:
    hub.fault(match="/README.md$", status=503, times=1)
    inspection = run.inspect(MODEL)
    readme = [e["status"] for e in hub_requests(hub) if e["path"].endswith("/README.md")]
    assert readme == [503, 200]
    assert inspection.facts.value("training_tokens") == pytest.approx(15e12)


def test_persistent_rate_limit_gives_up_after_the_retries(hub: HubServer, run: Run) -> None:
    hub.fault(match=INFO_PATH, status=429, times=None, headers={"Retry-After": "0"})
    with pytest.raises(RateLimited) as info:
        run.inspect(MODEL, settings=run.settings.with_overrides(hub_retries=2))
    assert info.value.retry_after == 0.0 and info.value.exit_code == 3
    assert api_calls(hub) == [429, 429, 429]


def test_a_wait_longer_than_the_budget_is_not_attempted(hub: HubServer, run: Run) -> None:
    hub.fault(match=INFO_PATH, status=429, times=None, headers={"Retry-After": "30"})
    started = time.monotonic()
    with pytest.raises(RateLimited) as info:
        run.inspect(MODEL, settings=run.settings.with_overrides(hub_budget=2.0))
    assert info.value.retry_after == 30.0
    assert time.monotonic() - started < 1.0 and api_calls(hub) == [429]


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def test_dead_endpoint_fails_within_the_budget(run: Run) -> None:
    settings = Settings(hf_endpoint=f"http://127.0.0.1:{closed_port()}", hub_budget=1.0, hub_retries=10)
    started = time.monotonic()
    with pytest.raises(HubError) as info:
        run.inspect(MODEL, settings=settings)
    assert time.monotonic() - started < 2.0
    assert "cannot reach the hub" in info.value.message
    assert info.value.exit_code == 3


def test_slow_answers_time_out(hub: HubServer, run: Run) -> None:
    hub.fault(match=INFO_PATH, delay=1.5, times=1)
    settings = run.settings.with_overrides(hub_timeout=0.3, hub_retries=0)
    with pytest.raises(HubError) as info:
        run.inspect(MODEL, settings=settings)
    assert "in time" in info.value.message
    # The server is still sleeping on the abandoned request; wait until it has logged it, so
    # that it is not counted among the next test's requests.
    deadline = time.monotonic() + 5.0
    while not hub.log(path="Llama-3.1-8B") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.log(path="Llama-3.1-8B")


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ("<html><body>Bad gateway page</body></html>", "text/html", "not JSON"),
        ('{"id": "meta-llama/Llama-3.1-8B", ', "application/json", "not JSON"),
        ("[1, 2, 3]", "application/json", "not a model description"),
        ('{"no": "id"}', "application/json", "not a model description"),
    ],
)
def test_garbage_answers_are_hub_errors_not_retried(
    hub: HubServer, run: Run, body: str, content_type: str, message: str
) -> None:
    hub.fault(match=INFO_PATH, status=200, body=body, headers={"Content-Type": content_type}, times=None)
    with pytest.raises(HubError) as info:
        run.inspect(MODEL)
    assert message in info.value.message
    assert api_calls(hub) == [200]


def test_a_redirect_to_another_host_is_refused(hub: HubServer, run: Run) -> None:
    elsewhere = hub.url.replace("127.0.0.1", "localhost")
    assert origin(elsewhere) != origin(hub.url)
    hub.fault(match=INFO_PATH, status=302, headers={"Location": f"{elsewhere}/api/models/{MODEL}"}, times=None)
    with pytest.raises(HubError) as info:
        run.inspect(MODEL)
    assert "refused a request" in info.value.message
    assert api_calls(hub) == [302]  # the redirect target was never asked


def test_a_file_redirect_to_another_host_is_refused_and_reported(hub: HubServer, run: Run) -> None:
    elsewhere = hub.url.replace("127.0.0.1", "localhost")
    hub.fault(match="/README.md$", status=302, headers={"Location": f"{elsewhere}/cdn/README.md"}, times=None)
    inspection = run.inspect(MODEL)
    assert any("redirected README.md" in w for w in inspection.warnings)
    assert not any(e["path"].startswith("/cdn/") for e in hub.log())
    assert inspection.facts.value("license") == "llama3.1"  # from cardData instead


def test_repeated_runs_read_files_from_the_cache(hub: HubServer, run: Run) -> None:
    first = run.inspect(MODEL)
    hub.clear_log()
    second = run.inspect(MODEL)
    assert [e["path"] for e in hub_requests(hub)] == [f"/api/models/{MODEL}"]
    assert second.facts.to_dict() == first.facts.to_dict()
    assert any(f.endswith("README.md (cached)") for f in second.files_read)


def test_a_sweep_reads_the_cache_but_does_not_fill_it(hub: HubServer, run: Run) -> None:
    swept = run.inspect(MODEL, cache_writes=False)
    assert not run.cache_dir.exists() or not any(p.is_file() for p in run.cache_dir.rglob("*"))
    run.inspect(MODEL)  # an ordinary check fills the cache ...
    hub.clear_log()
    again = run.inspect(MODEL, cache_writes=False)  # ... which a sweep then reads
    assert [e["path"] for e in hub_requests(hub)] == [f"/api/models/{MODEL}"]
    assert again.facts.to_dict() == swept.facts.to_dict()


def test_offline_answers_from_the_cache_with_zero_requests(hub: HubServer, run: Run) -> None:
    online = run.inspect("meta-llama/Llama-3.1-8B-Instruct")
    hub.clear_log()
    offline = run.inspect("meta-llama/Llama-3.1-8B-Instruct", settings=run.settings.with_overrides(hub_offline=True))
    assert hub.log() == []
    assert offline.model.sha == online.model.sha
    assert offline.facts.to_dict() == online.facts.to_dict()
    assert [row["model"] for row in offline.lineage] == ["meta-llama/Llama-3.1-8B"]


def test_offline_without_a_cached_answer_is_not_found(hub: HubServer, run: Run) -> None:
    with pytest.raises(ModelNotFound) as info:
        run.inspect(MODEL, settings=run.settings.with_overrides(hub_offline=True))
    assert "offline" in info.value.message and "run once online" in info.value.message
    assert hub.log() == []


def test_budget_arithmetic() -> None:
    now = [100.0]
    budget = Budget(2.0, clock=lambda: now[0])
    assert budget.request_timeout(10.0, "x") == 2.0
    assert budget.allows_wait(1.0) and not budget.allows_wait(1.95)
    now[0] = 102.0
    with pytest.raises(HubError, match="budget of 2 s used up before x"):
        budget.request_timeout(10.0, "x")


def test_weight_hashes_are_the_lfs_sha256_the_hub_reports(hub: HubServer, run: Run) -> None:
    from web.hubserver.demo import DemoRegistry

    model = "openbmb/MiniCPM-Llama3-V-2_5"
    client = run.client()
    info = client.model_info(model, None, client.new_budget())
    files = sorted(f for f in info.siblings or () if f.endswith(".safetensors"))
    assert info.sha is not None and files
    repo = DemoRegistry().get(model)
    assert repo is not None
    expected = sorted(f.sha256 for f in repo.main.weight_files())
    assert client.weight_hashes(model, info.sha, files, client.new_budget()) == expected
    offline = run.client(hub_offline=True)
    assert offline.weight_hashes(model, info.sha, files, offline.new_budget()) == []
