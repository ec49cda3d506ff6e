"""The one guard for every path a command writes, and atomic writes.

`guard_outputs` runs before any work: an output may not be one of the inputs (same resolved path, or the same
file through a hard or symbolic link), another output, an existing folder (when a file is written) or empty,
and its folder must be writable. `refuse_special` is the one rule that keeps every writer from replacing a
special file (a device node such as /dev/null, a FIFO, a socket): `guard_outputs` applies it before work starts
and `atomic_output`, which every file write goes through, applies it again before writing and before renaming.
`atomic_output` gives a temporary name beside the target and renames it over the target only when the writer
finished; the temporary file is removed on every other exit path, and ones left by killed processes of ours
(the process id is in the name) are removed before the next write.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from layergraph.errors import SpecError

Pathish = str | os.PathLike[str]


def _same(a: Path, b: Path) -> bool:
    """True when a and b name one file: equal resolved paths, or (both existing) the same inode."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "an existing folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def refuse_special(path: Pathish, label: str = "output", folder: bool = False) -> None:
    """Refuse (one-line SpecError) an output path that exists and is not a regular file — or, with folder=True,
    not a folder; symbolic links are followed, so a link to /dev/null is refused too."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there (or a dangling link, which the rename replaces): nothing special is replaced
    except (OSError, ValueError) as err:
        raise SpecError(f"{label} {path}: cannot be checked ({getattr(err, 'strerror', None) or err})") from None
    if folder:
        if not stat.S_ISDIR(mode):
            raise SpecError(f"{label} {path}: exists and is not a folder "
                            f"({'a file' if stat.S_ISREG(mode) else _kind(mode)})")
        return
    if not stat.S_ISREG(mode):
        hint = "give a file name" if stat.S_ISDIR(mode) else "only regular files are written or replaced"
        raise SpecError(f"{label} {path}: is {_kind(mode)}; {hint}")


def _existing_ancestor(path: Path) -> Path:
    """The nearest folder above `path` that exists (the one a writer would create the rest in)."""
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def check_folder_writable(folder: Path, label: str) -> None:
    """The folder (or, when missing, the nearest existing folder above it) accepts new files; tried with a
    probe file, since permission bits do not tell for root or read-only file systems."""
    base = folder if folder.exists() else _existing_ancestor(folder / "x")
    if not base.is_dir():
        raise SpecError(f"{label}: '{base}' is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".layergraph-probe-", dir=base)
    except OSError as err:
        raise SpecError(f"{label}: cannot write in '{base}' ({err.strerror or type(err).__name__})") from None
    os.close(fd)
    os.unlink(probe)


def guard_outputs(outputs: Sequence[tuple[str, Pathish | None]], inputs: Iterable[Pathish | None] = (),
                  folders: Iterable[str] = ()) -> list[Path]:
    """Check every (label, path) output before work starts; `folders` names the labels that are folders.

    Refused (exit 2): an empty path, an output that is an input or another output, a file output that is an
    existing folder, a folder output that is an existing file, and a folder that cannot be written.
    """
    folder_labels = set(folders)
    ins = [Path(p) for p in inputs if p is not None and str(p)]
    done: list[tuple[str, Path]] = []
    for label, raw in outputs:
        if raw is None:
            continue
        if not str(raw).strip():
            raise SpecError(f"{label}: the output path is empty")
        path = Path(raw)
        is_folder = label in folder_labels
        for inp in ins:
            if _same(path, inp):
                raise SpecError(f"{label} {path}: is also an input ({inp}); writing it would destroy the input — "
                                "choose another output path")
        for other_label, other in done:
            if _same(path, other):
                raise SpecError(f"{label} {path}: is also the path of {other_label}; give two different files")
        refuse_special(path, label, folder=is_folder)
        check_folder_writable(path if is_folder else path.absolute().parent, f"{label} {path}")
        done.append((label, path))
    return [p for _, p in done]


# ----- names that become paths -----------------------------------------------------------------------------
NAME_MAX_BYTES = 255  # the longest file name Linux, macOS and Windows file systems take (bytes of UTF-8)


def path_inside(folder: Pathish, name: object, what: str = "name") -> Path:
    """`folder / name` for a name read from a file (a class name in a checkpoint): refused (one-line SpecError)
    unless it is one plain file name that stays inside `folder` — not empty, '.', '..', absolute, holding a
    path separator, NUL or another control character, or longer than 255 bytes, and not a link leading out."""
    if not isinstance(name, str) or not name:
        raise SpecError(f"{what} {name!r}: must be a non-empty text to be a file or folder name")
    bad = next((ch for ch in name if not ch.isprintable() and ch != " "), None)
    if name in (".", "..") or "/" in name or "\\" in name or bad is not None:
        why = f"holds the control character {bad!r}" if bad is not None else \
            "would lead out of its folder" if name in (".", "..") else "holds a path separator"
        raise SpecError(f"{what} {name!r}: {why}; it cannot be a file or folder name inside '{folder}'")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise SpecError(f"{what} {name!r}: is not valid Unicode text; it cannot be a file name") from None
    if size > NAME_MAX_BYTES:
        raise SpecError(f"{what} {name[:40]!r}…: is {size:,} bytes long; file names are at most {NAME_MAX_BYTES}")
    path = Path(folder) / name
    base = os.path.realpath(folder)
    if os.path.commonpath([base, os.path.realpath(path)]) != base:  # an existing link inside leading out
        raise SpecError(f"{what} {name!r}: '{path}' leads out of '{folder}'")
    return path


def paths_inside(folder: Pathish, names: Sequence[object], what: str = "name") -> list[Path]:
    """`path_inside` for each name, and no two names the same path (a second class would overwrite the first)."""
    paths = [path_inside(folder, name, what) for name in names]
    seen: dict[str, object] = {}
    for name, path in zip(names, paths):
        key = os.path.normcase(str(path))
        if key in seen:
            raise SpecError(f"{what}s {seen[key]!r} and {name!r} name the same path '{path}'")
        seen[key] = name
    return paths


# ----- atomic writes --------------------------------------------------------------------------------------
def _temp_pattern(path: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(path.name)}\.(\d+)-[0-9a-f]{{8}}\.part{re.escape(path.suffix)}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_temps(path: Pathish) -> int:
    """Remove temporary files of `path` left by processes of ours that no longer run (SIGKILL, power loss);
    returns how many. Only names this module makes are touched, and only of dead processes."""
    target = Path(path)
    pattern = _temp_pattern(target)
    removed = 0
    try:
        entries = list(os.scandir(target.parent if str(target.parent) else "."))
    except OSError:
        return 0
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m and not _alive(int(m.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed += 1
    return removed


def _fsync(path: Pathish, directory: bool = False) -> None:
    """Flush a file (or a folder's entry list) to disk, so a crash cannot leave a half-written rename."""
    try:
        fd = os.open(path, os.O_RDONLY if directory else os.O_RDWR)
    except OSError:
        if directory:
            return  # some platforms cannot open folders; the rename is still atomic there
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: Pathish, make_folder: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside `path` (same suffix) to write; on success it replaces `path` (flushed to
    disk first), on any exception, Ctrl-C included, it is removed and `path` stays as it was."""
    target = Path(path)
    refuse_special(target)
    folder = target.parent if str(target.parent) else Path(".")
    if make_folder:
        folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    tmp = folder / f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.part{target.suffix}"
    try:
        yield tmp
        _fsync(tmp)
        refuse_special(target)  # again: the path may have become a FIFO or device while the writer ran
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _fsync(folder, directory=True)


def write_text_atomic(path: Pathish, text: str) -> Path:
    """Write UTF-8 text to `path` atomically (see atomic_output)."""
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_atomic(path: Pathish, data: bytes) -> Path:
    """Write bytes to `path` atomically (see atomic_output)."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
