"""MATLAB's augmentedImageDatastore: resize, colour-convert and augment images in mini-batches.

The images come from an imageDatastore (labels from its Labels) or from an H×W×C×N array X with responses Y.

Decoded, colour-converted and resized images are cached (before augmentation), so later epochs do not decode the
files again while the random augmentation still differs every epoch.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from layergraph.data import images
from layergraph.data.augment import ImageDataAugmenter, _torch_seeded_rng
from layergraph.data.categorical import Categorical
from layergraph.data.cells import BatchTable, Block, assemble
from layergraph.data.datastore import ImageDatastore, Source, decode_pool, split_positions
from layergraph.data.options import MatlabProperties, choice, parse_options
from layergraph.errors import DataError, OptionError

# Cache at most this many bytes of prepared images per datastore; beyond it images are decoded on every read.
DEFAULT_CACHE_LIMIT = 4 * 2**30


class _Cache:
    """Prepared (decoded, colour-converted, resized) images by file position, shared by shuffled copies."""

    def __init__(self, n: int, limit: int) -> None:
        self.items: list[tuple[np.ndarray, tuple[float, float]] | None] = [None] * n
        self.nbytes = 0
        self.limit = limit
        self.lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # a pickled copy (sent to a spawned worker process) starts with an empty cache of the same size
        return {"n": len(self.items), "limit": self.limit}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["n"], state["limit"])

    def put(self, k: int, img: np.ndarray, scale: tuple[float, float]) -> None:
        with self.lock:
            if self.items[k] is None and self.nbytes + img.nbytes <= self.limit:
                img.flags.writeable = False  # cached arrays are shared: guard against in-place edits
                self.items[k] = (img, scale)
                self.nbytes += img.nbytes


class _ObservationNames:
    """Stands in for file names in messages about array data: 'observation k'."""

    def __getitem__(self, k: int) -> str:
        return f"augmentedImageDatastore: observation {k + 1} of X"


class _Responses:
    """Y of augmentedImageDatastore(outputSize, X, Y), one response per observation (`Y[k]`)."""

    def __init__(self, Y: Any) -> None:
        self.categorical = isinstance(Y, Categorical)
        if self.categorical:
            self.data = Y if Y.codes.ndim == 1 else Categorical(categories=Y.categories, codes=Y.codes.ravel())
        else:
            arr = images._as_numpy(Y)
            # N×R responses (vectors are N×1) or H×W×C×N image responses
            self.data = arr.reshape(-1, 1) if arr.ndim == 1 else arr
        self.n = len(self.data) if self.categorical else (self.data.shape[-1] if self.data.ndim > 2
                                                          else self.data.shape[0])

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k: int) -> Any:
        if self.categorical:
            return self.data[k]
        if self.data.ndim > 2:
            return np.array(self.data[..., k])
        return np.array(self.data[k: k + 1])


class _ArrayImages:
    """augmentedImageDatastore(outputSize, X, Y): the images X(:,:,:,k) and responses Y, read like an imds."""

    def __init__(self, X: Any, Y: Any) -> None:
        func = "augmentedImageDatastore"
        arr = images._as_numpy(X)
        if arr.ndim == 2:
            arr = arr[:, :, None, None]
        elif arr.ndim == 3:
            arr = arr[..., None]  # MATLAB: an H×W×C array is one image (its trailing 1 is dropped)
        elif arr.ndim != 4:
            raise ValueError(f"{func}: X must be an H×W×C×N array of images; got {arr.ndim} dimensions")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{func}: X must be numeric; got {arr.dtype}")
        self.X = arr
        self.Labels = _Responses(Y) if Y is not None else Categorical()
        if len(self.Labels) not in (0, arr.shape[3]):
            hint = (f" (an H×W×{arr.shape[2]} array is one image with {arr.shape[2]} channels, as in MATLAB; give "
                    f"grey images as H×W×1×N, e.g. X[:, :, None, :])") if np.asarray(X).ndim == 3 else ""
            raise ValueError(f"{func}: X has {arr.shape[3]} observation(s) but Y has {len(self.Labels)}{hint}")
        self._files = _ObservationNames()
        self.Files: list[str] = []

    def __len__(self) -> int:
        return self.X.shape[3]

    def _load(self, k: int) -> np.ndarray:
        return np.array(self.X[:, :, :, k])


class AugmentedImageDatastore(MatlabProperties, Source):
    """Mini-batches of resized (and optionally augmented) images with their labels."""

    _PROPERTIES = ("MiniBatchSize", "NumObservations", "OutputSize", "OutputSizeMode", "ColorPreprocessing",
                   "DataAugmentation", "DispatchInBackground", "Files", "CacheLimitBytes")

    def __init__(self, outputSize: Sequence[int], imds: Any, *args: Any, **kwargs: Any) -> None:
        func = "augmentedImageDatastore"
        if isinstance(imds, np.ndarray | torch.Tensor):
            responses = args[0] if args and not isinstance(args[0], str) else None
            args = args[1:] if responses is not None else args
            imds = _ArrayImages(imds, responses)
        elif not isinstance(imds, ImageDatastore):
            raise TypeError(f"{func}: expected an imageDatastore or an H×W×C×N array X as the second argument, got "
                            f"{type(imds).__name__}")
        opts = parse_options(func, args, kwargs, {
            "DataAugmentation": "none", "ColorPreprocessing": "none", "OutputSizeMode": "resize",
            "DispatchInBackground": False, "MiniBatchSize": 128})
        size = [int(v) for v in np.asarray(outputSize).ravel()]
        if len(size) not in (2, 3) or min(size) < 1:
            raise OptionError(f"{func}: outputSize must be [height width] or [height width channels]; got "
                              f"{outputSize!r}")
        aug = opts["DataAugmentation"]
        if isinstance(aug, str):
            choice(func, "DataAugmentation", aug, ("none",))
            aug = None
        elif not isinstance(aug, ImageDataAugmenter):
            raise OptionError(f"{func}: DataAugmentation must be an imageDataAugmenter or 'none'")
        self._imds = imds
        self._idx = np.arange(len(imds), dtype=np.int64)
        self._cursor = 0
        self._cache = _Cache(len(imds), DEFAULT_CACHE_LIMIT)
        self._size = size
        self._aug = aug
        self._color = choice(func, "ColorPreprocessing", opts["ColorPreprocessing"], ("none", "gray2rgb", "rgb2gray"))
        self._mode = choice(func, "OutputSizeMode", opts["OutputSizeMode"], ("resize", "centercrop", "randcrop"))
        self.DispatchInBackground = bool(opts["DispatchInBackground"])
        self.MiniBatchSize = opts["MiniBatchSize"]

    # --- properties -------------------------------------------------------------------------------------
    @property
    def OutputSize(self) -> list[int]:
        return list(self._size)

    @property
    def OutputSizeMode(self) -> str:
        return self._mode

    @property
    def ColorPreprocessing(self) -> str:
        return self._color

    @property
    def DataAugmentation(self) -> ImageDataAugmenter | str:
        return self._aug if self._aug is not None else "none"

    @property
    def NumObservations(self) -> int:
        return len(self._idx)

    @property
    def Files(self) -> list[str]:
        files = self._imds.Files
        return [files[k] for k in self._idx] if files else []

    @property
    def CacheLimitBytes(self) -> int:
        """Python-only: how many bytes of prepared images may be kept in memory (default 4 GiB)."""
        return self._cache.limit

    @CacheLimitBytes.setter
    def CacheLimitBytes(self, value: int) -> None:
        self._cache.limit = int(value)

    def __setattr__(self, name: str, value: Any) -> None:
        canon = self._canonical(name) if not name.startswith("_") else None
        if canon == "MiniBatchSize":
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise OptionError(f"augmentedImageDatastore: MiniBatchSize must be a positive integer; got {value!r}")
            value = int(value)
        super().__setattr__(name, value)

    def __len__(self) -> int:
        return len(self._idx)

    def __repr__(self) -> str:
        return (f"augmentedImageDatastore with {self.NumObservations} observations, OutputSize {self._size}, "
                f"MiniBatchSize {self.MiniBatchSize}, ColorPreprocessing '{self._color}', "
                f"DataAugmentation {self.DataAugmentation!r}")

    @property
    def _has_labels(self) -> bool:
        return len(self._imds.Labels) > 0

    # --- preparing images -------------------------------------------------------------------------------
    def _prepare(self, k: int) -> tuple[np.ndarray, tuple[float, float]] | None:
        """File k decoded, colour-converted and (in resize mode) resized, from the cache when possible."""
        hit = self._cache.items[k]
        if hit is not None:
            return hit
        img = self._imds._load(k)
        if img is None:
            return None
        if self._color == "gray2rgb":
            img = images.gray2rgb(img)
        elif self._color == "rgb2gray":
            img = images.rgb2gray(img)
        if len(self._size) == 3 and img.shape[2] != self._size[2]:
            hint = " (use ColorPreprocessing='gray2rgb')" if img.shape[2] == 1 else ""
            raise DataError(f"{self._imds._files[k]}: image has {img.shape[2]} channels but OutputSize asks for "
                            f"{self._size[2]}{hint}")
        scale = (1.0, 1.0)
        if self._mode == "resize":
            scale = (self._size[0] / img.shape[0], self._size[1] / img.shape[1])
            img = images.imresize(img, self._size[:2])
        img = np.ascontiguousarray(img)
        self._cache.put(k, img, scale)
        return img, scale

    def _finish(self, k: int, base: np.ndarray, scale: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
        """Augment (random each call) and crop a prepared image; always a fresh array, never the cached one."""
        img = self._aug._apply(base, rng, scale) if self._aug is not None else base
        if self._mode != "resize":
            h, w = self._size[:2]
            if img.shape[0] < h or img.shape[1] < w:
                raise DataError(f"{self._imds._files[k]}: image of size {img.shape[0]}×{img.shape[1]} is smaller "
                                f"than the {h}×{w} OutputSize for OutputSizeMode '{self._mode}'")
            if self._mode == "centercrop":
                top, left = (img.shape[0] - h) // 2, (img.shape[1] - w) // 2
            else:
                top, left = int(rng.integers(0, img.shape[0] - h + 1)), int(rng.integers(0, img.shape[1] - w + 1))
            img = img[top: top + h, left: left + w]
        return np.array(img) if img is base or not img.flags.owndata else img

    def _read_positions(self, positions: Sequence[int], rng: np.random.Generator) -> list[list[Any]]:
        keys = [int(self._idx[p]) for p in positions]
        missing = [k for k in keys if self._cache.items[k] is None]
        prepared = dict(zip(missing, decode_pool().map(self._prepare, missing))) if len(missing) > 1 else {}
        imgs, labels = [], []
        for k in keys:  # augment in order on this thread: the draws from `rng` stay repeatable
            item = prepared[k] if k in prepared else self._prepare(k)
            if item is None:
                continue
            imgs.append(self._finish(k, item[0], item[1], rng))
            if self._has_labels:
                labels.append(self._imds.Labels[k])
        return [imgs, labels] if self._has_labels else [imgs]

    # --- datastore interface ----------------------------------------------------------------------------
    def _num_obs(self) -> int:
        return len(self._idx)

    def _columns(self) -> list[str]:
        return ["input", "response"] if self._has_labels else ["input"]

    def hasdata(self) -> bool:
        """True while observations remain to be read."""
        return self._cursor < len(self._idx)

    def reset(self) -> None:
        """Start reading from the first observation again."""
        self._cursor = 0

    def read(self) -> BatchTable:
        """The next MiniBatchSize observations as a table with `input` (H×W×C images) and `response` (labels)."""
        if not self.hasdata():
            raise DataError("augmentedImageDatastore: no more data to read; call reset(augimds)")
        cols, self._cursor = self._gather(np.arange(len(self._idx)), self._cursor, self.MiniBatchSize,
                                          _torch_seeded_rng())
        return self._table(cols)

    def readall(self) -> BatchTable:
        """Every observation as one table (augmented once)."""
        cols, _ = self._gather(np.arange(len(self._idx)), 0, len(self._idx), _torch_seeded_rng())
        return self._table(cols)

    def _table(self, cols: list[list[Any]]) -> BatchTable:
        table = {"input": cols[0]}
        if self._has_labels:
            table["response"] = assemble(cols[1])
        return BatchTable(table)

    def _read_size(self) -> int:
        return self.MiniBatchSize

    def _read_block(self, positions: Sequence[int], rng: np.random.Generator) -> Block:
        return Block(self._read_positions(positions, rng), "table", self._columns())

    def _subset(self, positions: np.ndarray) -> AugmentedImageDatastore:
        return self._copy(self._idx[np.asarray(positions, dtype=np.int64)])

    def _copy(self, idx: np.ndarray) -> AugmentedImageDatastore:
        new = object.__new__(AugmentedImageDatastore)
        new.__dict__.update(self.__dict__)  # shares the imds and the cache of prepared images
        new._idx = np.asarray(idx, dtype=np.int64)
        new._cursor = 0
        return new

    def shuffle(self) -> AugmentedImageDatastore:
        """A copy in random order (the cache of prepared images is shared); torch.manual_seed makes it repeatable."""
        return self._copy(self._idx[torch.randperm(len(self._idx)).numpy()])

    def subset(self, indices: Sequence[int]) -> AugmentedImageDatastore:
        """A datastore of the observations at these 1-based indices."""
        return self._copy(self._idx[np.asarray(indices, dtype=np.int64) - 1])

    def numpartitions(self, workers: int | None = None) -> int:
        """The default number of partitions: one per observation (at most `workers` when given)."""
        n = len(self._idx)
        return n if workers is None else max(1, min(n, int(workers)))

    def partition(self, n: int, index: int) -> AugmentedImageDatastore:
        """Part `index` (1-based) of `n` contiguous, nearly equal parts."""
        return self._copy(self._idx[split_positions(len(self._idx), n, index, "partition")])


def augmentedImageDatastore(outputSize: Sequence[int], imds: Any, *args: Any, **kwargs: Any) -> AugmentedImageDatastore:
    """MATLAB's augmentedImageDatastore(outputSize, imds or X[, Y], DataAugmentation=aug, ColorPreprocessing=...)."""
    return AugmentedImageDatastore(outputSize, imds, *args, **kwargs)
