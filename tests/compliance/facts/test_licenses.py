"""Licence classification for the open-source exemption tests."""

from __future__ import annotations

import pytest

from compliance.facts.licenses import classify_license, normalize_license_id


@pytest.mark.parametrize("identifier", ["apache-2.0", "MIT", "bsd-3-clause", "cc-by-4.0", "Apache 2.0", "gpl-3.0"])
def test_permissive_and_copyleft_licences_are_open_source(identifier: str) -> None:
    info = classify_license(identifier)
    assert info.open_source is True
    assert info.restricts_commercial is False
    assert info.has_use_restrictions is False
    assert info.known


@pytest.mark.parametrize(
    "identifier", ["openrail", "openrail++", "bigscience-openrail-m", "creativeml-openrail-m", "bigcode-openrail-m"]
)
def test_rail_licences_carry_use_restrictions(identifier: str) -> None:
    info = classify_license(identifier)
    assert info.open_source is False
    assert info.has_use_restrictions is True
    assert info.restricts_commercial is False


@pytest.mark.parametrize("identifier", ["llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4"])
def test_llama_licences_cap_commercial_use(identifier: str) -> None:
    info = classify_license(identifier)
    assert info.open_source is False
    assert info.restricts_commercial is True
    assert info.has_use_restrictions is True
    assert "Llama" in info.display_name


@pytest.mark.parametrize("identifier", ["cc-by-nc-4.0", "cc-by-nc-sa-4.0", "qwen-research", "mrl"])
def test_non_commercial_licences(identifier: str) -> None:
    info = classify_license(identifier)
    assert info.open_source is False
    assert info.restricts_commercial is True


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("tongyi-qianwen", "tongyi-qianwen"),
        ("qwen", "tongyi-qianwen"),
        ("Tongyi Qianwen License Agreement", "tongyi-qianwen"),
        ("deepseek-license", "deepseek"),
        ("deepseek", "deepseek"),
        ("gemma", "gemma"),
        ("falcon-mamba-7b-license", "falcon"),
        ("llama-3.1-community-license", "llama3.1"),
        ("Llama 3.2", "llama3.2"),
        ("nvidia-open-model-license", "nvidia-open-model-license"),
        ("mistral-ai-research-licence", "mistral-research"),
    ],
)
def test_aliases_and_versioned_names_resolve(identifier: str, expected: str) -> None:
    info = classify_license(identifier)
    assert info.identifier == expected
    assert info.open_source is False


@pytest.mark.parametrize("identifier", ["other", "unknown", "my-own-terms-v7", ""])
def test_unknown_ids_are_unknown_not_closed(identifier: str) -> None:
    info = classify_license(identifier)
    assert info.open_source is None
    assert info.restricts_commercial is None
    assert not info.known


def test_missing_licence_is_unknown() -> None:
    info = classify_license(None)
    assert info.open_source is None
    assert "no licence" in info.note


def test_normalisation_is_bounded_and_hyphenated() -> None:
    assert normalize_license_id("  CC BY_NC 4.0 ") == "cc-by-nc-4.0"
    assert len(normalize_license_id("x" * 10_000)) == 200
