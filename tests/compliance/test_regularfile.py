"""Reading user-named files: regular files only, bounded, never blocking on a FIFO."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compliance.errors import InputError, RuleSetError
from compliance.regularfile import open_regular, read_regular

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_bytes(b"parameters: 7B\n")
    assert read_regular(path, limit=100) == b"parameters: 7B\n"


def test_a_file_at_the_limit_is_read_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_regular(path, limit=10) == b"x" * 10
    with pytest.raises(InputError, match="larger than the 9 bytes limit") as info:
        read_regular(path, limit=9)
    assert info.value.source == str(path)


@needs_dev_zero
def test_dev_zero_is_refused_without_reading_it() -> None:
    # The defect: --facts /dev/zero read until the kernel killed the process (22.7 GB).
    with pytest.raises(InputError, match="a device, not a regular file"):
        read_regular("/dev/zero", limit=1024)


@needs_fifo
@pytest.mark.timeout(10)
def test_a_fifo_with_no_writer_is_refused_at_once(tmp_path: Path) -> None:
    # The defect: opening a FIFO for reading waited forever for a writer.
    fifo = tmp_path / "facts.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="a FIFO"):
        read_regular(fifo, limit=1024)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="a directory, not a regular file"):
        read_regular(tmp_path, limit=1024)


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read") as info:
        read_regular(tmp_path / "nope.yaml", limit=1024)
    assert info.value.source == str(tmp_path / "nope.yaml")


def test_a_name_holding_a_nul_is_refused_not_an_internal_error(tmp_path: Path) -> None:
    # Found by fuzzing: a shard index naming "a\x00b" reached os.open, which raises ValueError.
    with pytest.raises(InputError, match="NUL character"):
        read_regular(tmp_path / "a\x00b", limit=10)


def test_the_caller_chooses_the_error_class(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError):
        read_regular(tmp_path, limit=1024, error=RuleSetError)


def test_open_regular_gives_a_blocking_handle_and_the_size(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"0123456789")
    handle, size = open_regular(path)
    with handle:
        assert size == 10
        assert os.get_blocking(handle.fileno())
        assert handle.read() == b"0123456789"
