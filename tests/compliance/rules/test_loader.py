"""Loading is all or nothing: file-level defects, cross-file checks, hashing, groups, selection."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from compliance.errors import RuleSetError, UsageError
from compliance.rules.loader import default_rules_dir, load_rulesets, rule_set_files
from tests.compliance.rules.builders import facts, rule, ruleset
from tests.compliance.rules.conftest import WriteSet


def test_duplicate_rule_id_across_files_names_both(write_set: WriteSet) -> None:
    first = write_set(ruleset("set-a", rules=[rule("x.same")]))
    second = write_set(ruleset("set-b", rules=[rule("x.same")]))
    with pytest.raises(RuleSetError) as info:
        load_rulesets([first, second])
    assert info.value.source == str(second)
    assert info.value.where == "rule x.same"
    assert str(first) in info.value.message


def test_duplicate_rule_id_within_a_file(write_set: WriteSet) -> None:
    path = write_set(ruleset(rules=[rule("x.one"), rule("x.one")]))
    with pytest.raises(RuleSetError, match="duplicate rule id in this file"):
        load_rulesets([path])


def test_duplicate_rule_set_id_across_directories(write_set: WriteSet, tmp_path: Path) -> None:
    first = write_set(ruleset("same-set", rules=[rule("a.one")]), directory=tmp_path / "a")
    second = write_set(ruleset("same-set", rules=[rule("b.one")]), directory=tmp_path / "b")
    with pytest.raises(RuleSetError, match="duplicate rule set id") as info:
        load_rulesets([first, second])
    assert info.value.where == "ruleset.id"


def test_same_file_named_twice_loads_once(write_set: WriteSet) -> None:
    path = write_set(ruleset())
    book = load_rulesets([path, path.parent / path.name])
    assert len(book.rulesets) == 1


def test_file_name_must_match_rule_set_id(write_set: WriteSet) -> None:
    path = write_set(ruleset("real-id"), name="other-name.yaml")
    with pytest.raises(RuleSetError, match="must match the file name") as info:
        load_rulesets([path])
    assert info.value.where == "ruleset.id"


def test_missing_named_condition(write_set: WriteSet) -> None:
    path = write_set(ruleset(rules=[rule(when={"all": [{"use": "nowhere"}]})]))
    with pytest.raises(RuleSetError, match="unknown named condition 'nowhere'") as info:
        load_rulesets([path])
    assert info.value.where == "rule t.rule: when.all[0].use"


def test_circular_named_conditions(write_set: WriteSet) -> None:
    conditions = {"a": {"any": [{"use": "b"}]}, "b": {"not": {"use": "a"}}}
    path = write_set(ruleset(conditions=conditions, rules=[rule(when={"use": "a"})]))
    with pytest.raises(RuleSetError, match="circular use of named conditions: a -> b -> a"):
        load_rulesets([path])


def test_defect_in_an_unused_named_condition_is_still_an_error(write_set: WriteSet) -> None:
    conditions = {"spare": {"use": "missing"}}
    path = write_set(ruleset(conditions=conditions))
    with pytest.raises(RuleSetError) as info:
        load_rulesets([path])
    assert info.value.where == "conditions.spare.use"


def test_superseded_by_must_name_a_loaded_rule(write_set: WriteSet) -> None:
    old = rule("x.old", status="superseded", superseded_by="x.gone", effective_from=None)
    path = write_set(ruleset(rules=[old]))
    with pytest.raises(RuleSetError, match="no loaded rule set defines") as info:
        load_rulesets([path])
    assert info.value.where == "rule x.old: superseded_by"


def test_yaml_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(24)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="aliases") as info:
        load_rulesets([path])
    assert info.value.source == str(path)


def test_python_tag_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("ruleset: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="invalid YAML") as info:
        load_rulesets([path])
    assert info.value.where == "line 1"


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("ruleset: {}\nruleset: {}\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="duplicate key"):
        load_rulesets([path])


def test_non_mapping_document_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="must be a mapping"):
        load_rulesets([path])


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="no such file"):
        load_rulesets([tmp_path / "absent.yaml"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(RuleSetError, match="no rule-set files"):
        load_rulesets([tmp_path / "empty"])


def test_directory_load_skips_cases_files(write_set: WriteSet, tmp_path: Path) -> None:
    write_set(ruleset("set-a", rules=[rule("a.one")]))
    (tmp_path / "set-a.cases.yaml").write_text("[]\n", encoding="utf-8")
    assert [p.name for p in rule_set_files([tmp_path])] == ["set-a.yaml"]


def test_hash_and_version_are_exposed_and_track_the_bytes(write_set: WriteSet) -> None:
    path = write_set(ruleset(version="2026.11.0"))
    info = load_rulesets([path]).rulesets[0]
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.version == "2026.11.0"
    assert info.path == path
    assert info.to_dict()["sha256"] == info.sha256
    path.write_text(path.read_text(encoding="utf-8") + "# a comment changes the hash\n", encoding="utf-8")
    assert load_rulesets([path]).rulesets[0].sha256 != info.sha256


def test_group_values_are_resolved_by_the_given_resolver(write_set: WriteSet) -> None:
    when = {"fact": "destination_country", "op": "in", "value": {"group": "D5"}}
    path = write_set(ruleset(rules=[rule(when=when)]))
    groups = {"D5": ["CN", "MO"]}
    book = load_rulesets([path], group_resolver=lambda name: groups[name])
    as_of = book.rule("t.rule").spec.effective_from
    assert as_of is not None
    finding = book.evaluate(facts(destination_country="cn"), as_of=as_of)[0]
    assert finding.verdict.value == "triggered"
    assert finding.comparisons[0]["threshold"] == ["CN", "MO"]


def test_group_without_resolver_is_an_error(write_set: WriteSet) -> None:
    when = {"fact": "destination_country", "op": "in", "value": [{"group": "D5"}, "MO"]}
    path = write_set(ruleset(rules=[rule(when=when)]))
    with pytest.raises(RuleSetError, match="needs a group resolver") as info:
        load_rulesets([path])
    assert info.value.where == "rule t.rule: when.value"


def test_unknown_group_from_resolver_is_an_error(write_set: WriteSet) -> None:
    when = {"fact": "destination_country", "op": "not_in", "value": {"group": "D9"}}
    path = write_set(ruleset(rules=[rule(when=when)]))

    def resolver(name: str) -> list[str]:
        raise KeyError(name)

    with pytest.raises(RuleSetError, match="unknown country group 'D9'"):
        load_rulesets([path], group_resolver=resolver)


def test_resolver_errors_of_its_own_are_placed_in_the_rule(write_set: WriteSet) -> None:
    when = {"fact": "destination_country", "op": "in", "value": {"group": "D9"}}
    path = write_set(ruleset(rules=[rule(when=when)]))

    def resolver(name: str) -> list[str]:
        raise RuleSetError(f"no group {name}")

    with pytest.raises(RuleSetError, match="no group D9") as info:
        load_rulesets([path], group_resolver=resolver)
    assert info.value.source == str(path)


def test_select_by_id_and_by_path(write_set: WriteSet) -> None:
    a = write_set(ruleset("set-a", rules=[rule("a.one")]))
    b = write_set(ruleset("set-b", rules=[rule("b.one")]))
    book = load_rulesets([a, b])
    assert [i.id for i in book.select(["set-b"]).rulesets] == ["set-b"]
    assert [i.id for i in book.select([a]).rulesets] == ["set-a"]
    assert len(book.select(["set-a", a])) == 1
    with pytest.raises(UsageError, match="no loaded rule set 'set-c'"):
        book.select(["set-c"])


def test_rule_lookup(write_set: WriteSet) -> None:
    book = load_rulesets([write_set(ruleset(rules=[rule("a.one")]))])
    assert book.rule("a.one").ruleset.id == "test-set"
    with pytest.raises(UsageError, match=r"no loaded rule 'a\.two'"):
        book.rule("a.two")


def test_default_directory_is_the_checkout_rules_dir() -> None:
    directory = default_rules_dir()
    assert directory.name == "rules"
    assert (directory.parent / "compliance").is_dir()


def test_shipped_rule_sets_load_and_carry_versions() -> None:
    book = load_rulesets()
    ids = {info.id for info in book.rulesets}
    assert {"eu-ai-act-gpai", "us-bis-ai-diffusion", "us-bis-advanced-computing", "org-open-release"} <= ids
    assert all(info.version and len(info.sha256) == 64 for info in book.rulesets)
    assert len(book) == len({r.id for r in book.rules})


def test_group_values_in_named_conditions_resolve_with_the_shipped_groups(write_set: WriteSet) -> None:
    from compliance.hardware.destinations import group_members

    conditions = {
        "embargoed": {"fact": "destination_country", "op": "in", "value": {"group": "D5"}},
        "elsewhere": {"fact": "destination_country", "op": "not_in", "value": [{"group": "D5"}, "MO"]},
    }
    rules = [rule("t.in", when={"use": "embargoed"}), rule("t.out", when={"use": "elsewhere"})]
    book = load_rulesets([write_set(ruleset(rules=rules, conditions=conditions))], group_resolver=group_members)
    as_of = book.rule("t.in").spec.effective_from
    assert as_of is not None
    verdicts = {f.rule_id: f.verdict.value for f in book.evaluate(facts(destination_country="CN"), as_of=as_of)}
    assert verdicts == {"t.in": "triggered", "t.out": "not_triggered"}
    assert "CN" in group_members("D5")
