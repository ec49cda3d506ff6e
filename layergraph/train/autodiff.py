"""MATLAB-style autodiff: `dlfeval` runs a model-loss function, `dlgradient` differentiates its loss."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from layergraph.dlarray import DLArray, wrap
from layergraph.errors import LayergraphError
from layergraph.namevalue import matlab_keywords
from layergraph.table import Table
from layergraph.tracing import dlfeval_scope
from layergraph.tree import Tree, TreeError, check_tensors, flatten, plain, unflatten

__all__ = ["AutodiffError", "dlfeval", "dlgradient"]


class AutodiffError(LayergraphError, ValueError):
    """dlgradient was called with a loss or variables it cannot differentiate."""


def _trace(value: Any) -> Any:
    """Give an untraced floating-point dlarray a traced alias (MATLAB traces dlarray inputs of dlfeval).

    The alias shares memory with the caller's array, so nothing is copied, and the caller's own object keeps
    requires_grad=False, the way MATLAB leaves the variables outside dlfeval untraced.
    """
    if isinstance(value, DLArray):
        if value.requires_grad or not (value.is_floating_point() or value.is_complex()):
            return value
        # a new leaf over the same memory: requires_grad on it leaves the caller's object untouched
        return wrap(value.detach().as_subclass(torch.Tensor), value.fmt).requires_grad_(True)
    if isinstance(value, list) or type(value) is tuple:
        traced = [_trace(v) for v in value]
        if all(a is b for a, b in zip(traced, value, strict=True)):
            return value  # keep the caller's own container when nothing needed tracing
        return traced if isinstance(value, list) else tuple(traced)
    if type(value) is dict:
        traced_map = {k: _trace(v) for k, v in value.items()}
        return value if all(traced_map[k] is v for k, v in value.items()) else traced_map
    return value


def dlfeval(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Evaluate `fn(*args, **kwargs)` with autograd on (even under torch.no_grad); return its outputs as-is.

    Like MATLAB, floating-point dlarray arguments are traced, so `dlgradient(loss, X)` works for an input X;
    network parameters are torch Parameters and are always traced.
    """
    with torch.enable_grad(), dlfeval_scope():
        traced_args = [_trace(a) for a in args]
        traced_kwargs = {k: _trace(v) for k, v in kwargs.items()}
        return _untraced(fn(*traced_args, **traced_kwargs))


def _untraced(obj: Any) -> Any:
    """dlfeval's outputs without their traces (MATLAB traces only inside dlfeval): the trace, which dlgradient
    keeps for later dlgradient calls, is released when dlfeval returns."""
    if isinstance(obj, torch.Tensor):
        return obj.detach() if obj.grad_fn is not None else obj
    if isinstance(obj, (tuple, list)):
        return type(obj)(_untraced(v) for v in obj)
    if isinstance(obj, dict):
        return {k: _untraced(v) for k, v in obj.items()}
    if isinstance(obj, Table):
        return Table(obj.Layer, obj.Parameter, [_untraced(v) for v in obj.Value], obj.shapes)
    return obj


# --- dlgradient -------------------------------------------------------------------------------------------

def _check_loss(loss: Any) -> None:
    """The loss must be a traced floating-point scalar tensor."""
    if not isinstance(loss, torch.Tensor):
        raise AutodiffError(f"dlgradient: the loss must be a scalar tensor, got {type(loss).__name__}")
    if loss.numel() != 1:
        raise AutodiffError(
            f"dlgradient: the loss must be a scalar, got an array of size {tuple(loss.shape)}; "
            "reduce it first, e.g. with mean or sum")
    if not loss.is_floating_point():
        raise AutodiffError(f"dlgradient: the loss must be floating point, got {loss.dtype}")
    if not loss.requires_grad:
        raise AutodiffError(
            "dlgradient: the loss is not traced (it does not depend on any traced variable); compute it "
            "inside dlfeval from the network or from tensors that require grad")


def _variables(variables: tuple[Any, ...]) -> tuple[list[torch.Tensor], list[Tree]]:
    """All tensors to differentiate by, in order, and one Tree per variable; errors name the input and row."""
    inputs: list[torch.Tensor] = []
    trees: list[Tree] = []
    for i, var in enumerate(variables):
        where = f"input {i + 2}"
        try:
            flat, tree = flatten(var, where)
            check_tensors(flat, tree, where)
        except TreeError as err:
            raise AutodiffError(f"dlgradient: {err}") from None
        for t, label in zip(flat, tree.labels(), strict=True):
            if not t.requires_grad:
                raise AutodiffError(
                    f"dlgradient: {where} {label or 'tensor'} is not traced (requires_grad is False); "
                    "differentiate with respect to network Learnables or tensors that require grad")
        inputs += flat
        trees.append(tree)
    return inputs, trees


@matlab_keywords
def dlgradient(loss: torch.Tensor, x: Any, *more: Any, RetainData: bool = False,
               EnableHigherDerivatives: bool = False) -> Any:
    """Gradients of a scalar `loss` with respect to `x` (and `more`), each shaped like its variable.

    A Table or network gives a Table like its Learnables; a tensor gives a tensor; lists/dicts keep their
    structure. Variables the loss does not depend on get zeros, as MATLAB returns. Several variables give a
    tuple, like `[g1, g2] = dlgradient(loss, x1, x2)`.
    """
    _check_loss(loss)
    inputs, trees = _variables((x, *more))
    # MATLAB differentiates a trace again without RetainData (the flag only trades memory for recomputation):
    # the trace is kept until dlfeval returns, which releases it (its outputs are untraced)
    del RetainData
    grads = torch.autograd.grad(loss.reshape(()), inputs, retain_graph=True,
                                create_graph=bool(EnableHigherDerivatives), allow_unused=True)

    filled: list[torch.Tensor] = []
    for t, g in zip(inputs, grads, strict=True):
        if g is None:
            # torch reports "not used" as None; MATLAB returns zeros of the variable's size
            g = torch.zeros_like(plain(t))
        elif not EnableHigherDerivatives:
            g = g.detach()
        g = plain(g, detach=False)
        # MATLAB: the gradient of a dlarray is a dlarray with the variable's format (same torch layout here)
        filled.append(wrap(g, t.fmt) if isinstance(t, DLArray) else g)

    outputs, start = [], 0
    for tree in trees:
        outputs.append(unflatten(tree, filled[start:start + tree.size()]))
        start += tree.size()
    return outputs[0] if len(outputs) == 1 else tuple(outputs)
