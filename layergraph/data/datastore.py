"""MATLAB's imageDatastore: image files from folders, labels from folder names, read/shuffle/partition."""
from __future__ import annotations

import glob
import math
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from layergraph.data import images
from layergraph.data.categorical import Categorical
from layergraph.data.cells import Block
from layergraph.data.options import MatlabProperties, choice, flag, parse_options
from layergraph.data.source import BlockDatastore, Source, split_positions
from layergraph.errors import DataError, OptionError

# Source, BlockDatastore and split_positions live in layergraph/data/source.py; importable from here as before
__all__ = ["DEFAULT_EXTENSIONS", "BlockDatastore", "ImageDatastore", "ReadFailureWarning", "Source", "decode_pool",
           "imageDatastore", "split_positions"]

# The extensions MATLAB's imformats lists; a format Pillow cannot decode fails with a DataError naming the file.
DEFAULT_EXTENSIONS = (".bmp", ".cur", ".fts", ".fits", ".gif", ".hdf", ".ico", ".j2c", ".j2k", ".jp2", ".jpf",
                      ".jpx", ".jpg", ".jpeg", ".pbm", ".pcx", ".pgm", ".png", ".pnm", ".ppm", ".ras", ".tif",
                      ".tiff", ".xwd")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _forget_pool_after_fork() -> None:
    # a forked child inherits the pool object but not its threads: work sent to it would wait forever
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)


def decode_pool() -> ThreadPoolExecutor:
    """Threads for decoding: Pillow releases the GIL while it decodes and resizes, so threads run in parallel."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1)),
                                       thread_name_prefix="layergraph-decode")
        return _pool


class ReadFailureWarning(UserWarning):
    """An image was skipped because it could not be read (ReadFailureRule="skip")."""


class _Failures:
    """Files that failed to read, shared by a datastore and its shuffled/partitioned copies (warn once each)."""

    def __init__(self) -> None:
        self.messages: dict[str, str] = {}
        self.lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"messages": dict(self.messages)}  # locks do not pickle (spawned worker processes)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.messages = state["messages"]
        self.lock = threading.Lock()

    def record(self, path: str, message: str) -> bool:
        with self.lock:
            new = path not in self.messages
            self.messages[path] = message
            return new


class ImageDatastore(MatlabProperties, Source):
    """Image files with optional labels; `read` returns one uint8 H×W×C image (MATLAB layout)."""

    _PROPERTIES = ("Files", "Labels", "ReadSize", "ReadFcn", "ReadFailureRule", "MaxFailures")

    def __init__(self, files: list[str], labels: Categorical, read_size: int = 1, read_fcn: Callable | None = None,
                 read_failure_rule: str = "error", max_failures: float = math.inf,
                 failures: _Failures | None = None) -> None:
        self._files = list(files)
        self._labels = labels
        self._failures = failures if failures is not None else _Failures()
        self._cursor = 0
        self.ReadSize = read_size
        self.ReadFcn = read_fcn
        self.ReadFailureRule = read_failure_rule
        self.MaxFailures = max_failures

    # --- properties -------------------------------------------------------------------------------------
    @property
    def Files(self) -> list[str]:
        """Full paths of the image files, in reading order."""
        return list(self._files)

    @Files.setter
    def Files(self, value: Sequence[str]) -> None:
        """imds.Files = imds.Files(idx): reorder or select files (labels follow their files); resets reading."""
        files = [str(f) for f in value]
        if len(self._labels):
            where = {f: i for i, f in enumerate(self._files)}
            missing = [f for f in files if f not in where]
            if missing:
                raise ValueError(f"imageDatastore: Files can only be reordered or selected while the datastore "
                                 f"has Labels; '{missing[0]}' is not one of its files")
            self._labels = self._labels[[where[f] for f in files]]
        self._files = files
        self._cursor = 0

    @property
    def Labels(self) -> Categorical:
        """One label per file (a categorical); empty when the datastore has no labels."""
        return self._labels

    @Labels.setter
    def Labels(self, value: Any) -> None:
        labels = value if isinstance(value, Categorical) else Categorical(value)
        if len(labels) not in (0, len(self._files)):
            raise ValueError(f"imageDatastore: Labels has {len(labels)} elements but there are "
                             f"{len(self._files)} files")
        self._labels = labels

    def __setattr__(self, name: str, value: Any) -> None:
        canon = self._canonical(name) if not name.startswith("_") else None
        if canon == "ReadSize" and (isinstance(value, bool) or int(value) != value or value < 1):
            raise OptionError(f"imageDatastore: ReadSize must be a positive integer; got {value!r}")
        if canon == "ReadSize":
            value = int(value)
        elif canon == "ReadFailureRule":
            value = choice("imageDatastore", "ReadFailureRule", value, ("error", "skip"))
        elif canon == "ReadFcn" and value is not None and not callable(value):
            raise OptionError("imageDatastore: ReadFcn must be a function of the file name")
        elif canon == "MaxFailures" and not (float(value) >= 0):
            raise OptionError(f"imageDatastore: MaxFailures must be a non-negative number; got {value!r}")
        super().__setattr__(name, value)

    def __len__(self) -> int:
        return len(self._files)

    def __repr__(self) -> str:
        shown = "".join(f"\n    '{f}'" for f in self._files[:3]) + ("\n    ..." if len(self._files) > 3 else "")
        classes = f"{len(self._labels.categories)} classes" if len(self._labels) else "none"
        return f"ImageDatastore with {len(self._files)} files (labels: {classes}):{shown}"

    # --- reading ----------------------------------------------------------------------------------------
    def _load(self, k: int) -> np.ndarray | None:
        """Decode file k; None when it fails and ReadFailureRule is 'skip' (a warning names the file once)."""
        path = self._files[k]
        try:
            if self.ReadFcn is None:
                return images.imread(path)
            img = np.asarray(self.ReadFcn(path))
            return img[:, :, None] if img.ndim == 2 else img
        except Exception as err:
            message = str(err) if isinstance(err, DataError) else \
                f"{path}: cannot read the image ({type(err).__name__}: {err})"
            if self.ReadFailureRule != "skip":
                if isinstance(err, DataError):
                    raise
                raise DataError(message) from err
            if self._failures.record(path, message):
                warnings.warn(f"{message}; skipped (ReadFailureRule='skip')", ReadFailureWarning, stacklevel=2)
            if len(self._failures.messages) > self.MaxFailures:
                raise DataError(f"{path}: more than MaxFailures={self.MaxFailures} images failed to read") from None
            return None

    def hasdata(self) -> bool:
        """True while files remain to be read."""
        return self._cursor < len(self._files)

    def reset(self) -> None:
        """Start reading from the first file again."""
        self._cursor = 0

    def read(self, info: bool = False) -> Any:
        """The next image (ReadSize 1) or list of images; with info=True also a dict with Filename and Label."""
        if not self.hasdata():
            raise DataError("imageDatastore: no more data to read; call reset(imds)")
        got, names, labels = [], [], []
        while self._cursor < len(self._files) and len(got) < self.ReadSize:
            k = self._cursor
            self._cursor += 1
            img = self._load(k)
            if img is not None:
                got.append(img)
                names.append(self._files[k])
                labels.append(self._labels[k] if len(self._labels) else None)
        if not got:
            raise DataError("imageDatastore: no readable images were left to read")
        data = got[0] if self.ReadSize == 1 else got
        if not info:
            return data
        one = self.ReadSize == 1
        return data, {"Filename": names[0] if one else names, "Label": labels[0] if one else labels}

    def readimage(self, i: int) -> np.ndarray:
        """MATLAB's readimage(imds, i): the i-th (1-based) image."""
        if not 1 <= i <= len(self._files):
            raise IndexError(f"imageDatastore: index {i} is outside 1..{len(self._files)}")
        img = self._load(i - 1)
        if img is None:
            raise DataError(f"{self._files[i - 1]}: cannot read the image (skipped)")
        return img

    def readall(self) -> list[np.ndarray]:
        """All images, in file order (unreadable ones left out in skip mode)."""
        out = list(decode_pool().map(self._load, range(len(self._files))))
        return [img for img in out if img is not None]

    # --- copies -----------------------------------------------------------------------------------------
    def _subset(self, positions: Sequence[int] | np.ndarray) -> ImageDatastore:
        pos = np.asarray(positions, dtype=np.int64)
        labels = self._labels[pos] if len(self._labels) else self._labels
        return ImageDatastore([self._files[i] for i in pos], labels, self.ReadSize, self.ReadFcn,
                              self.ReadFailureRule, self.MaxFailures, self._failures)

    def shuffle(self) -> ImageDatastore:
        """A copy with files (and their labels) in random order; torch.manual_seed makes it repeatable."""
        return self._subset(torch.randperm(len(self._files)).numpy())

    def subset(self, indices: Sequence[int]) -> ImageDatastore:
        """MATLAB's subset(imds, indices): a datastore of the files at these 1-based indices (or a logical mask)."""
        idx = np.asarray(indices)
        pos = np.flatnonzero(idx) if idx.dtype == np.bool_ else idx.astype(np.int64) - 1
        if pos.size and (pos.min() < 0 or pos.max() >= len(self._files)):
            raise IndexError(f"imageDatastore: subset indices must lie in 1..{len(self._files)}")
        return self._subset(pos)

    def numpartitions(self, workers: int | None = None) -> int:
        """The default number of partitions: one per file (at most `workers` when given)."""
        return len(self._files) if workers is None else max(1, min(len(self._files), int(workers)))

    def partition(self, n: int | str, index: int | str) -> ImageDatastore:
        """Part `index` (1-based) of `n` contiguous parts, or partition("Files", i or file name)."""
        if isinstance(n, str):
            if n.lower() != "files":
                raise ValueError(f"imageDatastore.partition: expected a number of parts or 'Files'; got {n!r}")
            if isinstance(index, str):
                matches = [i for i, f in enumerate(self._files) if f == index or f == os.path.abspath(index)]
                if not matches:
                    raise DataError(f"{index}: not one of the datastore's files")
                return self._subset(matches[:1])
            return self._subset(split_positions(len(self._files), len(self._files), index, "partition"))
        return self._subset(split_positions(len(self._files), n, int(index), "partition"))

    def countEachLabel(self) -> dict[str, int]:
        """How many files each label has, in category order."""
        counts = np.bincount(self._labels.codes, minlength=len(self._labels.categories) + 1)[1:]
        return dict(zip(self._labels.categories, (int(c) for c in counts)))

    # --- minibatchqueue access --------------------------------------------------------------------------
    def _num_obs(self) -> int:
        return len(self._files)

    def _columns(self) -> list[str]:
        return ["input"]  # read(imds) returns only the image, so a queue over imds has one output

    def _read_size(self) -> int:
        return self.ReadSize

    def _read_block(self, positions: Sequence[int], rng: np.random.Generator) -> Block:
        positions = list(positions)
        block = Block(self._read_positions(positions, rng), "bare" if self.ReadSize == 1 else "cell")
        block.info = {"Filename": [self._files[k] for k in positions]}
        return block

    def _read_positions(self, positions: Sequence[int], rng: np.random.Generator) -> list[list[Any]]:
        loaded = decode_pool().map(self._load, positions) if len(positions) > 1 else map(self._load, positions)
        return [[img for img in loaded if img is not None]]


def imageDatastore(location: Any, *args: Any, **kwargs: Any) -> ImageDatastore:
    """MATLAB's imageDatastore(location, IncludeSubfolders=..., LabelSource="foldernames", FileExtensions=...)."""
    opts = parse_options("imageDatastore", args, kwargs, {
        "IncludeSubfolders": False, "LabelSource": "none", "FileExtensions": None, "Labels": None,
        "ReadSize": 1, "ReadFcn": None, "ReadFailureRule": "error", "MaxFailures": math.inf})
    include = flag("imageDatastore", "IncludeSubfolders", opts["IncludeSubfolders"])
    source = choice("imageDatastore", "LabelSource", opts["LabelSource"], ("none", "foldernames"))
    exts = _extensions(opts["FileExtensions"])
    files = _collect(location, include, exts)
    if opts["Labels"] is not None:
        labels = opts["Labels"] if isinstance(opts["Labels"], Categorical) else Categorical(opts["Labels"])
    elif source == "foldernames":
        labels = Categorical(os.path.basename(os.path.dirname(f)) for f in files)
    else:
        labels = Categorical()
    ds = ImageDatastore(files, Categorical(), opts["ReadSize"], opts["ReadFcn"], opts["ReadFailureRule"],
                        opts["MaxFailures"])
    ds.Labels = labels
    return ds


def _extensions(value: Any) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_EXTENSIONS
    values = [value] if isinstance(value, str) else list(value)
    return tuple(("" if v.startswith(".") else ".") + v.lower() for v in values)


def _collect(location: Any, include_subfolders: bool, exts: tuple[str, ...]) -> list[str]:
    """Expand folders, files and wildcards into full paths: a folder's files sorted by path, as MATLAB lists them."""
    locations = [location] if isinstance(location, str | os.PathLike) else list(location)
    files: list[str] = []
    for loc in locations:
        path = os.path.abspath(os.fspath(loc))
        if os.path.isdir(path):
            found = []
            if include_subfolders:
                for root, _, names in os.walk(path):
                    found.extend(os.path.join(root, n) for n in names)
            else:
                found = [os.path.join(path, n) for n in os.listdir(path)]
            files.extend(sorted(f for f in found if os.path.isfile(f) and os.path.splitext(f)[1].lower() in exts))
        elif os.path.isfile(path):
            files.append(path)  # files named explicitly keep the order given
        elif any(ch in os.fspath(loc) for ch in "*?["):
            found = glob.glob(path, recursive=include_subfolders)
            files.extend(sorted(f for f in found if os.path.isfile(f) and os.path.splitext(f)[1].lower() in exts))
        else:
            raise DataError(f"{os.fspath(loc)}: file or folder not found")
    if not files:
        where = os.fspath(location) if isinstance(location, str | os.PathLike) else "the given locations"
        raise DataError(f"{where}: no image files found (extensions {', '.join(exts[:6])}"
                        f"{', ...' if len(exts) > 6 else ''}; IncludeSubfolders={include_subfolders})")
    return files
