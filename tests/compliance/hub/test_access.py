"""Gated and private content in the hub cache goes only to a token the hub accepted for it.

On the local hub, with the approved token, another token and none; cold and warm cache;
online and offline. The tokens themselves never reach the cache.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from compliance.errors import AccessDenied, ModelNotFound
from compliance.hub.access import GRANT_SECONDS, MAX_GRANTS, AccessLedger, visibility_of
from compliance.hub.info import HubInfo
from compliance.settings import Settings
from tests.compliance.hub.conftest import Run, hub_requests
from tests.hubfixtures import HubServer

GATED = "meta-llama/Llama-3.1-405B"
GATED_TOKEN = "hf_demo_llama_access"
PRIVATE = "demo-labs/internal-preview-7b"
PRIVATE_TOKEN = "hf_demo_internal"
PUBLIC = "meta-llama/Llama-3.1-8B"
WRONG = "hf_not_approved_for_anything"


def as_user(run: Run, token: str | None, *, offline: bool = False) -> Settings:
    return run.settings.with_overrides(hf_token=token, hub_offline=offline)


def card_prose_read(inspection: Any) -> bool:
    """Whether the README's prose (behind the gate) was read: it alone gives the training tokens."""
    return inspection.facts.value("training_tokens") is not None


def resolves(hub: HubServer) -> list[int]:
    """Statuses of the file requests the hub answered."""
    return [e["status"] for e in hub_requests(hub) if "/resolve/" in e["path"]]


def access_record(run: Run, repo_id: str) -> Path:
    [path] = run.cache_dir.glob(f"*/access/{repo_id}.json")
    return path


# --- gated: the description is public, the files are not -----------------------------------


@pytest.mark.parametrize("token", [WRONG, None])
def test_gated_cold_online_only_the_approved_token_reads_the_files(hub: HubServer, run: Run, token: str | None) -> None:
    refused = run.inspect(GATED, settings=as_user(run, token))
    assert not card_prose_read(refused)
    assert resolves(hub) == ([403] if token else [])
    hub.clear_log()
    assert card_prose_read(run.inspect(GATED, settings=as_user(run, GATED_TOKEN)))
    assert resolves(hub) == [200]


@pytest.mark.parametrize("token", [WRONG, None])
def test_gated_warm_online_another_token_is_sent_to_the_hub(hub: HubServer, run: Run, token: str | None) -> None:
    assert card_prose_read(run.inspect(GATED, settings=as_user(run, GATED_TOKEN)))
    hub.clear_log()
    other = run.inspect(GATED, settings=as_user(run, token))
    assert not card_prose_read(other)  # was served from the cache before the fix
    if token:
        assert resolves(hub) == [403]  # the hub, not the cache, answered
        assert any("README.md" in w and "not readable" in w for w in other.warnings)
    else:
        assert resolves(hub) == [] and any("gated and no token" in w for w in other.warnings)
    hub.clear_log()
    again = run.inspect(GATED, settings=as_user(run, GATED_TOKEN))
    assert card_prose_read(again) and resolves(hub) == []  # the approved token is still served from the cache
    assert any("README.md (cached)" in f for f in again.files_read)


@pytest.mark.parametrize("token", [WRONG, None])
def test_gated_warm_offline_refuses_another_token_as_the_hub_would(hub: HubServer, run: Run, token: str | None) -> None:
    online = run.inspect(GATED, settings=as_user(run, GATED_TOKEN))
    hub.clear_log()
    other = run.inspect(GATED, settings=as_user(run, token, offline=True))
    assert not card_prose_read(other)
    assert other.facts.value("parameters") == online.facts.value("parameters")  # the public description is served
    if token:
        [warning] = [w for w in other.warnings if "README.md" in w]
        assert "not readable" in warning and "offline mode" in warning and "never accepted" in warning
    else:
        assert any("gated and no token" in w for w in other.warnings)
    approved = run.inspect(GATED, settings=as_user(run, GATED_TOKEN, offline=True))
    assert approved.facts.to_dict() == online.facts.to_dict()
    assert hub_requests(hub) == []


@pytest.mark.parametrize("token", [GATED_TOKEN, WRONG, None])
def test_cold_offline_serves_nothing(hub: HubServer, run: Run, token: str | None) -> None:
    for model in (GATED, PRIVATE):
        with pytest.raises(ModelNotFound, match="not in the local hub cache"):
            run.inspect(model, settings=as_user(run, token, offline=True))
    assert hub_requests(hub) == []


def test_cached_headers_of_a_gated_model_go_to_the_approved_token_only(hub: HubServer, run: Run) -> None:
    approved = run.inspect(GATED, settings=as_user(run, GATED_TOKEN), thorough=True)
    sha, header = approved.model.sha, "model-00001-of-00191.safetensors#header.json"
    assert not approved.warnings and run.client(hf_token=GATED_TOKEN).cached_file(GATED, sha, header)
    hub.clear_log()
    other = run.inspect(GATED, settings=as_user(run, WRONG, offline=True), thorough=True)
    assert other.bytes_read == 0 and any("index.json" in w and "offline mode" in w for w in other.warnings)
    assert run.client(hf_token=WRONG).cached_file(GATED, sha, header) is None  # online: ask the hub
    with pytest.raises(AccessDenied, match="offline mode"):
        run.client(hf_token=WRONG, hub_offline=True).cached_file(GATED, sha, header)
    offline = run.inspect(GATED, settings=as_user(run, GATED_TOKEN, offline=True), thorough=True)
    assert not offline.warnings and offline.facts.to_dict() == approved.facts.to_dict()
    assert hub_requests(hub) == []


# --- private: hidden from every other token ----------------------------------------------------


@pytest.mark.parametrize("token", [WRONG, None])
def test_private_warm_is_not_found_for_another_token_online_and_offline(
    hub: HubServer, run: Run, token: str | None
) -> None:
    online = run.inspect(PRIVATE, settings=as_user(run, PRIVATE_TOKEN))
    hub.clear_log()
    with pytest.raises(ModelNotFound):
        run.inspect(PRIVATE, settings=as_user(run, token))
    hub.clear_log()
    with pytest.raises(ModelNotFound, match="offline mode") as refused:
        run.inspect(PRIVATE, settings=as_user(run, token, offline=True))  # was served from the cache before the fix
    assert type(refused.value) is ModelNotFound and refused.value.exit_code == 3
    assert hub_requests(hub) == []
    offline = run.inspect(PRIVATE, settings=as_user(run, PRIVATE_TOKEN, offline=True))
    assert offline.facts.to_dict() == online.facts.to_dict() and card_prose_read(offline)


def test_a_token_refused_online_is_refused_offline_too(hub: HubServer, run: Run) -> None:
    run.inspect(PRIVATE, settings=as_user(run, PRIVATE_TOKEN))
    # The hub stops showing the repository to that token (access withdrawn).
    hub.fault("/api/models/demo-labs/internal-preview-7b", status=404, headers={"X-Error-Code": "RepoNotFound"})
    with pytest.raises(ModelNotFound):
        run.inspect(PRIVATE, settings=as_user(run, PRIVATE_TOKEN))
    with pytest.raises(ModelNotFound, match="offline mode"):
        run.inspect(PRIVATE, settings=as_user(run, PRIVATE_TOKEN, offline=True))


# --- public: served from the cache to anyone -------------------------------------------------


@pytest.mark.parametrize("token", [WRONG, None])
def test_public_files_are_served_from_the_cache_to_anyone(hub: HubServer, run: Run, token: str | None) -> None:
    first = run.inspect(PUBLIC)
    hub.clear_log()
    warm = run.inspect(PUBLIC, settings=as_user(run, token))
    assert resolves(hub) == [] and warm.facts.to_dict() == first.facts.to_dict()
    offline = run.inspect(PUBLIC, settings=as_user(run, token, offline=True))
    assert offline.facts.to_dict() == first.facts.to_dict()
    assert len(hub_requests(hub)) == 1  # the warm online description only


# --- what the cache keeps ---------------------------------------------------------------------


def test_the_tokens_never_reach_the_cache(hub: HubServer, run: Run) -> None:
    for token in (GATED_TOKEN, PRIVATE_TOKEN, WRONG, None):
        for offline in (False, True):
            for model in (GATED, PRIVATE, PUBLIC):
                with contextlib.suppress(ModelNotFound):  # a private model for another token
                    run.inspect(model, settings=as_user(run, token, offline=offline), thorough=True)
    files = [p for p in run.cache_dir.rglob("*") if p.is_file()]
    assert any(p.name == "README.md" for p in files) and len(list(run.cache_dir.glob("*/access/*/*.json"))) == 3
    for path in files:
        data = path.read_bytes()
        for token in (GATED_TOKEN, PRIVATE_TOKEN, WRONG):
            assert token.encode() not in data, path
            assert token.encode().hex().encode() not in data, path
    [key] = run.cache_dir.glob("*/access.key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in run.cache_dir.glob("*/access/*/*.json"))
    record = json.loads(access_record(run, GATED).read_text())
    assert record["visibility"] == "gated" and len(record["grants"]) == 1  # only the approved token
    assert json.loads(access_record(run, PUBLIC).read_text()) == {"visibility": "public", "grants": {}}


def test_an_old_grant_is_confirmed_by_the_hub_again(hub: HubServer, run: Run) -> None:
    run.inspect(GATED, settings=as_user(run, GATED_TOKEN))
    path = access_record(run, GATED)
    record = json.loads(path.read_text())
    record["grants"] = {k: v - GRANT_SECONDS - 60 for k, v in record["grants"].items()}
    path.write_text(json.dumps(record))
    hub.clear_log()
    assert card_prose_read(run.inspect(GATED, settings=as_user(run, GATED_TOKEN)))
    assert resolves(hub) == [200]
    hub.clear_log()
    run.inspect(GATED, settings=as_user(run, GATED_TOKEN))
    assert resolves(hub) == []  # confirmed again: the cache serves it for another day


def test_a_withdrawn_approval_is_forgotten(hub: HubServer, run: Run) -> None:
    run.inspect(GATED, settings=as_user(run, GATED_TOKEN))
    path = access_record(run, GATED)
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "grants": {k: 0.0 for k in record["grants"]}}))
    hub.fault("/resolve/", status=403, headers={"X-Error-Code": "GatedRepo"}, times=None)
    assert not card_prose_read(run.inspect(GATED, settings=as_user(run, GATED_TOKEN)))
    assert json.loads(path.read_text())["grants"] == {}
    assert not card_prose_read(run.inspect(GATED, settings=as_user(run, GATED_TOKEN, offline=True)))


def test_a_cache_from_before_access_records_serves_gated_files_to_no_one_offline(hub: HubServer, run: Run) -> None:
    run.inspect(GATED, settings=as_user(run, GATED_TOKEN))
    for hub_dir in run.cache_dir.iterdir():
        shutil.rmtree(hub_dir / "access")
        (hub_dir / "access.key").unlink()
    assert not card_prose_read(run.inspect(GATED, settings=as_user(run, GATED_TOKEN, offline=True)))
    hub.clear_log()
    assert card_prose_read(run.inspect(GATED, settings=as_user(run, GATED_TOKEN)))  # online: the hub confirms
    assert resolves(hub) == [200]
    assert card_prose_read(run.inspect(GATED, settings=as_user(run, GATED_TOKEN, offline=True)))


def test_a_scan_reads_grants_but_writes_none(hub: HubServer, run: Run) -> None:
    settings = as_user(run, GATED_TOKEN)
    run.inspect(GATED, settings=settings)
    before = {p: p.read_bytes() for p in run.cache_dir.rglob("*") if p.is_file()}
    hub.clear_log()
    assert card_prose_read(run.inspect(GATED, settings=settings, cache_writes=False))
    assert resolves(hub) == []
    assert not card_prose_read(run.inspect(GATED, settings=as_user(run, WRONG), cache_writes=False))
    assert resolves(hub) == [403]
    assert {p: p.read_bytes() for p in run.cache_dir.rglob("*") if p.is_file()} == before


# --- the ledger ---------------------------------------------------------------------------------


def test_visibility_of_a_description() -> None:
    assert visibility_of(HubInfo(id="a/b")) == "public"
    assert visibility_of(HubInfo(id="a/b", gated="auto")) == "gated"
    assert visibility_of(HubInfo(id="a/b", gated="manual", private=True)) == "private"


def test_ledger_keys_differ_per_cache_and_damage_serves_nothing(tmp_path: Path) -> None:
    one, two = AccessLedger(tmp_path / "one", writable=True), AccessLedger(tmp_path / "two", writable=True)
    for ledger in (one, two):
        ledger.observe("a/b", "gated", "tok")
        ledger.grant("a/b", "tok")
    assert one.allows("a/b", "tok", max_age=None) and not one.allows("a/b", "other", max_age=None)
    assert not one.allows("a/b", False, max_age=None)
    grants = [json.loads(p.read_text())["grants"] for p in sorted(tmp_path.glob("*/access/a/b.json"))]
    assert len(grants) == 2 and grants[0].keys().isdisjoint(grants[1].keys())
    (tmp_path / "one" / "access" / "a" / "b.json").write_text("{not json")
    assert not AccessLedger(tmp_path / "one", writable=True).allows("a/b", "tok", max_age=None)
    (tmp_path / "two" / "access.key").write_bytes(b"short")
    assert not AccessLedger(tmp_path / "two", writable=True).allows("a/b", "tok", max_age=None)


def test_ledger_grants_are_bounded_and_expire(tmp_path: Path) -> None:
    now = [1000.0]
    ledger = AccessLedger(tmp_path, writable=True, clock=lambda: now[0])
    ledger.observe("a/b", "private", "first")
    for i in range(MAX_GRANTS):
        now[0] += 1
        ledger.grant("a/b", f"tok{i}")
    stored = AccessLedger(tmp_path, writable=True, clock=lambda: now[0])
    assert not stored.allows("a/b", "first", max_age=None)  # the oldest went
    assert stored.allows("a/b", f"tok{MAX_GRANTS - 1}", max_age=10)
    now[0] += 60
    assert not stored.allows("a/b", f"tok{MAX_GRANTS - 1}", max_age=10)
    assert stored.allows("a/b", f"tok{MAX_GRANTS - 1}", max_age=None)


def test_a_read_only_ledger_remembers_in_memory_only(tmp_path: Path) -> None:
    ledger = AccessLedger(tmp_path, writable=False)
    ledger.observe("a/b", "private", "tok")
    assert ledger.allows("a/b", "tok", max_age=None)
    assert list(tmp_path.iterdir()) == []
    ledger.refuse("a/b", "tok", "gated")
    assert not ledger.allows("a/b", "tok", max_age=None) and ledger.visibility("a/b") == "private"
