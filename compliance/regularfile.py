"""Reading a file a user named: a regular file only, and never more than a stated size.

A path on the command line (``--facts``, ``--waivers``, ``--rules``, a model directory's
``config.json``) may name anything: ``/dev/zero`` would be read until memory runs out, a FIFO
blocks the reader forever, a directory fails late with a confusing message. The file is
opened without blocking (opening a FIFO for reading otherwise waits for a writer), then its
type is checked on the open descriptor, so it cannot be swapped between check and read, and
at most ``limit + 1`` bytes are read, so a file that grows after the check is still refused.
"""

from __future__ import annotations

import os
import stat

from compliance.errors import InputError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is kept off the start-up path of a local check
    from typing import BinaryIO

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def open_regular(path: str | os.PathLike[str], *, error: type[InputError] = InputError) -> tuple[BinaryIO, int]:
    """Open ``path`` for binary reading if it is a regular file; returns the handle and its size.

    Raises ``error`` (an :class:`InputError`, exit 4) naming the file when it cannot be opened
    or is a directory, a FIFO, a device or a socket.
    """
    source = os.fspath(path)
    try:
        fd = os.open(source, _FLAGS)
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", source=source) from None
    except ValueError:  # a NUL in the name (a shard an index names, say): no file can have it
        raise error("cannot read: the name holds a NUL character", source=source.replace("\0", "\\0")) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"cannot read: {_kind(info.st_mode)}, not a regular file", source=source)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # a regular file never blocks; normal reads from here on
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], *, limit: int, error: type[InputError] = InputError) -> bytes:
    """The bytes of the regular file at ``path``, refused (``error``, exit 4) above ``limit`` bytes."""
    source = os.fspath(path)
    handle, size = open_regular(path, error=error)
    with handle:
        if size > limit:
            raise error(f"larger than the {_size(limit)} limit ({size} bytes)", source=source)
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"cannot read: {exc.strerror or exc}", source=source) from None
    if len(data) > limit:
        raise error(f"larger than the {_size(limit)} limit (it grew while being read)", source=source)
    return data


def _size(limit: int) -> str:
    mib = limit / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{limit} bytes"
