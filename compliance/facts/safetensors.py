"""Exact parameter counts from safetensors headers, never reading tensor data.

A safetensors file starts with an 8-byte little-endian header length N, then N bytes of JSON
mapping tensor names to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets relative
to the end of the header). Only those ``8 + N`` bytes are read. Because the header is untrusted
it is bounded and checked: its length, its JSON (no name declared twice), each tensor's dtype,
shape and byte range, that ranges match the declared shape, and that together they cover the
data section exactly, as the reference implementation requires: no overlap, no gap, and no
bytes after the last tensor. A header that declares a few bytes of tensors at the start of a
file of many gigabytes is lying about what the file holds, and its count cannot be trusted.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

from compliance.errors import ModelFileError
from compliance.jsonsafe import load_json
from compliance.records import Record
from compliance.regularfile import open_regular, read_regular

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, BinaryIO

# The reference implementation refuses headers above 100 MB; real ones are tens of kB.
MAX_HEADER_BYTES = 100 * 1024 * 1024
INDEX_NAME = "model.safetensors.index.json"
MAX_INDEX_BYTES = 64 * 1024 * 1024
MAX_NAME_BYTES = 255  # NAME_MAX of Linux and macOS file systems

# The reference implementation reads shapes and offsets as 64-bit unsigned integers and refuses a
# tensor whose element count overflows one; a larger number is hostile, and may be too long to print.
_U64 = 1 << 64
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


class TensorInfo(Record):
    """One tensor's declared dtype and shape."""

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype: str, shape: tuple[int, ...]) -> None:
        self.dtype = dtype
        self.shape = shape

    @property
    def numel(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)


class SafetensorsSummary(Record):
    """What the headers of a model's safetensors files say."""

    __slots__ = ("files", "total", "by_dtype", "tensors", "metadata", "bytes_read", "packed_quantized", "buffers",
                 "note")  # fmt: skip

    def __init__(self, note: str | None = None) -> None:
        self.files: list[str] = []
        self.total = 0
        self.by_dtype: dict[str, int] = {}
        self.tensors: dict[str, TensorInfo] = {}
        self.metadata: dict[str, str] = {}
        self.bytes_read = 0
        self.packed_quantized = False
        self.buffers = 0  # elements of stored buffers, left out of the total
        self.note = note

    def add_file(self, name: str, tensors: dict[str, TensorInfo], metadata: dict[str, Any], *, source: str) -> None:
        """Count one file's validated tensors; a tensor already counted from another shard is an error."""
        seen = self.tensors
        if seen and not seen.keys().isdisjoint(tensors):
            twice = next(t for t in tensors if t in seen)
            raise ModelFileError(f"tensor {twice!r} appears in more than one shard", source=source)
        self.files.append(name)
        for key, value in metadata.items():
            self.metadata.setdefault(str(key), str(value))
        for tname, info in tensors.items():
            self.add(tname, info)

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
    return decode_header(raw, source=source), 8 + length


class _DuplicateKey(Exception):
    """Raised inside the JSON decoder; turned into a :class:`ModelFileError` by :func:`decode_header`."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                break
            seen.add(key)
        self.key = key
        super().__init__(key)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Called once per JSON object (each tensor entry, then the header itself): kept to a dict
    # build and a length comparison, the duplicate is only looked for when there is one.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKey(pairs)
    return obj


def decode_header(raw: bytes, *, source: str) -> dict[str, Any]:
    """Decode a safetensors header's JSON bytes into a mapping, refusing any key given twice.

    The standard decoder keeps the last of two equal keys, so a tensor declared twice (or a
    tensor entry with two ``data_offsets``) would silently lose one declaration.
    """
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise ModelFileError(
            f"safetensors header declares {exc.key[:200]!r} more than once (a tensor or field given twice)",
            source=source,
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"safetensors header is not valid JSON ({exc})", source=source) from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise ModelFileError(f"safetensors header is not valid JSON here ({str(exc)[:120]})", source=source) from None
    except RecursionError:
        raise ModelFileError("safetensors header nests too deeply", source=source) from None
    if not isinstance(header, dict):
        raise ModelFileError("safetensors header is not a JSON object", source=source)
    return header


def parse_header(
    header: dict[str, Any], *, data_size: int | None, source: str
) -> tuple[dict[str, TensorInfo], dict[str, Any]]:
    """Validate a decoded header against the size of the data section that follows it.

    The tensors' byte ranges must tile the data section: starting at 0, each beginning where
    the previous one ends, the last ending at ``data_size``. ``data_size`` None means the file's
    size is not known (a remote file whose server gave no total): the ranges are then checked
    for overlaps and gaps only. Returns the tensors and the ``__metadata__`` mapping.
    """
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict):
        raise ModelFileError("__metadata__ is not an object", source=source)
    limit = data_size if data_size is not None else -1
    tensors: dict[str, TensorInfo] = {}
    spans: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        info, begin, end = _parse_entry(name, entry, source)
        if limit >= 0 and end > limit:
            raise ModelFileError(f"tensor {name!r} ends at byte {end} but the data section has {limit}", source=source)
        tensors[name] = info
        spans.append((begin, end, name))
    spans.sort()
    previous_end, previous = 0, ""
    for begin, end, name in spans:
        if begin != previous_end:
            if begin < previous_end:
                raise ModelFileError(f"tensors {previous!r} and {name!r} overlap", source=source)
            after = f"after tensor {previous!r}" if previous else "at the start of the data section"
            raise ModelFileError(
                f"bytes {previous_end:,}..{begin:,} {after} belong to no tensor (the header does not "
                "describe the whole file)",
                source=source,
            )
        previous_end, previous = end, name
    if limit >= 0 and previous_end != limit:
        raise ModelFileError(
            f"the data section has {limit:,} bytes but the header's tensors account for {previous_end:,}: "
            f"{limit - previous_end:,} bytes belong to no tensor (the header does not describe the whole file)",
            source=source,
        )
    return tensors, metadata


def _parse_entry(name: str, entry: Any, source: str) -> tuple[TensorInfo, int, int]:
    # Runs once per tensor (thousands per model): checks are written for speed, and the
    # message is only formatted when one fails.
    if type(entry) is not dict:
        raise ModelFileError("entry is not an object", source=source, where=f"tensor {name!r}")
    dtype: Any = entry.get("dtype")
    shape: Any = entry.get("shape")
    offsets: Any = entry.get("data_offsets")
    bits = DTYPE_BITS.get(dtype) if type(dtype) is str else None
    if bits is None:
        raise ModelFileError(f"unknown dtype {dtype!r}", source=source, where=f"tensor {name!r}")
    numel = 1
    if type(shape) is not list:
        numel = -1
    else:
        for d in shape:
            if type(d) is not int or d < 0 or d >= _U64:  # JSON gives exact ints; bool and float are refused
                numel = -1
                break
            numel *= d
            if numel >= _U64:  # stop at once: a long list of huge sizes must not cost a huge product
                break
    if numel < 0:
        raise ModelFileError(
            "shape is not a list of non-negative integers below 2^64", source=source, where=f"tensor {name!r}"
        )
    if numel >= _U64:
        raise ModelFileError("shape has 2^64 elements or more", source=source, where=f"tensor {name!r}")
    if type(offsets) is not list or len(offsets) != 2:
        begin = end = -1
    else:
        begin, end = offsets
        if type(begin) is not int or type(end) is not int or begin < 0 or end < begin or end >= _U64:
            begin = end = -1
    if begin < 0:
        raise ModelFileError(
            "data_offsets is not [begin, end] with 0 <= begin <= end < 2^64", source=source, where=f"tensor {name!r}"
        )
    expected = (numel * bits + 7) // 8
    if end - begin != expected:
        raise ModelFileError(
            f"data_offsets span {end - begin} bytes but {dtype}{list(shape)} needs {expected}",
            source=source,
            where=f"tensor {name!r}",
        )
    return TensorInfo(dtype, tuple(shape)), begin, end


def summarize_file(path: Path, summary: SafetensorsSummary, *, label: str | None = None) -> None:
    """Add one local safetensors file's tensors to ``summary``."""
    source = label or str(path)
    fh, size = open_regular(path, error=ModelFileError)
    try:
        with fh:
            header, nread = read_header(fh, size=size, source=source)
    except OSError as exc:
        raise ModelFileError(f"cannot read: {exc.strerror or exc}", source=source) from None
    tensors, metadata = parse_header(header, data_size=size - nread, source=source)
    summary.add_file(path.name, tensors, metadata, source=source)
    summary.bytes_read += nread


def weight_files(directory: Path, *, verify: bool = True) -> tuple[list[Path], str | None]:
    """The safetensors files that make up the model in ``directory``, and a note on the choice.

    With an index, exactly the shards it names (each must exist: checked here unless ``verify``
    is False, for a caller that opens every shard anyway and reports a missing one). Without one,
    ``model.safetensors`` when present (repos often also ship a ``consolidated`` copy that must
    not be counted twice), else every top-level ``*.safetensors`` file.
    """
    index = directory / INDEX_NAME
    if index.is_file():
        shards = _shards_from_index(index)
        if verify and not all(p.is_file() for p in shards):
            raise _missing_shards(index, shards)
        return shards, None
    single = directory / "model.safetensors"
    if single.is_file():
        return [single], None
    found = sorted(p for p in directory.glob("*.safetensors") if p.is_file())
    if len(found) > 1:
        return found, f"no {INDEX_NAME}; counted all {len(found)} top-level safetensors files"
    return found, None


def _shards_from_index(index: Path) -> list[Path]:
    source = str(index)
    data = load_json(read_regular(index, limit=MAX_INDEX_BYTES, error=ModelFileError), source=source)
    weight_map = data.get("weight_map") if isinstance(data, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise ModelFileError("no weight_map object", source=source)
    names: dict[str, None] = {}  # shard names in first-seen order
    for tensor, shard in weight_map.items():
        if isinstance(shard, str) and shard in names:
            continue
        if (
            not isinstance(shard, str)
            or "/" in shard
            or "\\" in shard
            or shard in ("", ".", "..")
            or _unnameable(shard)
        ):
            raise ModelFileError(f"weight_map entry {tensor!r} names an invalid shard", source=source)
        names[shard] = None
    return [index.parent / name for name in names]


def _unnameable(shard: str) -> bool:
    """A name no file can have: a NUL, or longer than a file system allows (stat would raise)."""
    return "\0" in shard or len(shard.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES


def _missing_shards(index: Path, shards: list[Path]) -> ModelFileError:
    missing = [p.name for p in shards if not p.is_file()]
    return ModelFileError(
        f"{len(missing)} shard(s) named in the index are missing, e.g. {missing[0]!r}", source=str(index)
    )


def summarize_directory(directory: Path) -> SafetensorsSummary | None:
    """Summarize every safetensors header of a model directory, or None if it has none."""
    files, note = weight_files(directory, verify=False)
    if not files:
        return None
    summary = SafetensorsSummary(note=note)
    index = directory / INDEX_NAME
    if index.is_file():
        summary.bytes_read += index.stat().st_size
    for path in files:
        try:
            summarize_file(path, summary)
        except ModelFileError:
            # Shards are not stat-ed up front (hundreds of system calls on a large model): a
            # missing one shows when it is opened, and then the index is checked as a whole.
            if index.is_file() and not path.is_file():
                raise _missing_shards(index, files) from None
            raise
    return summary


def summarize_headers(headers: Iterable[tuple[str, dict[str, Any], int | None]]) -> SafetensorsSummary:
    """Summarize already-fetched headers: ``(file name, header JSON, data section size)`` triples.

    Used for headers read over HTTP range requests, where there is no local file. A size of
    None (the file's total size is unknown) skips the check that the tensors fill the file.
    """
    summary = SafetensorsSummary()
    for name, header, data_size in headers:
        tensors, metadata = parse_header(header, data_size=data_size, source=name)
        summary.add_file(name, tensors, metadata, source=name)
    return summary
