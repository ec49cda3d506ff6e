"""Where computation runs: MATLAB's canUseGPU / gpuArray / gather, resolved once."""
from __future__ import annotations

from typing import Any

import torch

from layergraph.dlarray import DLArray, wrap
from layergraph.errors import DeviceError


def canUseGPU() -> bool:
    """True when a CUDA device is usable (MATLAB's canUseGPU)."""
    return torch.cuda.is_available()


def default_device(environment: str = "auto") -> torch.device:
    """Resolve MATLAB's ExecutionEnvironment/OutputEnvironment: 'auto', 'gpu' or 'cpu'."""
    env = environment.lower()
    if env not in ("auto", "gpu", "cpu"):
        raise ValueError(f"execution environment '{environment}' is not one of 'auto', 'gpu', 'cpu'")
    if env == "gpu" and not canUseGPU():
        raise DeviceError("execution environment 'gpu' was requested but no CUDA device is available "
                          "(use 'auto' or 'cpu')")
    return torch.device("cuda" if env != "cpu" and canUseGPU() else "cpu")


def gpuArray(x: Any) -> Any:
    """Move data to the GPU when one is present (a no-op on CPU-only machines)."""
    return _move(x, "cuda") if canUseGPU() else x


def gather(x: Any) -> Any:
    """Bring data back to the CPU (MATLAB's gather)."""
    return _move(x, "cpu")


def _move(x: Any, device: str) -> Any:
    """Move a tensor, keeping a dlarray's labels (torch drops subclass attributes on copies)."""
    if isinstance(x, DLArray):
        return wrap(x.as_subclass(torch.Tensor).to(device), x.fmt)
    return x.to(device) if isinstance(x, torch.Tensor) else x
