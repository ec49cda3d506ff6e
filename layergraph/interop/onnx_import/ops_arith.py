"""ONNX arithmetic: Add/Sub/Mul/Div of two activations (additionLayer, multiplicationLayer, swishLayer) or of
an activation and a constant (folded into a bias, weights, an input normalization or class indices; else a
functionLayer), Sum, and ImageScaler."""
from __future__ import annotations

from typing import Any

import numpy as np

from layergraph.interop.onnx_import.folding import (
    fold_bias,
    fold_normalization,
    fold_scale,
)
from layergraph.interop.onnx_import.importer import Importer
from layergraph.interop.onnx_import.registry import handler
from layergraph.interop.onnx_import.values import Index, Val, f32, name_hint
from layergraph.layers.activation import (
    SigmoidLayer,
    SwishLayer,
)
from layergraph.layers.base import Layer
from layergraph.layers.merge import AdditionLayer, MultiplicationLayer
from layergraph.layers.reshape import FunctionLayer


@handler("Add", "Sub", "Mul", "Div")
def arith(imp: Importer, node: Any) -> None:
    """Add/Sub/Mul/Div: two activations added, or a constant folded into a bias, a normalization or indices."""
    op = node.op_type
    a, b = node.input[0], node.input[1]
    if a in imp.vals and b in imp.vals:
        _two_activations(imp, node)
        return
    act_first = a in imp.vals
    if not act_first and b not in imp.vals:
        raise imp.fail(f"inputs '{a}' and '{b}' are not activations this importer can follow")
    src, c = (imp.vals[a], imp.const(b, "operand")) if act_first else (imp.vals[b], imp.const(a, "operand"))
    if isinstance(src, Index):
        _shift_indices(imp, node, src, c, act_first)
        return
    if op in ("Sub", "Div") and not act_first:
        what = "minus" if op == "Sub" else "divided by"
        raise imp.fail(f"constant {what} activation has no layergraph layer")
    if imp.nodes[src.base].layer.is_input and fold_normalization(imp, src, c, op):
        imp.set(node.output[0], Val(src.base, src.idx, src.hint))
    elif _fold_into_layer(imp, src, c, op):
        imp.set(node.output[0], Val(src.base, src.idx, name_hint(node.name) or src.hint))
    elif not scalar_function(imp, node, src, c, op, act_first):  # one number: functionLayer('plus'/'times')
        raise imp.fail(f"{op} with a constant has no layergraph layer here (it folds only into the weights and "
                       "bias of a fully connected or convolution layer, or into an input layer's normalization)")


def _two_activations(imp: Importer, node: Any) -> None:
    """Add (additionLayer) or Mul (swishLayer where it is x·sigmoid(x), else multiplicationLayer) of two
    activations."""
    op = node.op_type
    a, b = imp.val(node.input[0]), imp.val(node.input[1])
    if op not in ("Add", "Mul"):
        raise imp.fail(f"{op} of two activations has no layergraph layer")
    if op == "Mul" and swish(imp, node, a, b):
        return
    addition(imp, node, [a, b], AdditionLayer if op == "Add" else MultiplicationLayer)


def _shift_indices(imp: Importer, node: Any, src: Index, c: np.ndarray, act_first: bool) -> None:
    """Class indices plus or minus a constant number: an offset the embedding takes up."""
    op = node.op_type
    if op not in ("Add", "Sub") or c.size != 1 or (op == "Sub" and not act_first):
        raise imp.fail("only adding or subtracting a constant from class indices is supported")
    step = int(c.reshape(-1)[0])
    imp.set(node.output[0], Index(src.val, src.offset + (step if op == "Add" else -step)))


def _fold_into_layer(imp: Importer, src: Val, c: np.ndarray, op: str) -> bool:
    """Add/Sub/Mul/Div by per-channel constant `c` folded into the bias (and weights) of the layer before."""
    if op in ("Add", "Sub"):
        return fold_bias(imp, src, c if op == "Add" else -c)
    if op == "Div" and not np.all(c != 0):
        return False
    return fold_scale(imp, src, c if op == "Mul" else 1 / c.astype(np.float64))


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


@handler("ImageScaler")
def image_scaler(imp: Importer, node: Any) -> None:
    """ImageScaler (opsets ≤ 9): scale·x + bias per channel, folded into the input layer's normalization or the
    weights and bias of the layer before."""
    a = imp.attrs(node)
    v = imp.val(node.input[0])
    shape = imp.shape(v)
    if len(shape) != 3:
        raise imp.fail(f"ImageScaler expects N×C×H×W input but gets per-sample shape {list(shape)}")
    # ImageScaler was experimental: onnx keeps no schema of it, so its specification's defaults are typed here
    scale = np.float32(a.get("scale", 1.0))
    bias = np.asarray(a.get("bias", [0.0] * shape[0]), np.float32).reshape(-1, 1, 1)
    if imp.nodes[v.base].layer.is_input:
        done = fold_normalization(imp, v, np.asarray(scale), "Mul") and fold_normalization(imp, v, bias, "Add")
    else:
        done = fold_scale(imp, v, np.asarray(scale)) and fold_bias(imp, v, bias)
    if not done:
        raise imp.fail("ImageScaler folds only into an input layer's normalization or the weights and bias of "
                       "a convolution or fully connected layer that nothing else reads")
    imp.set(node.output[0], Val(v.base, v.idx, name_hint(node.name) or v.hint))


@handler("Sum")
def add_all(imp: Importer, node: Any) -> None:
    addition(imp, node, [imp.val(i) for i in node.input])


def addition(imp: Importer, node: Any, vals: list[Val], cls: type[Layer] = AdditionLayer) -> None:
    """Add (additionLayer) or Mul (multiplicationLayer) of activations of one shape."""
    shapes = {imp.shape(v) for v in vals}
    if len(shapes) != 1:
        raise imp.fail(f"{node.op_type} of activations of different shapes {sorted(shapes)}; {cls.__name__} "
                       "here needs equal ones")
    shape = shapes.pop()
    hint = name_hint(node.name)
    if all(v.idx is None for v in vals) and len({imp.nodes[v.base].tshape for v in vals}) == 1:
        ids = [v.base for v in vals]  # the layers' outputs themselves
    else:
        ids = [imp.image(v) if len(shape) == 3 else imp.features(v) for v in vals]
    nid = imp.add(imp.make(cls, len(ids)), ids, hint)
    imp.set(node.output[0], imp.out_val(nid, shape, hint))
