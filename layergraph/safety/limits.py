"""Caps on what user input may ask for, checked before anything is read, built or allocated.

Each cap is far above what the shipped networks and MATLAB's examples need (the largest shipped template,
pix2pix's U-Net, has 54 M learnables; its largest activation per image is 128×128×128 = 2 M elements) and far
below what would exhaust a machine; docs/limits.md lists them with the reasons.
"""
from __future__ import annotations

import math
from typing import Any

from layergraph.errors import LimitError
from layergraph.safety.numbers import show_number

MAX_YAML_BYTES = 4 * 2**20  # a spec, template, training config, or a spec inside a checkpoint: 4 MiB
MAX_YAML_DEPTH = 64  # nesting of lists and mappings (the shipped specs use at most 5)
MAX_ELEMENTS = 2**28  # one tensor built from user sizes: 268 M elements, 1 GiB in single precision
MAX_LEARNABLES = 2**28  # all learnables and states of one network together
MAX_IMAGES = 10_000  # images one `generate` call makes
MAX_PICTURE_PIXELS = 2**26  # pixels of one picture written (67 M: 8192×8192)
MAX_EVAL_PIXELS = 2**27  # pixel values `evaluate` reads (all real images at the generator's size) and generates
MAX_PORTS = 1_024  # inputs or outputs of one layer (NumInputs, functionLayer's NumOutputs)
MAX_NAME_CHARS = 1_024  # a layer's or block instance's name, prefixes of nested instances included
MAX_INTEGER = 2**53  # MATLAB's flintmax: the largest integer a double holds exactly
MAX_ONNX_BYTES = 2**31  # protobuf's own limit for one ONNX file


def check_count(value: Any, what: str, low: int = 1, high: int = MAX_INTEGER) -> int:
    """An integer option given on the command line or in a file: not a bool, not NaN, in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (isinstance(value, float) and not (math.isfinite(value) and value.is_integer())):
        shown = show_number(value) if isinstance(value, float) else repr(value)
        raise LimitError(f"{what} must be a whole number, got {shown}")
    if not low <= value <= high:  # exact for integers of any size (float() of one above 1e308 would raise)
        raise LimitError(f"{what} must be from {low:,} to {high:,}, got {show_number(int(value))}")
    return int(value)


def check_elements(shape: tuple[int, ...] | list[int], what: str, limit: int = MAX_ELEMENTS) -> int:
    """The number of elements of `shape`, refused (before allocating) above `limit`."""
    n = math.prod(int(s) for s in shape)
    if n > limit:
        dims = f" ({'×'.join(f'{int(s):,}' for s in shape)})" if len(shape) > 1 else ""
        raise LimitError(f"{what} would have {n:,} elements{dims}; the limit is {limit:,} "
                         f"({limit * 4 / 2**30:.0f} GiB in single precision)")
    return n


def check_network_size(lgraph: Any, analysis: Any, where: str = "") -> None:
    """Refuse a network whose learnables, states or per-example activations are too large to allocate, naming
    the layer and the parameter; `analysis` is graph.infer's (sizes are known without building anything)."""
    total = 0
    prefix = f"{where}: " if where else ""
    for name in analysis.order:
        acts = analysis.inputs.get(name)
        out = analysis.outputs.get(name)
        if out is not None:
            check_elements(out.torch_shape(1)[1:], f"{prefix}layer '{name}': its output for one example")
        if acts is None:
            continue
        layer = lgraph.layer(name)
        for kind in (layer.learnables, layer.states):
            for param, shape in kind(acts).items():
                total += check_elements(shape, f"{prefix}layer '{name}': {param}")
        if total > MAX_LEARNABLES:
            raise LimitError(f"{prefix}the network has more than {MAX_LEARNABLES:,} learnable and state elements "
                             f"(reached at layer '{name}')")
