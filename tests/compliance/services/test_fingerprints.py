"""The service's stored fingerprints: a model one process scanned is matched by a check in another."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi
from sqlmodel import select

from compliance.facts.model import FactSet
from compliance.hub import lineage
from compliance.inspection import Inspection, ModelRef
from compliance.provenance import known
from compliance.provenance.known import DISTINCTIVE_MAX, KNOWN_PATH, KnownIndex
from compliance.services import checks, scans, targets
from compliance.services.fingerprints import StoredFingerprints, record_fingerprints
from compliance.services.ports import ListedModel, StaticLister
from compliance.settings import Settings
from compliance.storage.db import SessionFactory, session_scope
from compliance.storage.tables import FingerprintRow
from tests.hubfixtures import HubServer

MINICPM = "openbmb/MiniCPM-Llama3-V-2_5"
LLAMA3V = "mustafaaljadery/llama3v"


@pytest.fixture
def unshipped(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shipped index without MiniCPM and llama3v, and a fresh in-memory session: what the
    service knows of them can only come from its database."""
    shipped = known.known_index()
    models = tuple(m for m in shipped.models if m.model_id not in (MINICPM, LLAMA3V))
    monkeypatch.setitem(known._LOADED, KNOWN_PATH, KnownIndex(models, shipped.families))
    monkeypatch.setattr(lineage, "_DEFAULT_SESSION", [])
    yield


def _settings(hub: HubServer, directory: Path) -> Settings:
    return Settings(data_dir=directory, hf_endpoint=hub.url, hub_timeout=5.0, hub_budget=20.0, hub_retries=3)


def _scan(session_factory: SessionFactory, settings: Settings, model_id: str, sha: str | None) -> None:
    with session_scope(session_factory) as session:
        target = targets.create_target(session, kind="models", value=model_id, actor="alice", schedule=False)
        assert target.id is not None
        scan_id = scans.start_scan(session, target_id=target.id, trigger="api", requested_by="alice").id
    assert scan_id is not None
    scans.run_scan(session_factory, scan_id, settings=settings, lister=StaticLister([ListedModel(model_id, sha)]))


def _check(session_factory: SessionFactory, settings: Settings, model_id: str) -> dict[str, Any]:
    lineage._DEFAULT_SESSION.clear()  # another process: nothing seen in memory
    with session_scope(session_factory) as session:
        check_id = checks.submit_check(session, model_ref=model_id, source="api").id
    row = checks.run_check(session_factory, check_id, settings=settings)
    assert row.status == "done", row.error
    with session_scope(session_factory) as session:
        report = checks.get_report(session, check_id)
    assert report is not None
    return report


def _rows(session_factory: SessionFactory, model_id: str) -> list[FingerprintRow]:
    with session_scope(session_factory) as session:
        return list(session.exec(select(FingerprintRow).where(FingerprintRow.model_ref == model_id)).all())


@pytest.mark.usefixtures("unshipped")
def test_a_model_a_scan_saw_is_matched_by_a_check_in_another_process(
    session_factory: SessionFactory, hub: HubServer, hub_api: HfApi, tmp_path: Path
) -> None:
    settings = _settings(hub, tmp_path)
    sha = hub_api.model_info(MINICPM).sha
    _scan(session_factory, settings, MINICPM, sha)
    (stored,) = _rows(session_factory, MINICPM)
    # A sweep keeps the size and names; the config is read by the check that needs it.
    assert stored.revision == sha and stored.parameters and stored.created and stored.architecture
    seen = stored.first_seen.date().isoformat()

    report = _check(session_factory, settings, LLAMA3V)
    fact = report["facts"]["undeclared_derivation"]
    assert fact["value"] is True
    assert any(e["source"] == f"service fingerprints#{MINICPM}" for e in fact["evidence"])
    (row,) = [r for r in report["lineage"] if r["relation"] == "undeclared"]
    assert row["model"] == MINICPM and f"known to the service since {seen}" in row["note"]
    triggered = {f["rule_id"] for f in report["findings"] if f["verdict"] == "triggered"}
    assert "org.release.undeclared_derivation" in triggered

    # The check stored its own fingerprint, hyper-parameters included; checking again at the same
    # commit adds no row.
    (own,) = _rows(session_factory, LLAMA3V)
    assert own.layout and own.dims
    _check(session_factory, settings, LLAMA3V)
    assert len(_rows(session_factory, LLAMA3V)) == 1 and len(_rows(session_factory, MINICPM)) == 1


@pytest.mark.usefixtures("unshipped")
def test_a_layout_the_service_saw_on_many_models_is_common_and_not_flagged(
    session_factory: SessionFactory, hub: HubServer, tmp_path: Path
) -> None:
    settings = _settings(hub, tmp_path)
    _check(session_factory, settings, MINICPM)  # a check keeps the hyper-parameters
    (stored,) = _rows(session_factory, MINICPM)
    assert stored.layout
    clones = []
    for n in range(DISTINCTIVE_MAX):
        values = stored.model_dump(exclude={"id", "first_seen"})
        values |= {"model_ref": f"tuner{n}/same-layout", "revision": "main", "weights": [], "created": "2024-01-01"}
        clones.append(Inspection(ModelRef(values["model_ref"], "hub"), FactSet({}), fingerprint=values))
    with session_scope(session_factory) as session:
        assert record_fingerprints(session, clones) == DISTINCTIVE_MAX

    report = _check(session_factory, settings, LLAMA3V)
    assert report["facts"]["undeclared_derivation"]["value"] is False
    assert not [r for r in report["lineage"] if r["relation"] == "undeclared"]


def test_a_gated_models_fingerprint_is_shown_only_to_its_reader(session_factory: SessionFactory) -> None:
    values = {"model_ref": "lab/gated", "revision": "abc", "layout": "l1", "parameters": 7, "dims": {"hidden_size": 8},
              "gated": True, "viewer": "reader"}  # fmt: skip
    with session_scope(session_factory) as session:
        record_fingerprints(session, [Inspection(ModelRef("lab/gated", "hub"), FactSet({}), fingerprint=values)])
    store = StoredFingerprints(session_factory)
    assert [m.model_id for m in store.similar(total=7, layout=None, names=None, viewer="reader")] == ["lab/gated"]
    assert store.similar(total=7, layout="l1", names=None, viewer="someone else") == []
    assert store.similar(total=None, layout=None, names=None, viewer="reader") == []
    assert (
        datetime.now(UTC).date().isoformat() == store.similar(total=7, layout=None, names=None, viewer="reader")[0].seen
    )


def test_a_model_that_declares_its_base_is_never_flagged_against_a_stored_model(
    session_factory: SessionFactory, hub: HubServer, tmp_path: Path
) -> None:
    settings = _settings(hub, tmp_path)
    model = "Qwen/Qwen3-30B-A3B"  # declares Qwen/Qwen3-30B-A3B-Base
    _check(session_factory, settings, model)
    (stored,) = _rows(session_factory, model)
    # An older model of another publisher with the same rare layout and the same weight files.
    values = stored.model_dump(exclude={"id", "first_seen"}) | {
        "model_ref": "elsewhere/moe",
        "created": "2020-01-01",
        "weights": ["0" * 64],
    }
    with session_scope(session_factory) as session:
        record_fingerprints(session, [Inspection(ModelRef("elsewhere/moe", "hub"), FactSet({}), fingerprint=values)])

    report = _check(session_factory, settings, model)
    fact = report["facts"]["undeclared_derivation"]
    assert fact["value"] is False and "declares its base" in fact["note"]
    assert not [r for r in report["lineage"] if r["relation"] == "undeclared"]
