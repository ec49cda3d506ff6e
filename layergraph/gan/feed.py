"""The training data feed: decoded once, resized once, then shuffled per epoch deterministically.

Batches come in an order fixed by (seed, epoch), and random reflections by (seed, epoch, batch), so a
run resumed mid-epoch sees exactly the batches an uninterrupted run would, and each rank of a
multi-process job reads its own slice of every global batch.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from layergraph.data import augmentedImageDatastore, categories, imageDatastore
from layergraph.errors import DataError
from layergraph.safety.limits import check_elements
from layergraph.workers import start_worker


class DataFeed:
    """Images of a one-folder-per-class tree as training batches (X in [-1, 1], T 1-based labels)."""

    def __init__(self, folder: Path, image_size: tuple[int, int], channels: int, batch: int, seed: int,
                 flip_x: bool, flip_y: bool, device: torch.device, rank: int = 0, world: int = 1) -> None:
        self.classes, images, labels = read_tree(Path(folder), image_size, channels)
        # uint8 N×C×H×W kept in memory: decoding and resizing happen once, not every epoch
        self.images = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
        self.labels = torch.as_tensor(labels, dtype=torch.float32).reshape(-1, 1)
        if batch % world:
            raise ValueError(f"miniBatchSize {batch} is not divisible by the {world} processes")
        self.batch, self.local = batch, batch // world
        self.seed, self.flip_x, self.flip_y = seed, flip_x, flip_y
        self.device, self.rank = device, rank

    @property
    def num_observations(self) -> int:
        return len(self.labels)

    @property
    def batches_per_epoch(self) -> int:
        return self.num_observations // self.batch  # MATLAB's PartialMiniBatch="discard"

    def order(self, epoch: int) -> torch.Tensor:
        return torch.randperm(self.num_observations, generator=torch.Generator().manual_seed(
            self.seed * 1_000_003 + epoch))

    def _batch(self, order: torch.Tensor, epoch: int, b: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = order[b * self.batch + self.rank * self.local: b * self.batch + (self.rank + 1) * self.local]
        x = self.images[idx].float().div_(127.5).sub_(1.0)  # rescale(X, -1, 1, InputMin=0, InputMax=255)
        if self.flip_x or self.flip_y:
            g = torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) * 100_003 + b)
            flips = torch.rand(self.batch, 2, generator=g)[self.rank * self.local:(self.rank + 1) * self.local]
            if self.flip_x:
                m = flips[:, 0] < 0.5
                x[m] = x[m].flip(-1)
            if self.flip_y:
                m = flips[:, 1] < 0.5
                x[m] = x[m].flip(-2)
        return x, self.labels[idx]

    def epoch(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches start..end of `epoch`, prepared one ahead in a background thread."""
        order = self.order(epoch)
        ahead: queue.Queue = queue.Queue(maxsize=2)
        stop = threading.Event()

        def put(item: object) -> None:
            while not stop.is_set():  # give up when the consumer has gone (e.g. maxIterations reached)
                try:
                    ahead.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue

        def work() -> None:
            try:
                for b in range(start, self.batches_per_epoch):
                    x, t = self._batch(order, epoch, b)
                    put((x.to(self.device, non_blocking=True), t.to(self.device, non_blocking=True)))
            except BaseException as err:  # hand the failure to the training loop instead of hanging
                put(err)
            put(None)

        start_worker(work, (), stop, "layergraph-datafeed")
        try:
            while (item := ahead.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()


def read_tree(folder: Path, size: tuple[int, int], channels: int, max_pixels: int | None = None
              ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Class names (sub-folder names, sorted), N×H×W×C uint8 images resized to `size`, 1-based labels.

    Reads through imageDatastore/augmentedImageDatastore, so listing, decoding, colour conversion and
    resizing follow the same (MATLAB) rules as the Python API.
    """
    if not folder.is_dir():
        raise DataError(f"{folder}: data folder not found")
    imds = imageDatastore(str(folder), IncludeSubfolders=True, LabelSource="foldernames")
    if len(imds.Files) == 0:
        raise DataError(f"{folder}: no images found (expected one folder of images per class)")
    if max_pixels is not None:  # checked on the file count, before any image is decoded
        check_elements((len(imds.Files), *size, channels),
                       f"{folder}: the images at {size[0]}×{size[1]}×{channels}", max_pixels)
    color = "gray2rgb" if channels == 3 else "rgb2gray"
    table = augmentedImageDatastore([*size, channels], imds, ColorPreprocessing=color).readall()
    return list(categories(imds.Labels)), np.stack(table.input), np.asarray(table.response.codes)
