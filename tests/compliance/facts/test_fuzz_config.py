"""Fuzzing config.json: the bytes of a local model's file, read, counted and merged into facts.

Configs start as a plausible decoder of a family the counter knows (or a multimodal wrapper
around one) and are mutated with the keys the counter reads, harvested from its own source so
that every branch gets hostile values: wrong types, zero, negative and huge sizes, NaN,
infinities, 5000-digit numbers, deep nesting, duplicate keys and truncated text.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.inspection import inspect_local
from tests.compliance.facts.fuzz_inputs import CONFIG_TREES
from tests.fuzzing import as_bytes, as_text, feed, fuzz_settings, text_mutations

pytestmark = pytest.mark.fuzz


@fuzz_settings(250)
@given(CONFIG_TREES, st.data())
def test_a_config_gives_facts_or_a_model_file_error(tree: Any, data: st.DataObject) -> None:
    text = data.draw(text_mutations(as_text(tree, ascii_only=data.draw(st.booleans()))))
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "model"
        directory.mkdir()
        (directory / "config.json").write_bytes(as_bytes(text))
        feed("config.json", lambda: inspect_local(directory, model_id="org/model"), size=len(text))
