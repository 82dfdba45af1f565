from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import UsageError
from compliance.targets import parse_target, validate_model_id, validate_revision


def test_existing_directory_is_local(tmp_path: Path) -> None:
    target = parse_target(str(tmp_path))
    assert target.is_local and target.path == tmp_path


@pytest.mark.parametrize("text", ["~no-such-user-here/models/x", "~\x00/x", "~a\x00b"])
def test_home_of_an_unknown_user_is_a_path_not_an_internal_error(text: str) -> None:
    # Found by fuzzing: expanduser raised RuntimeError (no such user) or ValueError (a NUL).
    target = parse_target(text)
    assert target.is_local and target.path == Path(text)


def test_path_spelling_is_local_even_when_missing() -> None:
    assert parse_target("./models/new").is_local


@pytest.mark.parametrize(
    ("text", "model_id", "revision"),
    [
        ("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", None),
        ("org/name@main", "org/name", "main"),
        ("org/name@" + "a" * 40, "org/name", "a" * 40),
        ("org/name@refs/pr/12", "org/name", "refs/pr/12"),
        ("Qwen/Qwen2.5-72B-Instruct", "Qwen/Qwen2.5-72B-Instruct", None),
    ],
)
def test_hub_ids(text: str, model_id: str, revision: str | None) -> None:
    target = parse_target(text)
    assert (target.model_id, target.revision) == (model_id, revision)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "name-only", "a/b/c", "https://huggingface.co/a/b", "a b/c", "оrg/name", "org/na..me", "-org/name",
     "org/name@../x", "org/name@", "org/name@a/b", "x" * 97 + "/y"],
)  # fmt: skip
def test_not_ids(text: str) -> None:
    with pytest.raises(UsageError):
        parse_target(text)


@pytest.mark.parametrize("text", ["name-only", "a/b/c", "https://huggingface.co/a/b"])
def test_model_id_messages_speak_of_ids_not_directories_or_flags(text: str) -> None:
    # The service and the API validate IDs with the same function: they never look at a disk.
    with pytest.raises(UsageError) as caught:
        validate_model_id(text)
    assert "directory" not in caught.value.message and "--" not in caught.value.message


def test_the_command_line_says_no_directory_of_that_name_exists_either() -> None:
    with pytest.raises(UsageError, match="no such directory exists"):
        parse_target("name-only")
    with pytest.raises(UsageError, match="--endpoint"):
        parse_target("https://huggingface.co/a/b")


@pytest.mark.parametrize(
    ("model_id", "revision"), [("acme/x\n", None), ("acme/x", "main\n"), ("acme/x", "refs/pr/1\n")]
)
def test_a_trailing_newline_is_not_part_of_a_valid_id(model_id: str, revision: str | None) -> None:
    # `$` in a pattern also matches before a final newline; such an id was stored and sent to the worker.
    with pytest.raises(UsageError):
        validate_model_id(model_id)
        validate_revision(revision)
