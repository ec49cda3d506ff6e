"""Mixed precision: `precision: auto | fp32 | bf16`, resolved from what the device computes fast.

bf16 runs the forward passes under torch.autocast (convolutions and matrix products in bfloat16); learnables,
optimizer state and batch-norm statistics stay float32 and losses are computed in float32. `auto` picks bf16
only where the hardware has bf16 arithmetic: CUDA GPUs of compute capability 8.0 or newer, x86 CPUs with
AVX-512 BF16 or AMX, Arm CPUs with the BF16 extension. Elsewhere autocast would emulate bf16 and be slower
(12.6× slower than fp32 for a DCGAN discriminator step on an AVX2-only AMD EPYC), so `auto` keeps fp32.
"""
from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch

PRECISIONS = ("auto", "fp32", "bf16")
# /proc/cpuinfo flags that mean bfloat16 arithmetic in hardware (x86: AVX-512 BF16, AMX; Arm: FEAT_BF16)
_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")
CPUINFO = "/proc/cpuinfo"
# another CPU listing to read instead (the test suite simulates one CPU kind on every machine with it)
CPUINFO_ENV = "LAYERGRAPH_CPUINFO"


@dataclass(frozen=True)
class Precision:
    """A resolved precision: 'fp32' or 'bf16', the device type it applies to and why it was chosen."""

    name: str
    device_type: str
    reason: str

    @property
    def dtype(self) -> torch.dtype:
        return torch.bfloat16 if self.name == "bf16" else torch.float32

    def autocast(self) -> contextlib.AbstractContextManager:
        """The torch.autocast context of this precision (a no-op for fp32)."""
        return torch.autocast(self.device_type, dtype=torch.bfloat16, enabled=self.name == "bf16")

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def cpu_flags(path: str | None = None) -> set[str]:
    """The CPU feature flags the kernel reports (x86 'flags', Arm 'Features'); empty where unknown.

    Reads `path`, else the file named by $LAYERGRAPH_CPUINFO, else /proc/cpuinfo.
    """
    try:
        text = Path(path or os.environ.get(CPUINFO_ENV) or CPUINFO).read_text(encoding="ascii", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return set(value.split())
    return set()


@cache
def bf16_support(device_type: str) -> tuple[bool, str]:
    """Whether `device_type` ('cpu' or 'cuda') has fast bf16 arithmetic, and what showed it."""
    if device_type == "cuda":
        if not torch.cuda.is_available():
            return False, "no CUDA device"
        major, minor = torch.cuda.get_device_capability()
        name = torch.cuda.get_device_name()
        if major >= 8:
            return True, f"{name}, compute capability {major}.{minor}"
        return False, f"{name}, compute capability {major}.{minor} has no bf16 tensor cores"
    found = [f for f in _BF16_CPU_FLAGS if f in cpu_flags()]
    cpu = platform.processor() or platform.machine()
    if found:
        return True, f"CPU has {', '.join(found)}"
    return False, f"{cpu} CPU without AVX-512 BF16, AMX or Arm BF16"


def resolve_precision(precision: str, device: torch.device | str) -> Precision:
    """Turn 'auto' | 'fp32' | 'bf16' into the precision training on `device` uses, with the reason."""
    choice = str(precision).lower()
    if choice not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    kind = torch.device(device).type
    kind = kind if kind in ("cpu", "cuda") else "cpu"
    fast, why = bf16_support(kind)
    if choice == "fp32":
        return Precision("fp32", kind, "asked for")
    if choice == "bf16":
        return Precision("bf16", kind, "asked for" if fast else f"asked for; emulated, slower: {why}")
    return Precision("bf16" if fast else "fp32", kind, f"auto: {why}")


@contextlib.contextmanager
def mixed_precision(precision: str = "auto", device: torch.device | str | None = None) -> Iterator[Precision]:
    """Run the code inside (e.g. `dlfeval(modelLoss, ...)`) at `precision`; yields the resolved Precision.

    Not a MATLAB function (MATLAB trains in single precision): the hand-written-loop way to what the trainer's
    `precision` option does. Learnables stay float32; dlfun losses compute in float32.
    """
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    resolved = resolve_precision(precision, device)
    with resolved.autocast():
        yield resolved
