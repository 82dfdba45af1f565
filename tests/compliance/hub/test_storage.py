"""Redirects of file reads to a hub's storage host: followed to listed hosts only, without the token.

The hub under test answers a range read of the weight file with a redirect to a second local
hub (the "storage host", reached as ``localhost`` while the hub is ``127.0.0.1``), as
huggingface.co sends such reads to its CDN or Xet bridge.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from compliance.hub.storage import is_storage_url, without_credentials
from compliance.settings import HUGGINGFACE_STORAGE_HOSTS
from tests.compliance.hub.conftest import Run, hub_requests
from tests.hubfixtures import HubServer, demo_hub

MODEL = "demo-labs/tiny-random-llama"
WEIGHTS = r"/resolve/[^/]+/model\.safetensors$"
TOKEN = "hf_storage_test_token"


@pytest.fixture(scope="module")
def storage_server() -> Iterator[HubServer]:
    """A second local hub serving the same files: the storage host the hub redirects to."""
    with demo_hub() as server:
        yield HubServer(server.url.replace("127.0.0.1", "localhost"), server.app)


@pytest.fixture
def storage(storage_server: HubServer) -> Iterator[HubServer]:
    storage_server.reset()
    yield storage_server
    storage_server.reset()


def storage_host(server: HubServer) -> str:
    parts = urlsplit(server.url)
    return f"{parts.hostname}:{parts.port}"


def redirect_weights(hub: HubServer, to: str) -> None:
    """The hub answers every read of the weight file with a redirect to a signed URL at ``to``."""
    location = f"{to}/{MODEL}/resolve/main/model.safetensors?X-Amz-Signature=signed"
    hub.fault(match=WEIGHTS, status=302, headers={"Location": location}, times=None)


def test_a_read_redirected_to_a_listed_storage_host_is_followed_without_the_token(
    hub: HubServer, storage: HubServer, run: Run
) -> None:
    redirect_weights(hub, storage.url)
    settings = run.settings.with_overrides(hf_token=TOKEN, hub_storage_hosts=(storage_host(storage),))
    inspection = run.inspect(MODEL, settings=settings, thorough=True)
    params = inspection.facts.get("parameters")
    assert params is not None and params.method == "safetensors-header"
    at_hub = [e for e in hub_requests(hub) if e["path"].endswith("model.safetensors")]
    at_storage = storage.log()
    assert at_hub and all(e["status"] == 302 and e["auth"] for e in at_hub)  # the hub gets the token
    assert at_storage and all(e["status"] == 206 and e["range"] for e in at_storage)
    assert not any(e["auth"] for e in at_storage)  # the storage host never does
    assert all(e["query"] == "X-Amz-Signature=signed" for e in at_storage)
    assert not any("redirected" in w for w in inspection.warnings)


def test_a_storage_host_not_listed_is_refused_with_a_warning(hub: HubServer, storage: HubServer, run: Run) -> None:
    redirect_weights(hub, storage.url)
    settings = run.settings.with_overrides(hf_token=TOKEN, hub_storage_hosts=("localhost:1", "*.hf.co"))
    inspection = run.inspect(MODEL, settings=settings, thorough=True)
    refused = [w for w in inspection.warnings if "redirected model.safetensors" in w]
    assert refused and "not one of its storage hosts" in refused[0] and "COMPLIANCE_HUB_STORAGE_HOSTS" in refused[0]
    assert storage.log() == []
    params = inspection.facts.get("parameters")
    assert params is not None and params.method != "safetensors-header"


def test_another_endpoint_follows_no_storage_redirect_by_default(hub: HubServer, storage: HubServer, run: Run) -> None:
    assert run.settings.effective_hub_storage_hosts == ()
    redirect_weights(hub, storage.url)
    inspection = run.inspect(MODEL, thorough=True)
    assert any("redirected model.safetensors" in w and ": none)" in w for w in inspection.warnings)
    assert storage.log() == []


def test_a_storage_host_is_never_a_target_for_the_api(hub: HubServer, storage: HubServer, run: Run) -> None:
    from compliance.errors import HubError

    hub.fault(match=f"^/api/models/{MODEL}$", status=302, headers={"Location": f"{storage.url}/api/models/{MODEL}"})
    settings = run.settings.with_overrides(hub_storage_hosts=(storage_host(storage),))
    with pytest.raises(HubError, match="refused a request"):
        run.inspect(MODEL, settings=settings)
    assert storage.log() == []


def test_a_storage_error_is_the_storage_hosts_not_an_access_verdict(
    hub: HubServer, storage: HubServer, run: Run
) -> None:
    redirect_weights(hub, storage.url)
    storage.fault(match=WEIGHTS, status=403, body="<Error>Request has expired</Error>", times=None)
    settings = run.settings.with_overrides(hf_token=TOKEN, hub_storage_hosts=(storage_host(storage),))
    inspection = run.inspect(MODEL, settings=settings, thorough=True)
    assert any(f"storage host http://localhost:{urlsplit(storage.url).port} answered HTTP 403" in w
               for w in inspection.warnings)  # fmt: skip
    assert "access" not in " ".join(w for w in inspection.warnings if "403" in w)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://cdn-lfs-us-1.hf.co/repos/ab/cd/x?X-Amz-Signature=s", True),
        ("https://cas-bridge.xethub.hf.co/xet-bridge-us/x?sig=s", True),
        ("https://cdn-lfs.huggingface.co/repos/x", True),
        ("https://hf.co/x", False),  # the wildcard is for sub-domains only
        ("https://evil-hf.co/x", False),
        ("https://cdn-lfs.hf.co.evil.example/x", False),
        ("https://cdn-lfs.hf.co:8443/x", False),  # not the default port
        ("http://cdn-lfs.hf.co/x", False),  # no downgrade from https
        ("https://user:pw@cdn-lfs.hf.co/x", False),
        ("https://www.huggingface.co/x", False),  # huggingface.co hosts are named, not wildcarded
        ("ftp://cdn-lfs.hf.co/x", False),
    ],
)
def test_huggingface_storage_hosts(url: str, allowed: bool) -> None:
    assert is_storage_url(url, "https://huggingface.co", HUGGINGFACE_STORAGE_HOSTS) is allowed


def test_a_port_in_a_pattern_must_match_and_plain_http_needs_a_plain_http_hub() -> None:
    assert is_storage_url("http://localhost:8001/x", "http://127.0.0.1:8000", ("localhost:8001",))
    assert not is_storage_url("http://localhost:8002/x", "http://127.0.0.1:8000", ("localhost:8001",))
    assert not is_storage_url("http://localhost:8001/x", "https://hub.example", ("localhost:8001",))
    assert not is_storage_url("https://localhost/x", "https://hub.example", ())


def test_credentials_are_dropped_whatever_their_case() -> None:
    headers = {"authorization": "Bearer t", "Cookie": "c", "user-agent": "u", "Range": "bytes=0-7"}
    assert without_credentials(headers) == {"user-agent": "u", "Range": "bytes=0-7"}
