"""The compiled rule-set cache: same book warm and cold, never trusting a changed file or a bad entry."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from compliance.cli import main
from compliance.errors import RuleSetError
from compliance.hardware.destinations import group_members
from compliance.rules.cache import entry_key, file_digest, read_entry, write_entry
from compliance.rules.loader import default_rules_dir, load_rulesets
from tests.compliance.rules.builders import facts, rule, ruleset
from tests.compliance.rules.conftest import WriteSet
from tests.factories import model_dir, tiny_llama_tensors


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "rules").glob("*.json"))


def _key(path: Path) -> str:
    return entry_key(file_digest(path.read_bytes()))


def _findings(book: Any) -> list[str]:
    found = book.evaluate(facts(training_compute_flop=3e25, parameters=4e11), as_of=date(2026, 1, 1))
    return [repr(f.to_dict()) for f in found]


def test_a_cold_load_fills_the_cache_and_a_warm_one_reads_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = load_rulesets(cache_dir=cache, group_resolver=group_members)
    shipped = sorted(default_rules_dir().glob("*.yaml"))
    rule_files = [p for p in shipped if not p.name.endswith(".cases.yaml")]
    assert {p.stem for p in _entries(cache)} == {_key(p) for p in rule_files}
    warm = load_rulesets(cache_dir=cache, group_resolver=group_members)
    plain = load_rulesets(group_resolver=group_members)
    assert _findings(cold) == _findings(warm) == _findings(plain)
    assert [r.to_dict() for r in warm.rulesets] == [r.to_dict() for r in plain.rulesets]


def _check_json(target: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit):
        main(["check", str(target), "--format", "json", "--as-of", "2026-01-01", *args])
    out = capsys.readouterr().out
    return re.sub(r'"generated_at": "[^"]*"', '"generated_at": ""', out)


def test_reports_are_byte_for_byte_the_same_warm_cold_and_uncached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = model_dir(tmp_path / "m", tensors=tiny_llama_tensors())
    options = ("--destination", "CN", "--hardware", "H100x8", "--market", "EU")
    monkeypatch.setenv("COMPLIANCE_CACHE_DIR", str(tmp_path / "cache"))
    cold = _check_json(target, capsys, *options)
    assert _entries(tmp_path / "cache")
    warm = _check_json(target, capsys, *options)
    monkeypatch.setenv("COMPLIANCE_CACHE_DIR", "off")
    uncached = _check_json(target, capsys, *options)
    assert json.loads(cold)["findings"]
    assert cold == warm == uncached


def test_a_changed_file_is_validated_again(tmp_path: Path, write_set: WriteSet) -> None:
    cache = tmp_path / "cache"
    path = write_set(ruleset("org-set", [rule("org.a")]))
    assert [r.id for r in load_rulesets([path], cache_dir=cache).rules] == ["org.a"]
    first = _entries(cache)
    write_set(ruleset("org-set", [rule("org.a"), rule("org.b")]))
    assert [r.id for r in load_rulesets([path], cache_dir=cache).rules] == ["org.a", "org.b"]
    assert len(_entries(cache)) == len(first) + 1
    # A defect written into a file that has a valid entry is found: the entry is for other bytes.
    path.write_text(path.read_text("utf-8").replace("op: gt", "op: greater"), encoding="utf-8")
    with pytest.raises(RuleSetError, match="unknown operator"):
        load_rulesets([path], cache_dir=cache)


def test_the_same_bytes_under_another_name_still_fail_the_name_check(tmp_path: Path, write_set: WriteSet) -> None:
    cache = tmp_path / "cache"
    path = write_set(ruleset("org-set", [rule("org.a")]))
    load_rulesets([path], cache_dir=cache)
    other = tmp_path / "other" / "renamed.yaml"
    other.parent.mkdir()
    shutil.copy(path, other)
    with pytest.raises(RuleSetError, match="must match the file name"):
        load_rulesets([other], cache_dir=cache)


def _corruptions(blob: bytes) -> dict[str, bytes]:
    header, _, body = blob.partition(b"\n")
    fields = json.loads(header)
    edited_body = body.replace(b'"org.a"', b'"org.z"')
    return {
        "empty": b"",
        "truncated": blob[: len(blob) // 2],
        "garbage": os.urandom(200),
        "header only": header,
        "body edited": header + b"\n" + edited_body,
        "length lies": json.dumps({**fields, "length": len(edited_body)}).encode() + b"\n" + edited_body,
        "other format": json.dumps({**fields, "format": "x/0"}).encode() + b"\n" + body,
        "not a rule set": b'{"format": "x"}\n[]',
    }


@pytest.mark.parametrize(
    "kind",
    ["empty", "truncated", "garbage", "header only", "body edited", "length lies", "other format", "not a rule set"],
)
def test_a_corrupt_entry_is_rebuilt_never_trusted(tmp_path: Path, write_set: WriteSet, kind: str) -> None:
    cache = tmp_path / "cache"
    path = write_set(ruleset("org-set", [rule("org.a")]))
    load_rulesets([path], cache_dir=cache)
    (entry,) = _entries(cache)
    good = entry.read_bytes()
    entry.write_bytes(_corruptions(good)[kind])
    assert read_entry(cache, _key(path)) is None
    assert [r.id for r in load_rulesets([path], cache_dir=cache).rules] == ["org.a"]
    assert entry.read_bytes() == good  # rewritten whole
    assert read_entry(cache, _key(path)) is not None


def test_an_entry_for_another_key_is_not_read(tmp_path: Path, write_set: WriteSet) -> None:
    cache = tmp_path / "cache"
    path = write_set(ruleset("org-set", [rule("org.a")]))
    load_rulesets([path], cache_dir=cache)
    (entry,) = _entries(cache)
    # A whole, valid entry copied under another file's key (a stale or swapped file).
    stranger = entry.with_name("0" * 64 + ".json")
    shutil.copy(entry, stranger)
    assert read_entry(cache, "0" * 64) is None


@pytest.mark.parametrize("mode", [0o664, 0o646, 0o666])
def test_an_entry_others_may_write_is_not_read(tmp_path: Path, write_set: WriteSet, mode: int) -> None:
    # Anyone who can write an entry could store a weakened rule set under a file's key.
    cache = tmp_path / "cache"
    path = write_set(ruleset("org-set", [rule("org.a")]))
    load_rulesets([path], cache_dir=cache)
    (entry,) = _entries(cache)
    assert entry.stat().st_mode & 0o777 == 0o600
    entry.chmod(mode)
    assert read_entry(cache, _key(path)) is None
    assert [r.id for r in load_rulesets([path], cache_dir=cache).rules] == ["org.a"]
    assert entry.stat().st_mode & 0o777 == 0o600  # replaced by a private one
    assert read_entry(cache, _key(path)) is not None


def test_an_unwritable_cache_location_runs_uncached(tmp_path: Path, write_set: WriteSet) -> None:
    path = write_set(ruleset("org-set", [rule("org.a")]))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for cache in (blocker, blocker / "below"):
        assert [r.id for r in load_rulesets([path], cache_dir=cache).rules] == ["org.a"]
        assert not write_entry(cache, "k" * 64, {"ruleset": {}, "conditions": {}, "rules": []})


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through directory permissions")
def test_a_read_only_cache_directory_runs_uncached(tmp_path: Path, write_set: WriteSet) -> None:
    path = write_set(ruleset("org-set", [rule("org.a")]))
    cache = tmp_path / "cache"
    (cache / "rules").mkdir(parents=True)
    (cache / "rules").chmod(0o555)
    try:
        assert [r.id for r in load_rulesets([path], cache_dir=cache).rules] == ["org.a"]
        assert _entries(cache) == []
    finally:
        (cache / "rules").chmod(0o755)


def test_a_read_only_cache_that_holds_the_entry_is_still_read(tmp_path: Path, write_set: WriteSet) -> None:
    # A cache built at install time beside a read-only package, or by another user.
    path = write_set(ruleset("org-set", [rule("org.a")]))
    cache = tmp_path / "cache"
    load_rulesets([path], cache_dir=cache)
    (cache / "rules").chmod(0o555)
    try:
        assert read_entry(cache, _key(path)) is not None
        assert [r.id for r in load_rulesets([path], cache_dir=cache).rules] == ["org.a"]
    finally:
        (cache / "rules").chmod(0o755)


def _build(cache: str, barrier: Any, queue: Any) -> None:
    barrier.wait()
    book = load_rulesets(cache_dir=Path(cache), group_resolver=group_members)
    queue.put([r.id for r in book.rules])


def test_two_processes_building_at_once_both_succeed_and_leave_whole_entries(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_build, args=(str(cache), barrier, queue)) for _ in range(2)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    expected = [r.id for r in load_rulesets(group_resolver=group_members).rules]
    assert results == [expected, expected]
    shipped = [p for p in sorted(default_rules_dir().glob("*.yaml")) if not p.name.endswith(".cases.yaml")]
    for path in shipped:
        assert read_entry(cache, _key(path)) is not None
    assert not list((cache / "rules").glob("*.tmp"))  # no temporary file left behind


def test_rules_validate_does_not_use_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPLIANCE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(SystemExit) as info:
        main(["rules", "validate"])
    capsys.readouterr()
    assert info.value.code in (0, None)
    assert not (tmp_path / "cache").exists()
