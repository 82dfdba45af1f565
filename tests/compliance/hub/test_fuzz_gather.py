"""Fuzzing what the hub sends for a model's weights: the shard index, read before any header.

The hub is untrusted as much as a local file: the same near-valid and hostile indexes as the
local test (:func:`tests.compliance.facts.fuzz_inputs.index_tree`) must give the shard names
or a :class:`~compliance.errors.HubError`, which a hub check turns into a warning.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.hub.gather import _shards_of_index
from tests.compliance.facts.fuzz_inputs import index_tree
from tests.fuzzing import as_bytes, as_text, feed, fuzz_settings, text_mutations

pytestmark = pytest.mark.fuzz


@fuzz_settings(200)
@given(index_tree(), st.data())
def test_a_hub_shard_index_gives_shard_names_or_a_hub_error(tree: Any, data: st.DataObject) -> None:
    raw = as_bytes(data.draw(text_mutations(as_text(tree))))
    outcome = feed("shard index (hub)", lambda: _shards_of_index(raw, "https://hub/org/m/model.safetensors.index.json"))
    if isinstance(outcome, list):
        assert all(".." not in name and not name.startswith("/") for name in outcome)
