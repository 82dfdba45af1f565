"""HTTP details of the hub app, through Flask's test client: ranges, headers, errors, controls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from web.hubserver import DemoRegistry, create_hub_app, hub_state

SHARD = "/meta-llama/Llama-3.1-8B/resolve/main/model-00001-of-00004.safetensors"


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_hub_app(DemoRegistry(), controls=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    hub_state(app).controls.reset()
    return app.test_client()


def test_agent_harnesses_is_an_object(client: FlaskClient) -> None:
    assert client.get("/api/agent-harnesses").get_json() == {"standardEnvVars": [], "harnesses": {}}


def test_head_of_a_weight_file_reports_its_full_size(client: FlaskClient) -> None:
    r = client.head(SHARD)
    size = int(r.headers["X-Linked-Size"])
    assert r.status_code == 200 and size > 3e9
    assert r.headers["Content-Length"] == str(size)
    assert r.headers["ETag"] == r.headers["X-Linked-Etag"] and len(r.headers["ETag"]) == 66
    assert len(r.headers["X-Repo-Commit"]) == 40 and r.headers["Accept-Ranges"] == "bytes"
    assert r.data == b""


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-99", 0, 99), ("bytes=8-15", 8, 15), ("bytes=-10", -10, -1), ("bytes=100-", 100, -1)],
)
def test_ranges(client: FlaskClient, header: str, first: int, last: int) -> None:
    small = "/demo-labs/tiny-random-llama/resolve/main/model.safetensors"
    size = int(client.head(small).headers["Content-Length"])
    start, end = first % size, last % size
    r = client.get(small, headers={"Range": header})
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert len(r.data) == int(r.headers["Content-Length"]) == end - start + 1


def test_range_past_the_end_is_clamped_and_unsatisfiable_is_416(client: FlaskClient) -> None:
    r = client.get("/demo-labs/tiny-random-llama/resolve/main/config.json", headers={"Range": "bytes=0-100000"})
    assert r.status_code == 206 and r.data.startswith(b"{")
    size = len(r.data)
    r = client.get("/demo-labs/tiny-random-llama/resolve/main/config.json", headers={"Range": f"bytes={size}-"})
    assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{size}"


def test_multipart_ranges_get_the_whole_small_file(client: FlaskClient) -> None:
    r = client.get("/demo-labs/tiny-random-llama/resolve/main/config.json", headers={"Range": "bytes=0-1,4-5"})
    assert r.status_code == 200 and json.loads(r.data)["model_type"] == "llama"


def test_huge_bodies_are_refused_but_ranges_work(client: FlaskClient) -> None:
    assert client.get(SHARD).status_code == 416
    r = client.get(SHARD, headers={"Range": "bytes=0-100000"})
    assert r.status_code == 206 and len(r.data) == 100_001
    length = int.from_bytes(r.data[:8], "little")
    header = json.loads(r.data[8 : 8 + length])
    assert header["model.embed_tokens.weight"]["shape"] == [128256, 4096]
    assert set(r.data[8 + length :]) == {0}


def test_revision_with_a_slash_is_one_quoted_segment(client: FlaskClient) -> None:
    r = client.get("/api/models/Qwen/Qwen2-7B/revision/refs%2Fpr%2F1")
    assert r.status_code == 404 and r.headers["X-Error-Code"] == "RevisionNotFound"
    assert "refs/pr/1" in r.headers["X-Error-Message"]


def test_tree_of_a_missing_folder(client: FlaskClient) -> None:
    r = client.get("/api/models/openai/gpt-oss-120b/tree/main/nope?recursive=false&expand=false")
    assert r.status_code == 404 and r.headers["X-Error-Code"] == "EntryNotFound"
    assert len(r.headers["X-Repo-Commit"]) == 40


def test_expand_accepts_brackets_and_refuses_unknown_values(client: FlaskClient) -> None:
    body = client.get("/api/models/microsoft/phi-4?expand[]=likes&expand[]=gated").get_json()
    assert set(body) == {"_id", "id", "likes", "gated"}
    r = client.get("/api/models/microsoft/phi-4?expand=parameters")
    assert r.status_code == 400 and "parameters" in r.get_json()["error"]


def test_dates_end_with_z(client: FlaskClient) -> None:
    body = client.get("/api/models/microsoft/phi-4").get_json()
    assert body["lastModified"].endswith("Z") and body["createdAt"].endswith("Z")


def test_list_link_is_absolute_and_keeps_parameters(app: Flask, client: FlaskClient) -> None:
    hub_state(app).config.page_size = 3
    r = client.get("/api/models?search=llama&sort=likes&cardData=true")
    link = r.headers["Link"]
    assert link.startswith("<http://localhost/api/models?") and link.endswith('>; rel="next"')
    assert "search=llama" in link and "sort=likes" in link and "cardData=true" in link and "cursor=3" in link
    likes = [m["likes"] for m in r.get_json()]
    assert likes == sorted(likes, reverse=True) and all("cardData" in m for m in r.get_json())


def test_list_refuses_bad_parameters(client: FlaskClient) -> None:
    assert client.get("/api/models?sort=size").status_code == 400
    assert client.get("/api/models?cursor=abc").status_code == 400
    assert client.get("/api/models?expand=sha&full=true").status_code == 400


def test_list_filters_by_parameter_count(client: FlaskClient) -> None:
    ids = [m["id"] for m in client.get("/api/models?num_parameters=min:600B").get_json()]
    assert ids == ["deepseek-ai/DeepSeek-V3", "moonshotai/Kimi-K2-Instruct"]


def test_unknown_routes_are_json_404(client: FlaskClient) -> None:
    r = client.get("/api/spaces")
    assert r.status_code == 404 and r.get_json() == {"error": "Not Found"}


def test_safetensors_metadata_endpoint(client: FlaskClient) -> None:
    body = client.get("/api/models/Qwen/Qwen2-7B/safetensors-metadata/model.safetensors.index.json").get_json()
    assert "weight_map" not in body["index"] and body["index"]["metadata"]["total_size"] > 0
    assert len(body["headers"]) == 4
    gated = client.get("/api/models/meta-llama/Llama-3.1-405B/safetensors-metadata/model.safetensors.index.json")
    assert gated.status_code == 401 and gated.headers["X-Error-Code"] == "GatedRepo"


GATED_README = "/meta-llama/Llama-3.1-405B/resolve/main/README.md"
PRIVATE_README = "/demo-labs/internal-preview-7b/resolve/main/README.md"
HIDDEN = (401, "RepoNotFound"), (404, "RepoNotFound")


@pytest.mark.parametrize(
    ("path", "approved", "none", "other"),
    [
        (GATED_README, "hf_demo_llama_access", (401, "GatedRepo"), (403, "GatedRepo")),
        (PRIVATE_README, "hf_demo_internal", *HIDDEN),
        ("/api/models/demo-labs/internal-preview-7b", "hf_demo_internal", *HIDDEN),
    ],
)
def test_gated_and_private_content_goes_only_to_an_approved_token(
    client: FlaskClient, path: str, approved: str, none: tuple[int, str], other: tuple[int, str]
) -> None:
    # The answers the client's cache reproduces offline for a token the hub never accepted.
    def answer(token: str | None) -> tuple[int, str | None]:
        r = client.get(path, headers={"Authorization": f"Bearer {token}"} if token else {})
        return r.status_code, r.headers.get("X-Error-Code")

    assert answer(None) == none
    assert answer("hf_someone_else") == other
    assert answer(approved) == (200, None)
    # a range of a gated weight file is refused as the whole file is
    if "Llama-3.1-405B" in path:
        shard = path.replace("README.md", "model-00001-of-00191.safetensors")
        r = client.get(shard, headers={"Range": "bytes=0-7", "Authorization": "Bearer hf_someone_else"})
        assert (r.status_code, r.headers.get("X-Error-Code")) == (403, "GatedRepo")
        assert (
            client.get(shard, headers={"Range": "bytes=0-7", "Authorization": f"Bearer {approved}"}).status_code == 206
        )


def test_log_records_method_range_auth_status_and_bytes(app: Flask, client: FlaskClient) -> None:
    client.get(SHARD, headers={"Range": "bytes=0-9", "Authorization": "Bearer x"})
    (entry,) = client.get("/_hub/log").get_json()
    assert entry["method"] == "GET" and entry["range"] == "bytes=0-9" and entry["auth"] is True
    assert entry["status"] == 206 and entry["bytes"] == 10 and entry["duration"] >= 0
    client.delete("/_hub/log")
    assert client.get("/_hub/log").get_json() == []


def test_faults_over_http(client: FlaskClient) -> None:
    r = client.post("/_hub/faults", json={"match": "phi-4", "status": 503, "headers": {"Retry-After": "0"}})
    assert r.status_code == 201 and r.get_json()["remaining"] == 1
    hit = client.get("/api/models/microsoft/phi-4")
    assert hit.status_code == 503 and hit.headers["Retry-After"] == "0"
    assert client.get("/api/models/microsoft/phi-4").status_code == 200
    assert client.get("/_hub/faults").get_json()[0]["remaining"] == 0
    assert client.post("/_hub/faults", json={"match": "(", "status": 500}).status_code == 400
    assert client.post("/_hub/faults", json={"status": 42}).status_code == 400
    assert client.post("/_hub/faults", json={"colour": "red"}).status_code == 400
    client.delete("/_hub/faults")
    assert client.get("/_hub/faults").get_json() == []


def test_html_fault_body(client: FlaskClient) -> None:
    client.post("/_hub/faults", json={"match": "^/api/models$", "status": 200, "body": "<html>busy</html>"})
    r = client.get("/api/models")
    assert r.headers["Content-Type"] == "text/html" and r.data == b"<html>busy</html>"


def test_config_and_reset(app: Flask, client: FlaskClient) -> None:
    assert client.post("/_hub/config", json={"page_size": 2}).get_json()["page_size"] == 2
    assert len(client.get("/api/models").get_json()) == 2
    assert client.post("/_hub/config", json={"page_size": 0}).status_code == 400
    client.post("/_hub/reset")
    assert hub_state(app).config.page_size == 1000


def test_controls_are_absent_unless_asked(tmp_path: Path) -> None:
    plain = create_hub_app(tmp_path).test_client()
    assert plain.get("/_hub/log").status_code == 404
    assert plain.get("/api/models").get_json() == []
