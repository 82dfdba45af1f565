"""Fuzzing the safetensors parsers: a file's header, the data it claims, and the shard index.

Inputs start as honest files (tensors whose byte ranges tile the data section) and are then
mutated: a lying length prefix, a truncated or spliced header, wrong types and huge numbers in
``dtype``/``shape``/``data_offsets``, duplicate names, deep nesting, a data section shorter or
(sparse) far longer than declared, an index naming hostile shard names.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.facts.safetensors import (
    INDEX_NAME,
    MAX_HEADER_BYTES,
    SafetensorsSummary,
    summarize_directory,
    summarize_file,
)
from tests.compliance.facts.fuzz_inputs import FIELD_NAMES, GOOD_SHARDS, SHARD_NAMES, honest_header, index_tree
from tests.fuzzing import (
    as_bytes,
    as_text,
    feed,
    fuzz_settings,
    hostile_json,
    mutated,
    text_mutations,
)

pytestmark = pytest.mark.fuzz


@st.composite
def safetensors_file(draw: st.DrawFn) -> tuple[bytes, int]:
    """The bytes of a header (length prefix included) and the size the whole file should have."""
    header, data_size = draw(honest_header())
    if draw(st.integers(0, 3)) == 0:  # an honest file now and then, so that counting is exercised too
        raw = as_bytes(as_text(header))
        return struct.pack("<Q", len(raw)) + raw, 8 + len(raw) + data_size
    tree = draw(mutated(st.just(header), keys=FIELD_NAMES))
    text = draw(text_mutations(as_text(tree, ascii_only=draw(st.booleans()))))
    raw = as_bytes(text)
    length = draw(
        st.one_of(
            st.just(len(raw)),
            st.just(len(raw)),
            st.integers(-8, 8).map(lambda d: max(0, len(raw) + d)),
            st.sampled_from([0, MAX_HEADER_BYTES, MAX_HEADER_BYTES + 1, 2**63, 2**64 - 1]),
        )
    )
    prefix = struct.pack("<Q", length)[: draw(st.sampled_from([8, 8, 8, 0, 3]))]
    extra = draw(st.one_of(st.just(0), st.just(0), st.integers(-16, 16), st.sampled_from([2**32, 2**40])))
    return prefix + raw, max(0, len(prefix) + len(raw) + data_size + extra)


def _write(path: Path, blob: bytes, size: int) -> None:
    with open(path, "wb") as handle:
        handle.write(blob)
        handle.truncate(max(size, 0))  # sparse: a 1 TB data section costs nothing


@fuzz_settings(250)
@given(safetensors_file())
def test_a_safetensors_file_gives_a_count_or_a_model_file_error(file: tuple[bytes, int]) -> None:
    blob, size = file
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.safetensors"
        _write(path, blob, size)
        summary = SafetensorsSummary()
        outcome = feed("safetensors header", lambda: summarize_file(path, summary), size=len(blob))
    if outcome is None:
        assert summary.total >= 0 and summary.files == ["model.safetensors"]


@st.composite
def sharded_model(draw: st.DrawFn) -> tuple[str, dict[str, bytes]]:
    """The text of a shard index and the shard files beside it, the index honest or hostile."""
    files: dict[str, bytes] = {}
    weight_map: dict[str, str] = {}
    for number, name in enumerate(draw(st.lists(st.sampled_from(GOOD_SHARDS), max_size=2, unique=True))):
        header, size = draw(honest_header())
        header = {k if k == "__metadata__" else f"s{number}.{k}": v for k, v in header.items()}
        weight_map.update({tensor: name for tensor in header if tensor != "__metadata__"} or {f"s{number}": name})
        raw = as_bytes(as_text(header))
        files[name] = struct.pack("<Q", len(raw)) + raw + b"\0" * size
    honest = {"metadata": {"total_size": sum(len(f) for f in files.values())}, "weight_map": weight_map}
    tree = draw(
        st.one_of(
            mutated(st.just(honest), leaves=st.one_of(SHARD_NAMES, hostile_json()), max_mutations=2),
            index_tree(),
        )
    )
    return draw(text_mutations(as_text(tree))), files


@fuzz_settings(120)
@given(sharded_model())
def test_a_shard_index_gives_the_shards_or_a_model_file_error(model: tuple[str, dict[str, bytes]]) -> None:
    text, files = model
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / INDEX_NAME).write_bytes(as_bytes(text))
        for name, content in files.items():
            (directory / name).write_bytes(content)
        outcome = feed("shard index", lambda: summarize_directory(directory), size=len(text))
    if outcome is not None and not isinstance(outcome, Exception):
        assert set(outcome.files) <= set(files)
