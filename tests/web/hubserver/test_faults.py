"""Injected faults seen through the real client: rate limits, 5xx, bad bodies, slow and dropped connections."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.hubfixtures import HubServer

if TYPE_CHECKING:
    from huggingface_hub import HfApi

TINY = "demo-labs/tiny-random-llama"
INFO = r"^/api/models/Qwen/Qwen2-7B$"


def test_rate_limit_on_model_info_is_not_retried(hub: HubServer, hub_api: HfApi) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    hub.fault(INFO, status=429, headers={"Retry-After": "0"})
    with pytest.raises(HfHubHTTPError) as info:
        hub_api.model_info("Qwen/Qwen2-7B")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "0"
    assert hub_api.model_info("Qwen/Qwen2-7B").id == "Qwen/Qwen2-7B"  # one-shot fault


def test_list_models_retries_a_rate_limited_first_page(hub: HubServer, hub_api: HfApi) -> None:
    fault = hub.fault(r"^/api/models$", status=429, headers={"Retry-After": "0"})
    assert len(list(hub_api.list_models(author="Qwen"))) == 3
    assert fault.hits == 1
    assert [e["status"] for e in hub.log()] == [429, 200]


def test_download_recovers_from_one_503_on_head(hub: HubServer, tmp_path: Path) -> None:
    from huggingface_hub import hf_hub_download

    hub.fault("tiny-random-llama/resolve/main/config.json", method="HEAD", status=503)
    path = hf_hub_download(TINY, "config.json", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert Path(path).read_text().startswith("{")
    assert [e["status"] for e in hub.log(method="HEAD")] == [503, 200]


def test_server_error_on_header_read_surfaces(hub: HubServer, hub_api: HfApi) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    hub.fault("tiny-random-llama/resolve/main/model.safetensors", method="GET", status=500, times=None)
    with pytest.raises(HfHubHTTPError, match="500"):
        hub_api.get_safetensors_metadata(TINY)


@pytest.mark.parametrize("body", ["<html><body>Bad gateway</body></html>", '{"id": "Qwen/Qw'])
def test_html_or_garbage_json_with_200_breaks_parsing(hub: HubServer, hub_api: HfApi, body: str) -> None:
    hub.fault(INFO, status=200, body=body)
    with pytest.raises(ValueError):  # json.JSONDecodeError
        hub_api.model_info("Qwen/Qwen2-7B")


def test_dropped_connection(hub: HubServer, hub_api: HfApi) -> None:
    from huggingface_hub.utils import httpx

    hub.fault(INFO, drop=True)
    with pytest.raises(httpx.TransportError):
        hub_api.model_info("Qwen/Qwen2-7B")
    (entry,) = hub.log()
    assert entry["dropped"] and entry["status"] is None


def test_download_retries_after_a_mid_body_drop(hub: HubServer, tmp_path: Path) -> None:
    from huggingface_hub import hf_hub_download

    hub.fault("tiny-random-llama/resolve/main/model.safetensors", method="GET", drop_after=300_000)
    path = hf_hub_download(TINY, "model.safetensors", endpoint=hub.url, cache_dir=tmp_path, token=False)
    first, second = hub.log(method="GET")
    assert first["dropped"] and first["bytes"] == 300_000
    # The client buffers 10 MB chunks, so the partial body is lost and it starts over (after 1 s).
    assert second["status"] == 200 and second["bytes"] == Path(path).stat().st_size == 822_632


def test_slow_response_is_logged_with_its_duration(hub: HubServer, hub_api: HfApi) -> None:
    hub.fault(INFO, delay=0.2)
    started = time.perf_counter()
    hub_api.model_info("Qwen/Qwen2-7B")
    assert time.perf_counter() - started >= 0.2
    assert hub.log()[0]["duration"] >= 0.2


def test_unbounded_fault_until_reset(hub: HubServer, hub_api: HfApi) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    hub.fault(INFO, status=502, times=None)
    for _ in range(3):
        with pytest.raises(HfHubHTTPError):
            hub_api.model_info("Qwen/Qwen2-7B")
    hub.reset()
    assert hub_api.model_info("Qwen/Qwen2-7B").sha
