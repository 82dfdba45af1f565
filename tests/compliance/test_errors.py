"""The project's errors: one printable line whatever the input they quote."""

from __future__ import annotations

from compliance.errors import ExitCode, ModelFileError, UsageError


def test_one_line_names_the_source_and_the_place() -> None:
    error = ModelFileError("not valid\n JSON", source="config.json", where="line 3")
    assert error.one_line() == "config.json: line 3: not valid JSON"
    assert error.exit_code is ExitCode.INPUT


def test_a_lone_surrogate_in_the_input_quoted_is_escaped() -> None:
    # Found by fuzzing: an argument the OS could not decode ('--fact developer_hq_country=\x80'
    # arrives as '\udc80'), quoted as is, made a message no UTF-8 output can hold.
    error = UsageError("unknown country '\udc80'", source="--fact \ud800", where="x\udfff")
    line = error.one_line()
    assert line == "--fact \\ud800: x\\udfff: unknown country '\\udc80'"
    assert line.encode("utf-8") and str(error) == line


def test_other_characters_are_kept() -> None:
    assert UsageError("modèle 🙂 introuvable").one_line() == "modèle 🙂 introuvable"
