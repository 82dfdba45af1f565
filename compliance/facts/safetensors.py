"""Exact parameter counts from safetensors headers, never reading tensor data.

A safetensors file starts with an 8-byte little-endian header length N, then N bytes of JSON
mapping tensor names to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets relative
to the end of the header). Only those ``8 + N`` bytes are read. Because the header is untrusted
it is bounded and checked: its length, its JSON, each tensor's dtype, shape and byte range,
that ranges match the declared shape, do not overlap and lie inside the file.
"""

from __future__ import annotations

import itertools
import json
import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from compliance.errors import ModelFileError

# The reference implementation refuses headers above 100 MB; real ones are tens of kB.
MAX_HEADER_BYTES = 100 * 1024 * 1024
INDEX_NAME = "model.safetensors.index.json"
MAX_INDEX_BYTES = 64 * 1024 * 1024

# Bits per element. Sub-byte types are stored packed.
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E4M3": 8, "F8_E5M2": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}  # fmt: skip
# Integer tensors holding packed low-bit weights (GPTQ/AWQ "qweight", MXFP4 "_blocks") under-count parameters.
_PACKED_HINTS = ("qweight", "qzeros", ".scales", "g_idx", "_blocks", "_scales")
# Non-parameter buffers some exporters store: causal masks and rotary tables.
_BUFFER_SUFFIXES = ("attn.bias", "attn.masked_bias", "rotary_emb.inv_freq")


@dataclass(slots=True)
class TensorInfo:
    """One tensor's declared dtype and shape."""

    dtype: str
    shape: tuple[int, ...]

    @property
    def numel(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)


@dataclass(slots=True)
class SafetensorsSummary:
    """What the headers of a model's safetensors files say."""

    files: list[str] = field(default_factory=list)
    total: int = 0
    by_dtype: dict[str, int] = field(default_factory=dict)
    tensors: dict[str, TensorInfo] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    bytes_read: int = 0
    packed_quantized: bool = False
    buffers: int = 0  # elements of stored buffers, left out of the total
    note: str | None = None

    def add(self, name: str, info: TensorInfo) -> None:
        """Count one tensor."""
        n = info.numel
        self.tensors[name] = info
        if name.endswith(_BUFFER_SUFFIXES) and (len(info.shape) >= 4 or name.endswith("inv_freq")):
            self.buffers += n  # masks and rotary tables are recomputed, not learned
            return
        self.total += n
        self.by_dtype[info.dtype] = self.by_dtype.get(info.dtype, 0) + n
        if info.dtype in ("I32", "U32", "I8", "U8") and any(h in name for h in _PACKED_HINTS):
            self.packed_quantized = True


def read_header(fh: BinaryIO, *, size: int, source: str) -> tuple[dict[str, Any], int]:
    """Read and decode the JSON header of an open safetensors file of ``size`` bytes.

    Returns the header and the number of bytes read. Raises :class:`ModelFileError` when the
    file is truncated, the length is absurd, or the JSON is not a mapping.
    """
    prefix = fh.read(8)
    if len(prefix) < 8:
        raise ModelFileError("truncated safetensors file (no 8-byte header length)", source=source)
    (length,) = struct.unpack("<Q", prefix)
    if length == 0 or length > MAX_HEADER_BYTES:
        raise ModelFileError(
            f"safetensors header length {length} is outside 1..{MAX_HEADER_BYTES} bytes", source=source
        )
    if 8 + length > size:
        raise ModelFileError(
            f"safetensors header claims {length} bytes but the file has {size - 8} after the length",
            source=source,
        )
    raw = fh.read(length)
    if len(raw) < length:
        raise ModelFileError("truncated safetensors header", source=source)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"safetensors header is not valid JSON ({exc})", source=source) from None
    if not isinstance(header, dict):
        raise ModelFileError("safetensors header is not a JSON object", source=source)
    return header, 8 + length


def parse_header(
    header: dict[str, Any], *, data_size: int, source: str
) -> tuple[dict[str, TensorInfo], dict[str, Any]]:
    """Validate a decoded header against the size of the data section that follows it.

    Returns the tensors and the ``__metadata__`` mapping.
    """
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict):
        raise ModelFileError("__metadata__ is not an object", source=source)
    tensors: dict[str, TensorInfo] = {}
    spans: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        info, begin, end = _parse_entry(name, entry, source)
        if end > data_size:
            raise ModelFileError(
                f"tensor {name!r} ends at byte {end} but the data section has {data_size}", source=source
            )
        tensors[name] = info
        spans.append((begin, end, name))
    spans.sort()
    for (_b1, e1, n1), (b2, _e2, n2) in itertools.pairwise(spans):
        if b2 < e1:
            raise ModelFileError(f"tensors {n1!r} and {n2!r} overlap", source=source)
    return tensors, metadata


def _parse_entry(name: str, entry: Any, source: str) -> tuple[TensorInfo, int, int]:
    where = f"tensor {name!r}"
    if not isinstance(entry, dict):
        raise ModelFileError("entry is not an object", source=source, where=where)
    dtype = entry.get("dtype")
    shape = entry.get("shape")
    offsets = entry.get("data_offsets")
    if dtype not in DTYPE_BITS:
        raise ModelFileError(f"unknown dtype {dtype!r}", source=source, where=where)
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise ModelFileError("shape is not a list of non-negative integers", source=source, where=where)
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_count(o) for o in offsets)
        or offsets[1] < offsets[0]
    ):
        raise ModelFileError("data_offsets is not [begin, end] with begin <= end", source=source, where=where)
    info = TensorInfo(dtype=dtype, shape=tuple(shape))
    expected = math.ceil(info.numel * DTYPE_BITS[dtype] / 8)
    if offsets[1] - offsets[0] != expected:
        raise ModelFileError(
            f"data_offsets span {offsets[1] - offsets[0]} bytes but {dtype}{list(shape)} needs {expected}",
            source=source,
            where=where,
        )
    return info, offsets[0], offsets[1]


def _is_count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def summarize_file(path: Path, summary: SafetensorsSummary, *, label: str | None = None) -> None:
    """Add one local safetensors file's tensors to ``summary``."""
    source = label or str(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            header, nread = read_header(fh, size=size, source=source)
    except OSError as exc:
        raise ModelFileError(f"cannot read: {exc.strerror or exc}", source=source) from None
    tensors, metadata = parse_header(header, data_size=size - nread, source=source)
    summary.files.append(path.name)
    summary.bytes_read += nread
    for key, value in metadata.items():
        summary.metadata.setdefault(str(key), str(value))
    for name, info in tensors.items():
        if name in summary.tensors:
            raise ModelFileError(f"tensor {name!r} appears in more than one shard", source=source)
        summary.add(name, info)


def weight_files(directory: Path) -> tuple[list[Path], str | None]:
    """The safetensors files that make up the model in ``directory``, and a note on the choice.

    With an index, exactly the shards it names (each must exist). Without one,
    ``model.safetensors`` when present (repos often also ship a ``consolidated`` copy that must
    not be counted twice), else every top-level ``*.safetensors`` file.
    """
    index = directory / INDEX_NAME
    if index.is_file():
        return _shards_from_index(index), None
    single = directory / "model.safetensors"
    if single.is_file():
        return [single], None
    found = sorted(p for p in directory.glob("*.safetensors") if p.is_file())
    if len(found) > 1:
        return found, f"no {INDEX_NAME}; counted all {len(found)} top-level safetensors files"
    return found, None


def _shards_from_index(index: Path) -> list[Path]:
    source = str(index)
    try:
        if index.stat().st_size > MAX_INDEX_BYTES:
            raise ModelFileError(f"index larger than {MAX_INDEX_BYTES} bytes", source=source)
        data = json.loads(index.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelFileError(f"cannot read: {exc.strerror or exc}", source=source) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"not valid JSON ({exc})", source=source) from None
    weight_map = data.get("weight_map") if isinstance(data, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise ModelFileError("no weight_map object", source=source)
    names: list[str] = []
    for tensor, shard in weight_map.items():
        if not isinstance(shard, str) or "/" in shard or "\\" in shard or shard in ("", ".", ".."):
            raise ModelFileError(f"weight_map entry {tensor!r} names an invalid shard", source=source)
        if shard not in names:
            names.append(shard)
    shards = [index.parent / name for name in names]
    missing = [p.name for p in shards if not p.is_file()]
    if missing:
        raise ModelFileError(
            f"{len(missing)} shard(s) named in the index are missing, e.g. {missing[0]}", source=source
        )
    return shards


def summarize_directory(directory: Path) -> SafetensorsSummary | None:
    """Summarize every safetensors header of a model directory, or None if it has none."""
    files, note = weight_files(directory)
    if not files:
        return None
    summary = SafetensorsSummary(note=note)
    index = directory / INDEX_NAME
    if index.is_file():
        summary.bytes_read += index.stat().st_size
    for path in files:
        summarize_file(path, summary)
    return summary


def summarize_headers(headers: Iterable[tuple[str, dict[str, Any], int]]) -> SafetensorsSummary:
    """Summarize already-fetched headers: ``(file name, header JSON, data section size)`` triples.

    Used for headers read over HTTP range requests, where there is no local file.
    """
    summary = SafetensorsSummary()
    for name, header, data_size in headers:
        tensors, metadata = parse_header(header, data_size=data_size, source=name)
        summary.files.append(name)
        for key, value in metadata.items():
            summary.metadata.setdefault(str(key), str(value))
        for tname, info in tensors.items():
            summary.add(tname, info)
    return summary
