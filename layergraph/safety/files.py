"""Reading user files: regular files only (a FIFO would block, /dev/zero never ends), at most `limit` bytes."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from layergraph.errors import SpecError


def regular_file(path: str | os.PathLike[str], what: str = "file") -> Path:
    """`path` when it names an existing regular file (symbolic links followed); a one-line SpecError otherwise."""
    p = Path(path)
    if not str(path):
        raise SpecError(f"the {what} name is empty")
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise SpecError(f"{p}: file not found") from None
    except NotADirectoryError:
        raise SpecError(f"{p}: file not found (a part of the path is not a folder)") from None
    except OSError as err:
        raise SpecError(f"{p}: cannot read the {what} ({err.strerror or type(err).__name__})") from None
    if stat.S_ISDIR(mode):
        raise SpecError(f"{p}: is a folder, not a {what}")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else \
            "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        raise SpecError(f"{p}: is {kind}; only regular files are read")
    return p


def read_bytes(path: str | os.PathLike[str], limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes (checked before and while reading)."""
    p = regular_file(path, what)
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the check, opening it does not hang
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise SpecError(f"{p}: is not a regular file; only regular files are read")
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise SpecError(f"{p}: the {what} is {size:,} bytes; the limit is {limit:,}")
            data = f.read(limit + 1)
    except OSError as err:
        raise SpecError(f"{p}: cannot read the {what} ({err.strerror or type(err).__name__})") from None
    if len(data) > limit:
        raise SpecError(f"{p}: the {what} is more than {limit:,} bytes long (the limit)")
    return data


def read_text(path: str | os.PathLike[str], limit: int, what: str = "file") -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; a one-line SpecError otherwise."""
    data = read_bytes(path, limit, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise SpecError(f"{path}:{line}: the {what} is not UTF-8 text (byte {data[err.start]:#04x})") from None
