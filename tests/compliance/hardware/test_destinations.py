"""Country resolution and EAR country-group membership."""

from __future__ import annotations

import pytest

from compliance.errors import RuleSetError, UsageError
from compliance.facts.names import FACT_SPECS
from compliance.hardware.destinations import (
    GROUP_KEYS,
    _parse_groups,
    countries,
    country_groups,
    destination_facts,
    group_members,
    group_table,
    resolve_country,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("CN", "CN"),
        ("cn", "CN"),
        ("CHN", "CN"),
        ("China", "CN"),
        ("People's Republic of China", "CN"),
        ("South Korea", "KR"),
        ("Korea, Republic of", "KR"),
        ("North Korea", "KP"),
        ("Türkiye", "TR"),
        ("turkiye", "TR"),
        ("Turkey", "TR"),
        ("Macau", "MO"),
        ("Macao", "MO"),
        ("Burma", "MM"),
        ("United States", "US"),
        ("USA", "US"),
        ("UK", "GB"),
        ("Côte d'Ivoire", "CI"),
        ("Ivory Coast", "CI"),
        ("DR Congo", "CD"),
        ("Taiwan", "TW"),
        ("Netherlands", "NL"),
        ("the Netherlands", "NL"),
        ("Russia", "RU"),
        ("Iran", "IR"),
        ("Viet Nam", "VN"),
    ],
)
def test_resolve_country(text: str, code: str) -> None:
    assert resolve_country(text) == code


@pytest.mark.parametrize("text", ["XX", "Atlantis", "", "   ", "C"])
def test_unknown_country(text: str) -> None:
    with pytest.raises(UsageError, match=r"unknown country|country is empty"):
        resolve_country(text)


def test_unknown_country_message_names_the_input() -> None:
    with pytest.raises(UsageError, match="unknown country 'XX'"):
        resolve_country("XX")


def test_iso_list_is_complete() -> None:
    table = countries()
    assert len(table) == 249
    assert table["JP"].alpha3 == "JPN"
    assert table["NO"].name == "Norway"


def test_group_keys_are_exactly_the_documented_ones() -> None:
    assert set(group_table().groups) == set(GROUP_KEYS)
    assert GROUP_KEYS == ("AIA_TIER1", "A5", "A6", "D1", "D3", "D4", "D5", "E1", "E2", "MACAU")


def test_china_is_arms_embargoed_and_controlled_for_security_and_missiles() -> None:
    assert {"D1", "D4", "D5"} <= set(country_groups("CN"))
    assert "CN" in group_members("D5")


def test_macau_is_its_own_group_and_not_d5() -> None:
    assert group_members("MACAU") == {"MO"}
    assert "MACAU" in country_groups("MO")
    assert "MO" not in group_members("D5")


def test_tier1_is_the_us_plus_eighteen() -> None:
    tier1 = group_members("AIA_TIER1")
    assert len(tier1) == 19
    assert {"US", "JP", "TW", "KR", "GB", "NO"} <= tier1
    assert "AIA_TIER1" in country_groups("Japan")
    assert "AIA_TIER1" not in country_groups("CN")


def test_recent_changes_are_reflected() -> None:
    d5 = group_members("D5")
    assert "KH" not in d5  # removed 2026-02-03
    assert "KH" in group_members("D1")
    assert "CY" not in d5  # embargo lifted from FY2023
    assert {"NI", "VE", "RU", "BY", "HT"} <= d5
    assert len(d5) == 22
    assert group_members("E1") == {"IR", "KP", "SY"}
    assert group_members("E2") == {"CU"}


def test_norway_is_read_as_a_code_not_a_boolean() -> None:
    assert "NO" in group_members("A5")


def test_group_members_accepts_colon_spelling_and_rejects_unknown() -> None:
    assert group_members("D:5") == group_members("d5") == group_members("D5")
    with pytest.raises(RuleSetError, match="unknown country group 'D9'"):
        group_members("D9")


def test_country_without_groups() -> None:
    assert country_groups("Brazil") == []


def test_destination_facts() -> None:
    facts = {f.name: f for f in destination_facts("china")}
    assert set(facts) == {"destination_country", "destination_groups"}
    assert set(facts) <= set(FACT_SPECS)
    assert facts["destination_country"].value == "CN"
    groups = facts["destination_groups"]
    assert groups.value == ["D1", "D3", "D4", "D5"]
    evidence = groups.evidence[0]
    assert evidence.kind == "catalog"
    assert evidence.source == "compliance/data/country_groups.yaml"
    assert group_table().as_of in evidence.detail


GOOD_YAML = "\n".join(
    ["source: test", "as_of: '2026-01-01'", "groups:"] + [f"  {key}: {{members: [US]}}" for key in GROUP_KEYS]
)


def test_group_file_validation() -> None:
    codes = {"US", "NO", "CN"}
    assert _parse_groups(GOOD_YAML, "g.yaml", codes).groups["D5"].members == {"US"}
    with pytest.raises(RuleSetError, match=r"g.yaml: group D5: not ISO alpha-2 codes: ZZ"):
        _parse_groups(GOOD_YAML.replace("D5: {members: [US]}", "D5: {members: [ZZ]}"), "g.yaml", codes)
    with pytest.raises(RuleSetError, match="is not a quoted code"):
        _parse_groups(GOOD_YAML.replace("D5: {members: [US]}", "D5: {members: [NO]}"), "g.yaml", codes)
    with pytest.raises(RuleSetError, match="listed twice: US"):
        _parse_groups(GOOD_YAML.replace("D5: {members: [US]}", "D5: {members: [US, US]}"), "g.yaml", codes)
    with pytest.raises(RuleSetError, match=r"missing group\(s\) MACAU"):
        _parse_groups(GOOD_YAML.replace("  MACAU: {members: [US]}", ""), "g.yaml", codes)
    with pytest.raises(RuleSetError, match="unknown group key 'D2'"):
        _parse_groups(GOOD_YAML + "\n  D2: {members: [US]}", "g.yaml", codes)
    with pytest.raises(RuleSetError, match="YYYY-MM-DD"):
        _parse_groups(GOOD_YAML.replace("'2026-01-01'", "soon"), "g.yaml", codes)
    with pytest.raises(RuleSetError, match=r"g\.yaml"):
        _parse_groups("groups: [", "g.yaml", codes)
