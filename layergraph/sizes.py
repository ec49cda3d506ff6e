"""Activation sizes in MATLAB order (H×W×C, C, C×T, …), without the batch dimension."""
from __future__ import annotations

from dataclasses import dataclass

from layergraph.formats import canonical_format, torch_perm


@dataclass(frozen=True)
class Act:
    """The size of one activation: `size` in MATLAB order and `fmt` its labels without B.

    Formats: "SSC" (images), "SC" (1-D signals, MATLAB's "SCB"), "C" (features), "CT" (sequences, MATLAB's
    "CBT"; the T size is the shortest length the network was analysed with).
    """

    size: tuple[int, ...]
    fmt: str

    @property
    def channels(self) -> int:
        return self.size[self.fmt.index("C")]

    @property
    def spatial(self) -> tuple[int, ...]:
        return tuple(s for s, f in zip(self.size, self.fmt) if f == "S")

    @property
    def time(self) -> int | None:
        """The T size of sequence data, None without a time dimension."""
        return self.size[self.fmt.index("T")] if "T" in self.fmt else None

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
        """Labels of a batch of these activations, as MATLAB writes them ("SSCB", "CB", "CBT")."""
        return canonical_format(self.fmt + "B")

    def torch_shape(self, batch: int) -> tuple[int, ...]:
        """The torch shape of a batch of this size: B, C, S…, T (NCHW for images)."""
        fmt = self.batch_fmt
        full = [batch if f == "B" else 0 for f in fmt]
        it = iter(self.size)
        full = [v if f == "B" else next(it) for v, f in zip(full, fmt)]
        return tuple(full[i] for i in torch_perm(fmt))

    def with_size(self, **dims: int) -> Act:
        """The same format with new sizes: with_size(C=8) or with_size(S=(4, 4))."""
        size = list(self.size)
        s_index = [i for i, f in enumerate(self.fmt) if f == "S"]
        for label, value in dims.items():
            if label == "S":
                for i, v in zip(s_index, value):  # type: ignore[call-overload]
                    size[i] = int(v)
            else:
                size[self.fmt.index(label)] = int(value)
        return Act(tuple(size), self.fmt)

    def __str__(self) -> str:
        return "×".join(str(s) for s in self.size)

    def describe(self) -> str:
        """Size with labels, as MATLAB prints a dlarray: '8(S) × 8(S) × 1(C)'."""
        return " × ".join(f"{s}({f})" for s, f in zip(self.size, self.fmt))


def image(h: int, w: int, c: int) -> Act:
    return Act((int(h), int(w), int(c)), "SSC")


def features(c: int) -> Act:
    return Act((int(c),), "C")


def sequence(c: int, t: int = 1) -> Act:
    return Act((int(c), int(t)), "CT")


def signal(s: int, c: int) -> Act:
    return Act((int(s), int(c)), "SC")
