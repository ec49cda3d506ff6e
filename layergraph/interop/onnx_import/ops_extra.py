"""ONNX operators of 1-D networks and of the layers added for issue 23: sequences (convolution and pooling over
time), PRelu, DepthToSpace/SpaceToDepth, Gelu (operator and its Erf/Tanh decompositions), LogSoftmax and Log,
Pow by 2, and Split. ops.py adds this table to OPS and calls the 1-D handlers from its Conv and pooling ones."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from layergraph.interop.onnx_import.folding import crop_of
from layergraph.interop.onnx_import.values import Importer, Val, f32, name_hint
from layergraph.layers.activation import ClippedReLULayer, GELULayer, ReLULayer, SigmoidLayer, SoftmaxLayer, SwishLayer
from layergraph.layers.base import Layer, same_total
from layergraph.layers.conv1d import Convolution1DLayer, TransposedConv1DLayer
from layergraph.layers.depthspace import DepthToSpace2DLayer, SpaceToDepthLayer
from layergraph.layers.merge import MultiplicationLayer
from layergraph.layers.pooling1d import (
    AveragePooling1DLayer,
    GlobalAveragePooling1DLayer,
    GlobalMaxPooling1DLayer,
    MaxPooling1DLayer,
)
from layergraph.layers.prelu import PReLULayer
from layergraph.layers.reshape import FunctionLayer

Handler = Callable[[Importer, Any], None]
PAD_MODES = {"reflect": "symmetric-exclude-edge", "edge": "replicate"}  # ONNX Pad mode → MATLAB's PaddingValue


# ----- sequences ----------------------------------------------------------------------------------------------
def is_sequence(imp: Importer, v: Val) -> bool:
    return "T" in imp.nodes[v.base].act.fmt or imp.nodes[v.base].act.fmt == "SC"


def sequence(imp: Importer, v: Val) -> int:
    """The node whose output is exactly this N×C×T value (1-D data: "CBT" sequences or "SCB" signals)."""
    shape = imp.shape(v)
    base = imp.nodes[v.base]
    if len(shape) != 2 or not is_sequence(imp, v):
        raise imp.fail(f"expects N×C×T sequences but gets per-sample shape {list(shape)}")
    if v.idx is not None and not np.array_equal(v.idx.reshape(-1), np.arange(base.numel)):
        raise imp.fail("the elements of its sequence input are rearranged; layergraph layers take sequences whole")
    return v.base


def _pads_1d(imp: Importer, node: Any, n: int, k: int, s: int, d: int, before: tuple[int, int]) -> tuple[int, int]:
    a = imp.attrs(node)
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        if any(before):
            raise imp.fail("auto_pad after a Pad node has no layergraph form")
        total = same_total(n, (k - 1) * d + 1, s)
        lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
        return lo, total - lo
    p = [0, 0] if auto == "VALID" else list(a.get("pads", [0, 0]))
    return p[0] + before[0], p[1] + before[1]


def _same_1d(n: int, k: int, s: int, explicit: tuple[int, int]) -> Any:
    total = same_total(n, k, s)
    return "same" if explicit == (total // 2, total - total // 2) and any(explicit) else list(explicit)


def conv1d(imp: Importer, node: Any, w: np.ndarray) -> None:
    """Conv with one spatial axis: convolution1dLayer (a reflect/edge Pad before it: its PaddingValue)."""
    a = imp.attrs(node)
    if a.get("group", 1) != 1:
        raise imp.fail("grouped 1-D convolution has no layergraph layer")
    v, before = imp.padded_val(node.input[0])
    mode = imp.pad_modes.get(node.input[0], 0.0)
    src = sequence(imp, v)
    n = imp.nodes[src].tshape[-1]
    k, s, d = int(w.shape[2]), int(a.get("strides", [1])[0]), int(a.get("dilations", [1])[0])
    if mode and any(a.get("pads", [0, 0])):
        raise imp.fail("a convolution's own zero padding after a reflection Pad has no layergraph form")
    explicit = _pads_1d(imp, node, n, k, s, d, (before[2], before[3]))
    padding = _same_1d(n, (k - 1) * d + 1, s, explicit)
    layer = imp.make(Convolution1DLayer, k, int(w.shape[0]), Stride=s, DilationFactor=d, Padding=padding,
                     PaddingValue=mode)
    bias = imp.const(node.input[2], "bias") if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[0])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(layer, [src], hint, {"Weights": w, "Bias": bias}), None, hint))


def conv_transpose1d(imp: Importer, node: Any, w: np.ndarray) -> None:
    """ConvTranspose with one spatial axis: transposedConv1dLayer (pads crop; a Pad after it is not taken)."""
    a = imp.attrs(node)
    if a.get("group", 1) != 1 or any(x != 1 for x in a.get("dilations", [1])) or "output_shape" in a:
        raise imp.fail("1-D transposed convolution with groups, dilation or output_shape has no layergraph layer")
    auto = a.get("auto_pad", b"NOTSET")
    if (auto.decode() if isinstance(auto, bytes) else auto) not in ("NOTSET", "VALID"):
        raise imp.fail("1-D transposed convolution with auto_pad has no layergraph layer here")
    src = sequence(imp, imp.val(node.input[0]))
    k, s = int(w.shape[2]), int(a.get("strides", [1])[0])
    left, right = [*list(a.get("pads", [0, 0])), 0, 0][:2]
    right -= int(a.get("output_padding", [0])[0])
    if right < 0:
        raise imp.fail("output_padding larger than the end padding has no layergraph layer")
    total = k - s
    same = (total // 2, total - total // 2) if total >= 0 else None
    cropping = "same" if (left, right) == same and total > 0 else [left, right]
    layer = imp.make(TransposedConv1DLayer, k, int(w.shape[1]), Stride=s, Cropping=cropping)
    bias = imp.const(node.input[2], "bias") if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[1])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(layer, [src], hint, {"Weights": w, "Bias": bias}), None, hint))


def clip(imp: Importer, node: Any) -> None:
    """Clip to [0, c]: clippedReluLayer(c); to [0, ∞): reluLayer."""
    a = imp.attrs(node)
    ins = [*list(node.input), "", ""]
    lo = float(np.asarray(imp.const(ins[1], "min")).reshape(-1)[0]) if ins[1] else a.get("min", -np.inf)
    hi = float(np.asarray(imp.const(ins[2], "max")).reshape(-1)[0]) if ins[2] else a.get("max", np.inf)
    if lo != 0:
        raise imp.fail(f"Clip to [{lo:g}, {hi:g}]: only clipping from 0 (clippedReluLayer, reluLayer) has a layer")
    layer = imp.make(ReLULayer) if np.isinf(hi) else imp.make(ClippedReLULayer, f32(hi))
    v = imp.val(node.input[0])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(layer, [v.base], hint), v.idx, hint))


def swish(imp: Importer, node: Any, a: Val, b: Val) -> bool:
    """Mul(x, Sigmoid(x)) where nothing else reads the sigmoid: swishLayer in place of the sigmoidLayer."""
    for x, s in ((a, b), (b, a)):
        sig = imp.nodes[s.base]
        if (isinstance(sig.layer, SigmoidLayer) and sig.inputs == [x.base] and s.idx is None and x.idx is None
                and s.base not in imp.shared and not imp.out_degree[s.base]):
            sig.layer = imp.make(SwishLayer)
            hint = name_hint(node.name) or s.hint
            sig.hint = hint
            imp.set(node.output[0], Val(s.base, None, hint))
            return True
    return False


def pool1d(imp: Importer, node: Any) -> None:
    """MaxPool / AveragePool with one spatial axis: maxPooling1dLayer / averagePooling1dLayer."""
    imp.unused(node, 1)
    a = imp.attrs(node)
    k = int(a["kernel_shape"][0])
    if any(x != 1 for x in a.get("dilations", [1])) or a.get("ceil_mode", 0):
        raise imp.fail("1-D pooling with dilation or ceil_mode has no layergraph layer")
    maxpool = node.op_type == "MaxPool"
    v, before = imp.padded_val(node.input[0]) if not maxpool else (imp.val(node.input[0]), (0, 0, 0, 0))
    if imp.pad_modes.get(node.input[0]):
        raise imp.fail("pooling after a reflection Pad has no layergraph form")
    src = sequence(imp, v)
    n = imp.nodes[src].tshape[-1]
    s = int(a.get("strides", [1])[0])
    explicit = _pads_1d(imp, node, n, k, s, 1, (before[2], before[3]))
    options: dict[str, Any] = {"Stride": s, "Padding": _same_1d(n, k, s, explicit)}
    if not maxpool and any(explicit):
        options["PaddingValue"] = 0 if a.get("count_include_pad", 0) or any(before) else "mean"
    cls = MaxPooling1DLayer if maxpool else AveragePooling1DLayer
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(imp.make(cls, k, **options), [src], hint), None, hint))


def global_pool1d(imp: Importer, node: Any, kind: str, keep: bool) -> None:
    """Global pooling over T: globalAveragePooling1dLayer / globalMaxPooling1dLayer ("CBT" → "CB")."""
    src = sequence(imp, imp.val(node.input[0]))
    cls = GlobalMaxPooling1DLayer if kind == "max" else GlobalAveragePooling1DLayer
    hint = name_hint(node.name)
    nid = imp.add(imp.make(cls), [src], hint)
    c = imp.nodes[nid].act.channels
    imp.set(node.output[0], imp.out_val(nid, (c, 1) if keep else (c,), hint))


def global_max_pool(imp: Importer, node: Any) -> None:
    if len(imp.shape(imp.val(node.input[0]))) != 2:
        raise imp.fail("GlobalMaxPool of images has no layergraph layer (globalMaxPooling2dLayer is not built)")
    global_pool1d(imp, node, "max", keep=True)


def reduce_max(imp: Importer, node: Any) -> None:
    v = imp.val(node.input[0])
    axes = imp.axes(node, len(imp.shape(v)) + 1)
    if len(imp.shape(v)) != 2 or axes != [2]:
        raise imp.fail("only ReduceMax over the time axis of N×C×T sequences has a layergraph layer")
    global_pool1d(imp, node, "max", keep=bool(imp.attrs(node).get("keepdims", 1)))


# ----- element-wise and per-channel layers ------------------------------------------------------------------
def _unary(imp: Importer, node: Any, layer: Layer, params: dict[str, np.ndarray] | None = None) -> None:
    """A layer that keeps its input's shape, on a whole layer output (images made where a reshape was)."""
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    src = (imp.image(v) if len(shape) == 3 else sequence(imp, v) if len(shape) == 2 and is_sequence(imp, v)
           else imp.features(v, strict=False))
    hint = name_hint(node.name)
    imp.set(node.output[0], imp.out_val(imp.add(layer, [src], hint, params), shape, hint))


def prelu(imp: Importer, node: Any) -> None:
    """PRelu(x, slope): preluLayer with a scalar Alpha or one per channel."""
    slope = np.asarray(imp.const(node.input[1], "slope"), np.float64)
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    c = shape[0] if shape else 1
    flat = slope.reshape(-1)
    if flat.size == 1:
        alpha: Any = f32(flat[0])
        value = flat.reshape(1)
    else:
        try:
            full = np.broadcast_to(slope, shape)
        except ValueError:
            raise imp.fail(f"slope of shape {list(slope.shape)} does not broadcast over {list(shape)}") from None
        per = full.reshape(c, -1)
        if not np.all(per == per[:, :1]):
            raise imp.fail("preluLayer takes one slope per channel; this slope varies within a channel")
        value = per[:, 0]
        alpha = [float(x) for x in value]
    layer = imp.make(PReLULayer, Alpha=alpha)
    view = (-1, *[1] * (len(shape) - 1)) if flat.size > 1 else (1,) * max(len(shape), 1)  # as _PReLU holds it
    _unary(imp, node, layer, {"Alpha": value.reshape(view)})


def gelu(imp: Importer, node: Any) -> None:
    """Gelu (opset 20+), or the node the Erf/Tanh decomposition was fused into (fuse_gelu)."""
    approx = imp.attrs(node).get("approximate", b"none")
    approx = approx.decode() if isinstance(approx, bytes) else approx
    v = imp.val(node.input[0])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(imp.make(GELULayer, Approximation=approx), [v.base], hint), v.idx, hint))


def log_softmax(imp: Importer, node: Any) -> None:
    """LogSoftmax over channels: softmaxLayer then functionLayer('log')."""
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    axis = imp.attrs(node).get("axis", -1 if imp.opset >= 13 else 1)
    axis = axis + len(shape) + 1 if axis < 0 else axis
    if axis != 1 or (imp.opset < 13 and math.prod(shape[1:]) != 1):
        raise imp.fail(f"LogSoftmax over axis {axis}; softmaxLayer works over channels (axis 1)")
    nid = imp.image_or_features(v) if len(shape) != 2 else sequence(imp, v)
    hint = name_hint(node.name)
    soft = imp.add(imp.make(SoftmaxLayer), [nid], hint)
    out = imp.add(imp.make(FunctionLayer, "log"), [soft], hint)
    imp.set(node.output[0], imp.out_val(out, shape, hint))


def log(imp: Importer, node: Any) -> None:
    v = imp.val(node.input[0])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(imp.make(FunctionLayer, "log"), [v.base], hint), v.idx, hint))


def power(imp: Importer, node: Any) -> None:
    """Pow(x, 2): multiplicationLayer with x at both inputs."""
    e = np.asarray(imp.const(node.input[1], "exponent")).reshape(-1)
    if e.size != 1 or float(e[0]) != 2.0:
        raise imp.fail(f"only Pow by 2 has a layergraph layer (multiplicationLayer of x with itself); exponent {e}")
    v = imp.val(node.input[0])
    hint = name_hint(node.name)
    imp.set(node.output[0], Val(imp.add(imp.make(MultiplicationLayer, 2), [v.base, v.base], hint), v.idx, hint))


def scalar_function(imp: Importer, node: Any, src: Val, c: np.ndarray, op: str, act_first: bool) -> bool:
    """Add/Sub/Mul/Div of an activation and one constant number that no weights or bias can take:
    functionLayer('plus') or functionLayer('times'). False when `c` is not one number."""
    if c.size != 1 or (not act_first and op in ("Sub", "Div")):
        return False
    value = float(np.asarray(c, np.float64).reshape(-1)[0])
    if op == "Div" and value == 0:
        return False
    fcn, arg = {"Add": ("plus", value), "Sub": ("plus", -value), "Mul": ("times", value),
                "Div": ("times", 1 / value)}[op]
    hint = name_hint(node.name)
    nid = imp.add(imp.make(FunctionLayer, fcn, Arguments=[f32(arg)]), [src.base], hint)
    imp.set(node.output[0], Val(nid, src.idx, hint))
    return True


# ----- rearranging channels ----------------------------------------------------------------------------------
def depth_to_space(imp: Importer, node: Any) -> None:
    a = imp.attrs(node)
    mode = a.get("mode", b"DCR")
    mode = (mode.decode() if isinstance(mode, bytes) else mode).lower()
    src = imp.image(imp.val(node.input[0]))
    hint = name_hint(node.name)
    layer = imp.make(DepthToSpace2DLayer, int(a["blocksize"]), Mode=mode)
    imp.set(node.output[0], Val(imp.add(layer, [src], hint), None, hint))


def space_to_depth(imp: Importer, node: Any) -> None:
    block = int(imp.attrs(node)["blocksize"])
    v = imp.val(node.input[0])
    crop = crop_of(imp, v)
    if crop is not None and crop[0] == crop[2] == 0 and crop[1] < block and crop[3] < block:
        src = v.base  # the bottom rows and right columns that fill no block: spaceToDepthLayer drops them itself
    else:
        src = imp.image(v)
    hint = name_hint(node.name)
    layer = imp.make(SpaceToDepthLayer, block)
    imp.set(node.output[0], Val(imp.add(layer, [src], hint), None, hint))


def split(imp: Importer, node: Any) -> None:
    """Split of an activation into pieces along an axis: selections of its elements (no layer)."""
    v = imp.val(node.input[0])
    idx = imp.index(v)
    a = imp.attrs(node)
    axis = a.get("axis", 0)
    axis = axis + idx.ndim + 1 if axis < 0 else axis
    if axis == 0:
        raise imp.fail("it splits the batch dimension")
    if len(node.input) > 1 and node.input[1]:
        sizes = [int(x) for x in imp.const(node.input[1], "split").reshape(-1)]
    elif "split" in a:
        sizes = [int(x) for x in a["split"]]
    else:
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


# ----- GELU written as elementary operators ---------------------------------------------------------------------
_ELEMENTARY = {"Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Tanh"}
_PROBE = np.linspace(-4.0, 4.0, 81)
_GELU = {"none": 0.5 * _PROBE * (1 + np.vectorize(math.erf)(_PROBE / math.sqrt(2))),
         "tanh": 0.5 * _PROBE * (1 + np.tanh(math.sqrt(2 / math.pi) * (_PROBE + 0.044715 * _PROBE ** 3)))}


def _evaluate(node: Any, args: list[np.ndarray]) -> np.ndarray:
    op = node.op_type
    if op == "Erf":
        return np.vectorize(math.erf)(args[0])
    if op in ("Tanh", "Sqrt"):
        return np.tanh(args[0]) if op == "Tanh" else np.sqrt(np.abs(args[0]))
    a, b = args
    return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power}[op](a, b)


def _try_gelu(consts: dict[str, np.ndarray], nodes: list[Any], at: int, root: str, readers: dict[str, list[int]],
              back: list[int], outputs: set[str]) -> Any:
    """(first..last node positions, approximation) when the element-wise nodes from `root` through the
    Erf/Tanh node at `at` compute GELU of `root` (checked numerically on −4…4), else None."""
    values: dict[str, np.ndarray] = {root: _PROBE}
    region: list[int] = []
    for i in back:  # the nodes between root and the Erf/Tanh node
        node = nodes[i]
        ins = [x for x in node.input if x]
        if node.op_type in _ELEMENTARY and any(x in values for x in ins) and all(
                x in values or (x in consts and consts[x].size == 1) for x in ins):
            values[node.output[0]] = _evaluate(node, [values.get(x, np.asarray(consts.get(x), np.float64))
                                                      for x in ins])
            region.append(i)
    if at not in region:
        return None
    cur = nodes[at].output[0]
    for _ in range(4):  # then the Add 1 and the multiplications by x and ½, in whichever order
        nxt = readers.get(cur, [])
        if len(nxt) != 1 or nodes[nxt[0]].op_type not in _ELEMENTARY:
            return None
        node = nodes[nxt[0]]
        ins = [x for x in node.input if x]
        if not all(x in values or (x in consts and consts[x].size == 1) for x in ins):
            return None
        cur = node.output[0]
        values[cur] = _evaluate(node, [values.get(x, np.asarray(consts.get(x), np.float64)) for x in ins])
        region.append(nxt[0])
        for approx, want in _GELU.items():
            if np.allclose(values[cur], want, rtol=1e-5, atol=1e-6):
                inside = {o for i in region for o in nodes[i].output}
                private = all(all(r in region for r in readers.get(o, [])) for i in region[:-1]
                              for o in nodes[i].output if o in inside)
                return (region, approx) if private and not inside.intersection(outputs) - {cur} else None
    return None


def _upstream(nodes: list[Any], at: int, depth: int = 6) -> list[int]:
    """Positions of the element-wise nodes feeding node `at` within `depth` steps, and `at`, in graph order."""
    made = {o: i for i, n in enumerate(nodes[:at]) for o in n.output}
    found, frontier = {at}, [at]
    for _ in range(depth):
        frontier = [made[x] for i in frontier for x in nodes[i].input
                    if x in made and nodes[made[x]].op_type in _ELEMENTARY and made[x] not in found]
        found.update(frontier)
    return sorted(found)


def fuse_gelu(imp: Importer) -> list[Any]:
    """The graph's nodes with each element-wise GELU decomposition (PyTorch's Div→Erf→Add→Mul→Mul, layergraph's
    own opset < 20 export, the tanh form) replaced by one Gelu node reading the same input."""
    nodes = list(imp.graph.node)
    outputs = {o.name for o in imp.graph.output}
    consts = dict(imp.consts)  # initializers and the values of Constant nodes (PyTorch writes those)
    for n in nodes:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            consts[n.output[0]] = imp.onnx.numpy_helper.to_array(n.attribute[0].t)
    done = True
    while done:
        done = False
        readers: dict[str, list[int]] = {}
        for i, node in enumerate(nodes):
            for x in node.input:
                readers.setdefault(x, []).append(i)
        for at, node in enumerate(nodes):
            if node.op_type not in ("Erf", "Tanh"):
                continue
            back = _upstream(nodes, at)
            roots = {x for i in back for x in nodes[i].input if x and x not in consts}
            for root in sorted(roots):
                found = _try_gelu(consts, nodes, at, root, readers, back, outputs)
                if found is None:
                    continue
                region, approx = found
                last = nodes[region[-1]]
                fused = imp.onnx.helper.make_node("Gelu", [root], [last.output[0]], name=last.name,
                                                  approximate=approx)
                nodes = [fused if i == region[-1] else n for i, n in enumerate(nodes) if i not in region[:-1]]
                done = True
                break
            if done:
                break
    from collections import Counter

    imp.consumers = Counter(i for n in nodes for i in n.input if i)
    imp.consumers.update(o.name for o in imp.graph.output)
    return nodes


OPS: dict[str, Handler] = {
    "PRelu": prelu, "Gelu": gelu, "LogSoftmax": log_softmax, "Log": log, "Pow": power,
    "DepthToSpace": depth_to_space, "SpaceToDepth": space_to_depth, "Split": split,
    "GlobalMaxPool": global_max_pool, "ReduceMax": reduce_max,
}
