"""ONNX operators that only rearrange or select elements (Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Slice,
Crop, Split) or pass a value on (Identity, Cast): they change which elements a value is, never make a layer."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.values import BATCH, Index, Val, name_hint


def relayout(imp: Importer, node: Any, fn: Callable[[np.ndarray], np.ndarray]) -> None:
    """Apply an index rearrangement to an activation (or to the activation behind class indices)."""
    src = imp.vals.get(node.input[0])
    if src is None:
        imp.val(node.input[0])  # a constant or a Pad's output: says which
        raise imp.fail(f"input '{node.input[0]}' is not an activation this importer can follow")
    v = src.val if isinstance(src, Index) else src
    try:
        idx = fn(imp.index(v))
    except ValueError as err:
        raise imp.fail(str(err)) from None
    if "T" in imp.nodes[v.base].act.fmt and not (
            np.array_equal(idx.reshape(-1), np.arange(idx.size)) and
            [d for d in idx.shape if d != 1] == [d for d in imp.nodes[v.base].tshape if d != 1]):
        # sequences have any length: only reshapes that keep the element order have a meaning for all of them
        raise imp.fail("it rearranges sequence data (of any length); layergraph layers take sequences whole")
    new = Val(v.base, idx, name_hint(node.name) or v.hint)
    imp.set(node.output[0], Index(new, src.offset) if isinstance(src, Index) else new)


def reshape_target(imp: Importer, target: np.ndarray, per: tuple[int, ...], allowzero: bool) -> tuple[int, ...]:
    """The per-sample shape a Reshape to `target` gives an input of per-sample shape `per`."""
    dims = [int(d) for d in np.asarray(target).reshape(-1)]
    full = [BATCH, *per]
    dims = [full[i] if d == 0 and not allowzero and i < len(full) else d for i, d in enumerate(dims)]
    if not dims:
        raise ValueError("Reshape to a scalar drops the batch dimension")
    if imp.static_batch == 1 and BATCH in dims[1:] and set(dims[:dims.index(BATCH)]) == {1}:
        # PyTorch's x.view(1, *x.shape) in a model exported for one sample (vnn-comp's verinet MLPs): the batch
        # goes behind unit axes; for that one sample the same as a unit axis behind the batch
        p = dims.index(BATCH)
        dims = [BATCH, *dims[:p], *dims[p + 1:]]
    n = math.prod(per)
    first, rest = dims[0], dims[1:]
    if rest.count(-1) > 1 or any(d < -1 or d == BATCH for d in rest):
        raise ValueError(f"cannot interpret Reshape target {dims}")
    known = math.prod(d for d in rest if d != -1)
    if first == -1:
        if -1 in rest or known != n:
            raise ValueError(f"Reshape target {dims} moves elements across the batch dimension")
    elif first != BATCH and first != imp.static_batch:
        raise ValueError(f"Reshape target {dims} changes the batch dimension")
    if -1 in rest:
        if known == 0 or n % known:
            raise ValueError(f"Reshape target {dims} does not fit {n} elements per sample")
        rest = [n // known if d == -1 else d for d in rest]
    if math.prod(rest) != n:
        raise ValueError(f"Reshape target {dims} does not fit {n} elements per sample")
    return tuple(rest)


@handler("Reshape")
def reshape(imp: Importer, node: Any) -> None:
    target = imp.const(node.input[1], "shape")
    allow = bool(imp.attrs(node).get("allowzero"))  # from opset 14
    relayout(imp, node, lambda idx: idx.reshape(reshape_target(imp, target, idx.shape, allow)))


@handler("Flatten")
def flatten(imp: Importer, node: Any) -> None:
    if imp.attrs(node)["axis"] != 1:
        raise imp.fail("only Flatten with axis=1 (keep the batch) has a layergraph layer")
    relayout(imp, node, lambda idx: idx.reshape(-1))


def _per_sample(imp: Importer, name: str) -> tuple[int, ...]:
    v = imp.vals.get(name)
    return imp.shape(v.val if isinstance(v, Index) else v) if v is not None else ()


@handler("Squeeze")
def squeeze(imp: Importer, node: Any) -> None:
    per = _per_sample(imp, node.input[0])
    axes = imp.axes(node, len(per) + 1)
    if axes is None:
        axes = [i + 1 for i, d in enumerate(per) if d == 1]
    keep = tuple(d for i, d in enumerate(per) if i + 1 not in axes)
    if any(per[a - 1] != 1 for a in axes if a - 1 < len(per)):
        raise imp.fail("Squeeze of a dimension that is not 1")
    relayout(imp, node, lambda idx: idx.reshape(keep))


@handler("Unsqueeze")
def unsqueeze(imp: Importer, node: Any) -> None:
    per = list(_per_sample(imp, node.input[0]))
    n_axes = len(imp.given_axes(node) or [])
    axes = imp.axes(node, len(per) + 1 + n_axes) or []
    full = [BATCH, *per]
    for a in axes:
        full.insert(a, 1)
    relayout(imp, node, lambda idx: idx.reshape(full[1:]))


@handler("Transpose")
def transpose(imp: Importer, node: Any) -> None:
    perm = imp.attrs(node).get("perm")
    if perm is None or perm[0] != 0:
        raise imp.fail("it moves the batch dimension")
    relayout(imp, node, lambda idx: idx.transpose([p - 1 for p in perm[1:]]))


@handler("Identity")
def identity(imp: Importer, node: Any) -> None:
    imp.set(node.output[0], imp.vals[node.input[0]])


@handler("Cast")
def cast(imp: Importer, node: Any) -> None:
    """A cast to integers turns an activation into class indices (for Gather); other casts pass it on."""
    src = imp.vals[node.input[0]]
    to = imp.attrs(node).get("to")
    elem = imp.onnx.TensorProto
    if to in (elem.INT64, elem.INT32, elem.INT16, elem.INT8, elem.UINT8):
        imp.set(node.output[0], src if isinstance(src, Index) else Index(src, 0))
    elif isinstance(src, Index):
        raise imp.fail("integer class indices turned back into numbers have no layergraph layer")
    else:
        imp.set(node.output[0], src)


def gather(imp: Importer, node: Any) -> None:
    """Gather of an activation by constant indices: a selection of its elements."""
    per = _per_sample(imp, node.input[0])
    axis = imp.attrs(node)["axis"]
    axis = axis + len(per) + 1 if axis < 0 else axis
    if axis == 0:
        raise imp.fail("it gathers along the batch dimension")
    indices = np.asarray(imp.const(node.input[1], "indices")).astype(np.int64)
    relayout(imp, node, lambda idx: np.take(idx, indices, axis=axis - 1))


@handler("Slice")
def slice_(imp: Importer, node: Any) -> None:
    """Slice of an activation (starts/ends/axes/steps as attributes before opset 10, inputs after): a selection
    of its elements."""
    per = _per_sample(imp, node.input[0])
    a = imp.attrs(node)
    if "starts" in a:
        starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
    else:
        ins = list(node.input) + [""] * 5
        starts, ends = (imp.const(ins[i], what).reshape(-1).tolist() for i, what in ((1, "starts"), (2, "ends")))
        axes = imp.const(ins[3], "axes").reshape(-1).tolist() if ins[3] else None
        steps = imp.const(ins[4], "steps").reshape(-1).tolist() if ins[4] else None
    axes = list(range(len(starts))) if axes is None else axes
    steps = steps or [1] * len(starts)
    full = [BATCH, *per]
    picks: dict[int, np.ndarray] = {}
    for ax, start, end, step in zip(axes, starts, ends, steps):
        ax = int(ax) + len(full) if int(ax) < 0 else int(ax)
        if not 0 <= ax < len(full) or int(step) == 0:
            raise imp.fail(f"cannot interpret Slice axis {ax} step {step}")
        span = slice(int(start), int(end), int(step)).indices(full[ax])
        if ax == 0 and span != (0, full[0], 1):
            raise imp.fail("it slices the batch dimension")
        if ax:
            picks[ax - 1] = np.arange(*span)

    def pick(idx: np.ndarray) -> np.ndarray:
        for ax, rows in picks.items():
            idx = np.take(idx, rows, axis=ax)
        return idx

    relayout(imp, node, pick)


@handler("Crop")
def crop(imp: Importer, node: Any) -> None:
    """Crop (opsets ≤ 9): border [left top right bottom], or a window of size `scale` at its top left corner."""
    per = _per_sample(imp, node.input[0])
    a = imp.attrs(node)
    border = list(a.get("border", [0, 0, 0, 0]))  # Crop was experimental: no schema keeps its defaults
    if len(per) != 3 or len(border) != 4:
        raise imp.fail("Crop takes an N×C×H×W input and border [left top right bottom]")
    left, top, right, bottom = border
    h, w = a.get("scale", [per[1] - top - bottom, per[2] - left - right])
    relayout(imp, node, lambda idx: idx[:, top:top + h, left:left + w])


@handler("Split")
def split_2(imp: Importer, node: Any) -> None:
    """Split before opset 13: the sizes are the attribute `split` (absent: equal parts)."""
    a = imp.attrs(node)
    _split(imp, node, [int(x) for x in a["split"]] if "split" in a else None)


@handler("Split", since=13)
def split_13(imp: Importer, node: Any) -> None:
    """Split from opset 13: the sizes are the optional second input (absent: equal parts, or num_outputs)."""
    given = len(node.input) > 1 and node.input[1]
    _split(imp, node, [int(x) for x in imp.const(node.input[1], "split").reshape(-1)] if given else None)


def _split(imp: Importer, node: Any, sizes: list[int] | None) -> None:
    """Split of an activation into pieces along an axis: selections of its elements (no layer)."""
    v = imp.val(node.input[0])
    idx = imp.index(v)
    axis = imp.attrs(node)["axis"]
    axis = axis + idx.ndim + 1 if axis < 0 else axis
    if axis == 0:
        raise imp.fail("it splits the batch dimension")
    if sizes is None:
        n, parts = idx.shape[axis - 1], len(node.output)
        step = -(-n // parts)  # ONNX: equal parts, the last one smaller
        sizes = [min(step, n - i * step) for i in range(parts)]
    if sum(sizes) != idx.shape[axis - 1]:
        raise imp.fail(f"split sizes {sizes} do not add up to {idx.shape[axis - 1]}")
    start = 0
    for out, size in zip(node.output, sizes):
        piece = np.take(idx, np.arange(start, start + size), axis=axis - 1)
        start += size
        if out:
            imp.set(out, Val(v.base, piece, name_hint(node.name) or v.hint))
