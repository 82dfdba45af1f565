"""``rules validate`` reports every problem in one run: across files, rules, named conditions and cases."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from compliance.cli import main
from compliance.errors import RuleSetError
from compliance.rules.catalog import find_problems, validate_paths
from compliance.rules.loader import load_rulesets
from compliance.rules.problems import Problems
from tests.compliance.rules.builders import rule, ruleset
from tests.compliance.rules.conftest import WriteSet

LEAF = {"fact": "training_compute_flop", "op": "gt", "value": 1e25}


def _several(write_set: WriteSet, tmp_path: Path) -> Path:
    """A directory with five defects in four files, plus one valid file."""
    folder = tmp_path / "rules"
    # Two schema errors in one rule and one in another.
    write_set(
        ruleset("a-set", rules=[rule("a.one", severty="x", sourcing="Q"), rule("a.two", when={**LEAF, "op": "gtt"})]),
        directory=folder,
    )
    # A rule whose named condition is missing; the other rule of the set is fine.
    write_set(ruleset("b-set", rules=[rule("b.one", when={"use": "nowhere"}), rule("b.two")]), directory=folder)
    # A rule id that a.two's file does not have, but a valid file does.
    write_set(ruleset("c-set", rules=[rule("c.one")]), directory=folder)
    write_set(ruleset("d-set", rules=[rule("c.one", title="Same id as in c-set")]), directory=folder)
    (folder / "c-set.cases.yaml").write_text(
        yaml.safe_dump([
            {"rule": "c.one", "name": "bad verdict", "facts": {"training_compute_flop": 2e25}, "expect": "triggerd"},
            {"rule": "c.nope", "name": "unknown rule", "expect": "triggered"},
            {"rule": "c.one", "name": "fine", "facts": {"training_compute_flop": 2e25}, "expect": "triggered"},
        ]),
        encoding="utf-8",
    )  # fmt: skip
    write_set(ruleset("e-set", rules=[rule("e.one")]), directory=folder)
    return folder


def test_every_problem_is_found_in_one_pass(write_set: WriteSet, tmp_path: Path) -> None:
    infos, problems = find_problems([_several(write_set, tmp_path)])
    places = [(Path(p.source or "").name, p.where) for p in problems]
    assert ("a-set.yaml", "rule a.one: severty") in places and ("a-set.yaml", "rule a.one: sourcing") in places
    assert ("a-set.yaml", "rule a.two: when.op") in places
    assert ("b-set.yaml", "rule b.one: when.use") in places
    assert ("d-set.yaml", "rule c.one") in places  # the duplicate id, named where it is repeated
    assert ("c-set.cases.yaml", "case 0: expect") in places
    assert ("c-set.cases.yaml", "case 1 (unknown rule)") in places
    assert len(problems) == 7 and not any("more problem" in p.message for p in problems)
    # Only the sets with no defect, cases included, are reported valid.
    assert [i.id for i in infos] == ["e-set"]


def test_the_loader_still_stops_at_the_first_problem_and_counts_the_rest(write_set: WriteSet, tmp_path: Path) -> None:
    folder = _several(write_set, tmp_path)
    with pytest.raises(RuleSetError, match=r"\(and 2 more problems\)") as info:
        load_rulesets([folder])
    assert info.value.where in {"rule a.one: severty", "rule a.one: sourcing"}
    with pytest.raises(RuleSetError):
        validate_paths([folder])


def test_validate_prints_every_problem_and_exits_4(
    write_set: WriteSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _several(write_set, tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["rules", "validate", str(folder)])
    out, err = capsys.readouterr()
    assert info.value.code == 4
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 7
    assert err.splitlines()[-1] == "7 problems in 4 files"
    assert out.startswith("ok  e-set 1.0.0")


def test_a_missing_path_and_a_broken_file_are_both_reported(write_set: WriteSet, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("ruleset: [unclosed", encoding="utf-8")
    fine = write_set(ruleset("fine-set"))
    infos, problems = find_problems([tmp_path / "nowhere", broken, fine])
    assert [Path(p.source or "").name for p in problems] == ["nowhere", "broken.yaml"]
    assert [i.id for i in infos] == ["fine-set"]


def test_a_bad_named_condition_used_twice_is_reported_once(write_set: WriteSet) -> None:
    doc = ruleset(
        rules=[rule("t.one", when={"use": "big"}), rule("t.two", when={"use": "big"})],
        conditions={"big": {"use": "missing"}},
    )
    _, problems = find_problems([write_set(doc)])
    assert [p.where for p in problems] == ["conditions.big.use"]


def test_a_raising_sink_raises_at_once() -> None:
    sink = Problems(collect=False)
    with pytest.raises(RuleSetError):
        sink.add(RuleSetError("boom"))
    assert sink.count() == 0
