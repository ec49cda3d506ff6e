"""Activation sizes in MATLAB order (H×W×C or C), without the batch dimension."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Act:
    """The size of one activation: `size` in MATLAB order and `fmt` its labels, "SSC" or "C"."""

    size: tuple[int, ...]
    fmt: str

    @property
    def channels(self) -> int:
        return self.size[self.fmt.index("C")]

    @property
    def spatial(self) -> tuple[int, ...]:
        return tuple(s for s, f in zip(self.size, self.fmt) if f == "S")

    @property
    def is_image(self) -> bool:
        return "S" in self.fmt

    @property
    def numel(self) -> int:
        n = 1
        for s in self.size:
            n *= s
        return n

    @property
    def batch_fmt(self) -> str:
        """Labels of a batch of these activations, as MATLAB writes them ("SSCB", "CB")."""
        return self.fmt + "B"

    def torch_shape(self, batch: int) -> tuple[int, ...]:
        """The torch (NCHW) shape of a batch of this size."""
        return (batch, self.channels, *self.spatial)

    def __str__(self) -> str:
        return "×".join(str(s) for s in self.size)


def image(h: int, w: int, c: int) -> Act:
    return Act((int(h), int(w), int(c)), "SSC")


def features(c: int) -> Act:
    return Act((int(c),), "C")
