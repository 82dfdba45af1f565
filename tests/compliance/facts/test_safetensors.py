from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.errors import ExitCode, ModelFileError
from compliance.facts.safetensors import (
    INDEX_NAME,
    SafetensorsSummary,
    decode_header,
    summarize_directory,
    summarize_file,
    summarize_headers,
)
from tests.factories import count, safetensors_bytes, tiny_llama_tensors, write_sparse_safetensors


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_single_file_counts_parameters_by_dtype(tmp_path: Path) -> None:
    tensors = {"a": ("BF16", [4, 8]), "b": ("F32", [8]), "c": ("I64", [3])}
    _write(tmp_path / "model.safetensors", safetensors_bytes(tensors, metadata={"format": "pt"}))
    summary = summarize_directory(tmp_path)
    assert summary is not None
    assert summary.total == 32 + 8 + 3
    assert summary.by_dtype == {"BF16": 32, "F32": 8, "I64": 3}
    assert summary.metadata == {"format": "pt"}
    assert summary.files == ["model.safetensors"]


def test_reads_only_the_header(tmp_path: Path) -> None:
    tensors = tiny_llama_tensors()
    size = write_sparse_safetensors(tmp_path / "model.safetensors", {**tensors, "big": ("BF16", [50_000, 10_000])})
    summary = summarize_directory(tmp_path)
    assert summary is not None
    assert summary.total == count(tensors) + 500_000_000
    assert summary.bytes_read < 10_000 < size


def test_sharded_index_sums_every_shard(tmp_path: Path) -> None:
    tensors = tiny_llama_tensors()
    names = list(tensors)
    half = len(names) // 2
    shards = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
    weight_map = {}
    for shard, members in shards.items():
        _write(tmp_path / shard, safetensors_bytes({n: tensors[n] for n in members}))
        weight_map.update({n: shard for n in members})
    (tmp_path / INDEX_NAME).write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    # A consolidated copy beside the shards must not be counted twice.
    _write(tmp_path / "consolidated.safetensors", safetensors_bytes(tensors))
    summary = summarize_directory(tmp_path)
    assert summary is not None
    assert summary.total == count(tensors)
    assert sorted(summary.files) == sorted(shards)


def test_missing_shard_is_an_error(tmp_path: Path) -> None:
    (tmp_path / INDEX_NAME).write_text(json.dumps({"weight_map": {"a": "model-00001-of-00002.safetensors"}}))
    with pytest.raises(ModelFileError, match="missing"):
        summarize_directory(tmp_path)


@pytest.mark.parametrize("shard", ["../escape.safetensors", "", "sub/dir.safetensors"])
def test_index_naming_paths_outside_the_directory_is_refused(tmp_path: Path, shard: str) -> None:
    (tmp_path / INDEX_NAME).write_text(json.dumps({"weight_map": {"a": shard}}))
    with pytest.raises(ModelFileError, match="invalid shard"):
        summarize_directory(tmp_path)


# Found by fuzzing: names that reached the file system, where open or stat raised ValueError
# (embedded NUL) or OSError (name too long) instead of a model-file error.
@pytest.mark.parametrize("shard", ["a\x00b.safetensors", "x" * 256, "é" * 128])
def test_index_naming_a_file_no_file_system_can_hold_is_refused(tmp_path: Path, shard: str) -> None:
    (tmp_path / INDEX_NAME).write_text(json.dumps({"weight_map": {"a": shard}}))
    with pytest.raises(ModelFileError, match="invalid shard"):
        summarize_directory(tmp_path)


def test_a_missing_shard_with_an_odd_name_is_named_printably(tmp_path: Path) -> None:
    # A lone surrogate from a JSON escape, printed as is, cannot be written as UTF-8.
    (tmp_path / INDEX_NAME).write_text(json.dumps({"weight_map": {"a": "\udc80.safetensors"}}))
    with pytest.raises(ModelFileError, match="missing") as info:
        summarize_directory(tmp_path)
    assert "\\udc80" in info.value.one_line().encode("utf-8").decode("utf-8")


def test_no_safetensors_returns_none(tmp_path: Path) -> None:
    assert summarize_directory(tmp_path) is None


def _header_file(tmp_path: Path, header: object, data: bytes = b"", length: int | None = None) -> Path:
    raw = json.dumps(header).encode() if not isinstance(header, bytes) else header
    n = len(raw) if length is None else length
    return _write(tmp_path / "model.safetensors", struct.pack("<Q", n) + raw + data)


@pytest.mark.parametrize(
    ("header", "data", "length", "message"),
    [
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"", None, "ends at byte 8"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 8, None, "needs 8"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 0]}}, b"\0" * 8, None, "begin <= end"),
        ({"a": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, None, "unknown dtype"),
        ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8, None, "non-negative"),
        ({"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, b"\0" * 8, None, "non-negative"),
        (
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
            },
            b"\0" * 12,
            None,
            "overlap",
        ),
        ([1, 2], b"", None, "not a JSON object"),
        (b"{not json", b"", None, "not valid JSON"),
        ({"a": 1}, b"", None, "not an object"),
        ({"__metadata__": [1]}, b"", None, "__metadata__"),
        ({}, b"", 100_000_000_000, "outside"),
        ({}, b"", 0, "outside"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, 500, "claims 500 bytes"),
    ],
)
def test_lying_or_corrupt_headers_are_clear_errors(
    tmp_path: Path, header: object, data: bytes, length: int | None, message: str
) -> None:
    path = _header_file(tmp_path, header, data, length)
    with pytest.raises(ModelFileError, match=message) as info:
        summarize_file(path, SafetensorsSummary())
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_truncated_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "model.safetensors", b"\x05\x00")
    with pytest.raises(ModelFileError, match="truncated"):
        summarize_file(path, SafetensorsSummary())


def test_unreadable_file(tmp_path: Path) -> None:
    # A directory where a file is expected cannot be read, whoever runs the test (root included).
    (tmp_path / "model.safetensors").mkdir()
    with pytest.raises(ModelFileError, match="cannot read"):
        summarize_file(tmp_path / "model.safetensors", SafetensorsSummary())


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
@pytest.mark.timeout(10)
def test_a_fifo_named_like_weights_is_refused_without_waiting(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "model.safetensors")
    with pytest.raises(ModelFileError, match="a FIFO"):
        summarize_file(tmp_path / "model.safetensors", SafetensorsSummary())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nests too deeply"),
        (b'{"x": {"dtype": "F32", "shape": [' + b"7" * 5000 + b'], "data_offsets": [0, 4]}}', "not valid JSON"),
    ],
)
def test_headers_python_cannot_decode_are_model_file_errors(raw: bytes, message: str) -> None:
    with pytest.raises(ModelFileError, match=message):
        decode_header(raw, source="model.safetensors")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        # Found by fuzzing: sizes a 64-bit reader refuses, whose product is too long to print
        # (ValueError from the message) or costly to compute.
        ({"dtype": "F32", "shape": [10**2200, 10**2200], "data_offsets": [0, 4]}, r"below 2\^64"),
        ({"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 4]}, r"2\^64 elements"),
        ({"dtype": "F32", "shape": [2**63] * 100_000, "data_offsets": [0, 4]}, r"2\^64 elements"),
        ({"dtype": "F32", "shape": [1], "data_offsets": [2**64, 2**64 + 4]}, r"end < 2\^64"),
    ],
)
def test_sizes_beyond_64_bits_are_model_file_errors(entry: dict[str, object], message: str) -> None:
    with pytest.raises(ModelFileError, match=message):
        summarize_headers([("a.safetensors", {"t": entry}, None)])


def test_packed_quantized_weights_are_flagged(tmp_path: Path) -> None:
    tensors = {"model.layers.0.mlp.qweight": ("I32", [8, 64]), "model.layers.0.mlp.scales": ("F16", [1, 64])}
    _write(tmp_path / "model.safetensors", safetensors_bytes(tensors))
    summary = summarize_directory(tmp_path)
    assert summary is not None and summary.packed_quantized


def test_headers_from_elsewhere_are_validated_the_same_way() -> None:
    ok = summarize_headers([("a.safetensors", {"x": {"dtype": "BF16", "shape": [3, 3], "data_offsets": [0, 18]}}, 18)])
    assert ok.total == 9
    with pytest.raises(ModelFileError, match="ends at byte"):
        summarize_headers([("a.safetensors", {"x": {"dtype": "BF16", "shape": [3, 3], "data_offsets": [0, 18]}}, 10)])


def test_duplicate_tensor_across_shards_is_an_error(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.safetensors", safetensors_bytes({"w": ("F32", [2])}))
    b = _write(tmp_path / "b.safetensors", safetensors_bytes({"w": ("F32", [2])}))
    summary = SafetensorsSummary()
    summarize_file(a, summary)
    with pytest.raises(ModelFileError, match="more than one shard"):
        summarize_file(b, summary)


def test_stored_buffers_are_not_parameters(tmp_path: Path) -> None:
    tensors = {"h.0.attn.c_attn.weight": ("F32", [4, 12]), "h.0.attn.bias": ("F32", [1, 1, 8, 8])}
    _write(tmp_path / "model.safetensors", safetensors_bytes(tensors))
    summary = summarize_directory(tmp_path)
    assert summary is not None
    assert summary.total == 48
    assert summary.buffers == 64


def test_mxfp4_blocks_are_flagged_as_packed(tmp_path: Path) -> None:
    tensors = {"model.layers.0.mlp.experts.gate_up_proj_blocks": ("U8", [4, 8, 16])}
    _write(tmp_path / "model.safetensors", safetensors_bytes(tensors))
    summary = summarize_directory(tmp_path)
    assert summary is not None and summary.packed_quantized


# -- the data section must be exactly what the header describes -------------------------------

GIB = 1024**3


def _lying_file(path: Path, size: int) -> Path:
    """A header declaring one 2-byte tensor at the start of a (sparse) file of ``size`` bytes."""
    raw = json.dumps({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}).encode()
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
    os.truncate(path, size)  # sparse: nothing is written past the header
    return path


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(8)


def test_a_16_gb_file_whose_header_declares_two_bytes_is_refused(tmp_path: Path) -> None:
    path = _lying_file(tmp_path / "model.safetensors", 16 * GIB)
    with pytest.raises(ModelFileError, match=r"account for 2: [\d,]+ bytes belong to no tensor") as info:
        summarize_directory(tmp_path)
    (header_length,) = struct.unpack("<Q", _head(path))
    assert f"data section has {16 * GIB - 8 - header_length:,} bytes" in str(info.value)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert info.value.exit_code == ExitCode.INPUT


def test_a_file_matching_its_header_exactly_is_accepted(tmp_path: Path) -> None:
    raw = json.dumps({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}).encode()
    path = _write(tmp_path / "model.safetensors", struct.pack("<Q", len(raw)) + raw + b"\0\0")
    summary = SafetensorsSummary()
    summarize_file(path, summary)
    assert summary.total == 1


@pytest.mark.parametrize(
    ("offsets", "data", "message"),
    [
        ([[4, 12]], 12, r"bytes 0\.\.4 at the start of the data section belong to no tensor"),
        ([[0, 8], [12, 20]], 20, r"bytes 8\.\.12 after tensor 't0' belong to no tensor"),
        ([[0, 8], [8, 16]], 17, r"data section has 17 bytes but the header's tensors account for 16"),
        ([], 4, "account for 0: 4 bytes belong to no tensor"),
    ],
)
def test_bytes_no_tensor_accounts_for_are_an_error(
    tmp_path: Path, offsets: list[list[int]], data: int, message: str
) -> None:
    header = {f"t{i}": {"dtype": "F32", "shape": [2], "data_offsets": span} for i, span in enumerate(offsets)}
    path = _header_file(tmp_path, header, b"\0" * data)
    with pytest.raises(ModelFileError, match=message):
        summarize_file(path, SafetensorsSummary())


def test_empty_tensors_may_share_an_offset(tmp_path: Path) -> None:
    header = {
        "a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]},
        "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
        "c": {"dtype": "F32", "shape": [4, 0], "data_offsets": [4, 4]},
    }
    summary = SafetensorsSummary()
    summarize_file(_header_file(tmp_path, header, b"\0" * 4), summary)
    assert summary.total == 1 and len(summary.tensors) == 3


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=64), min_size=1, max_size=12),
    gap_at=st.integers(min_value=0, max_value=12),
    gap=st.integers(min_value=0, max_value=5),
    trailing=st.integers(min_value=0, max_value=5),
)
def test_header_is_accepted_exactly_when_its_tensors_tile_the_data(
    sizes: list[int], gap_at: int, gap: int, trailing: int
) -> None:
    header: dict[str, object] = {}
    offset = 0
    for i, n in enumerate(sizes):
        if i == gap_at:
            offset += gap
        header[f"t{i}"] = {"dtype": "U8", "shape": [n], "data_offsets": [offset, offset + n]}
        offset += n
    data_size = offset + trailing
    honest = trailing == 0 and (gap == 0 or gap_at >= len(sizes))
    if honest:
        assert summarize_headers([("x.safetensors", header, data_size)]).total == sum(sizes)
    else:
        with pytest.raises(ModelFileError, match="belong to no tensor"):
            summarize_headers([("x.safetensors", header, data_size)])


def test_unknown_remote_size_still_refuses_gaps_but_not_the_end() -> None:
    tensor = {"dtype": "F32", "shape": [1]}
    ok = summarize_headers([("x.safetensors", {"a": {**tensor, "data_offsets": [0, 4]}}, None)])
    assert ok.total == 1
    gap = {"a": {**tensor, "data_offsets": [0, 4]}, "b": {**tensor, "data_offsets": [8, 12]}}
    with pytest.raises(ModelFileError, match="belong to no tensor"):
        summarize_headers([("x.safetensors", gap, None)])


# -- names given twice ---------------------------------------------------------------------------


def test_duplicate_tensor_names_in_one_header_are_an_error(tmp_path: Path) -> None:
    entry = '{"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}'
    path = _header_file(tmp_path, f'{{"w": {entry}, "w": {entry}}}'.encode(), b"\0" * 4)
    with pytest.raises(ModelFileError, match="declares 'w' more than once"):
        summarize_file(path, SafetensorsSummary())


def test_a_field_given_twice_in_a_tensor_entry_is_an_error(tmp_path: Path) -> None:
    raw = b'{"w": {"dtype": "F32", "dtype": "BF16", "shape": [1], "data_offsets": [0, 4]}}'
    with pytest.raises(ModelFileError, match="declares 'dtype' more than once"):
        summarize_file(_header_file(tmp_path, raw, b"\0" * 4), SafetensorsSummary())


def test_decode_header_keeps_distinct_names() -> None:
    header = decode_header(b'{"a": {"x": 1}, "b": {"x": 1}, "__metadata__": {"k": "v"}}', source="s")
    assert list(header) == ["a", "b", "__metadata__"]


def test_deeply_nested_header_is_a_clear_error() -> None:
    with pytest.raises(ModelFileError, match=r"not valid JSON|nests too deeply"):
        decode_header(b"[" * 200_000 + b"]" * 200_000, source="s")


def test_the_same_tensor_in_two_fetched_shards_is_an_error() -> None:
    header = {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    with pytest.raises(ModelFileError, match="'w' appears in more than one shard"):
        summarize_headers([("a.safetensors", header, 4), ("b.safetensors", header, 4)])
