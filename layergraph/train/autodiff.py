"""MATLAB-style autodiff: `dlfeval` runs a model-loss function, `dlgradient` differentiates its loss."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from layergraph.dlarray import DLArray, wrap
from layergraph.errors import LayergraphError
from layergraph.table import Table

__all__ = ["AutodiffError", "dlfeval", "dlgradient"]


class AutodiffError(LayergraphError, ValueError):
    """dlgradient was called with a loss or variables it cannot differentiate."""


def _trace(value: Any) -> Any:
    """Give an untraced floating-point dlarray a traced alias (MATLAB traces dlarray inputs of dlfeval).

    The alias shares memory with the caller's array, so nothing is copied, and the caller's own object keeps
    requires_grad=False, the way MATLAB leaves the variables outside dlfeval untraced.
    """
    if isinstance(value, DLArray):
        if value.requires_grad or not value.is_floating_point():
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
    with torch.enable_grad():
        traced_args = [_trace(a) for a in args]
        traced_kwargs = {k: _trace(v) for k, v in kwargs.items()}
        return fn(*traced_args, **traced_kwargs)


# --- dlgradient -------------------------------------------------------------------------------------------

def _leaves(x: Any, where: str) -> tuple[list[torch.Tensor], Callable[[list[torch.Tensor]], Any]]:
    """Flatten one dlgradient variable into tensors plus a function that rebuilds the same structure."""
    if isinstance(x, Table):
        table = x
    elif not isinstance(x, torch.Tensor) and hasattr(x, "Learnables"):
        table = x.Learnables
        if not isinstance(table, Table):
            raise AutodiffError(f"dlgradient: {where}.Learnables is a {type(table).__name__}, not a Table")
    else:
        table = None
    if table is not None:
        for lay, par, val in table:
            if not isinstance(val, torch.Tensor):
                raise AutodiffError(
                    f"dlgradient: {where} row (Layer '{lay}', Parameter '{par}') holds a "
                    f"{type(val).__name__}, not a tensor")
        return list(table.Value), table.like

    if isinstance(x, torch.Tensor):
        return [x], lambda gs: gs[0]
    if isinstance(x, (list, tuple)):
        parts = [_leaves(v, f"{where}[{i}]") for i, v in enumerate(x)]
        counts = [len(p[0]) for p in parts]
        flat = [t for p in parts for t in p[0]]

        def rebuild_seq(gs: list[torch.Tensor]) -> Any:
            out, start = [], 0
            for (_, rebuild), n in zip(parts, counts, strict=True):
                out.append(rebuild(gs[start:start + n]))
                start += n
            return out if isinstance(x, list) else tuple(out)
        return flat, rebuild_seq
    if isinstance(x, Mapping):
        keys = list(x.keys())
        parts = [_leaves(x[k], f"{where}[{k!r}]") for k in keys]
        counts = [len(p[0]) for p in parts]
        flat = [t for p in parts for t in p[0]]

        def rebuild_map(gs: list[torch.Tensor]) -> Any:
            out, start = {}, 0
            for k, (_, rebuild), n in zip(keys, parts, counts, strict=True):
                out[k] = rebuild(gs[start:start + n])
                start += n
            return out
        return flat, rebuild_map
    raise AutodiffError(
        f"dlgradient: cannot differentiate with respect to {where} of type {type(x).__name__}; "
        "pass a tensor, a Table, a network (its Learnables), or a list/dict of those")


def _plain(t: torch.Tensor) -> torch.Tensor:
    """Drop tensor subclasses (DLArray, Parameter) so gradients come back as plain tensors."""
    return t.as_subclass(torch.Tensor) if type(t) is not torch.Tensor else t


def dlgradient(loss: torch.Tensor, x: Any, *more: Any, RetainData: bool = False,
               EnableHigherDerivatives: bool = False) -> Any:
    """Gradients of a scalar `loss` with respect to `x` (and `more`), each shaped like its variable.

    A Table or network gives a Table like its Learnables; a tensor gives a tensor; lists/dicts keep their
    structure. Variables the loss does not depend on get zeros, as MATLAB returns. Several variables give a
    tuple, like `[g1, g2] = dlgradient(loss, x1, x2)`.
    """
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

    variables = (x, *more)
    flats: list[list[torch.Tensor]] = []
    rebuilds: list[Callable[[list[torch.Tensor]], Any]] = []
    for i, var in enumerate(variables):
        flat, rebuild = _leaves(var, f"input {i + 2}")
        for j, t in enumerate(flat):
            if not t.requires_grad:
                where = (f"row {j + 1} (Layer '{var.Layer[j]}', Parameter '{var.Parameter[j]}')"
                         if isinstance(var, Table) else f"element {j + 1}")
                raise AutodiffError(
                    f"dlgradient: input {i + 2} {where} is not traced (requires_grad is False); "
                    "differentiate with respect to network Learnables or tensors that require grad")
        flats.append(flat)
        rebuilds.append(rebuild)

    inputs = [t for flat in flats for t in flat]
    keep_graph = bool(RetainData) or bool(EnableHigherDerivatives)
    try:
        grads = torch.autograd.grad(
            loss.reshape(()), inputs, retain_graph=keep_graph, create_graph=bool(EnableHigherDerivatives),
            allow_unused=True)
    except RuntimeError as exc:
        if "second time" in str(exc) or "already been freed" in str(exc):
            raise AutodiffError(
                "dlgradient: the recorded computation was already released by an earlier dlgradient call; "
                "pass RetainData=True to the earlier call to differentiate the same forward pass again"
            ) from exc
        raise

    filled: list[torch.Tensor] = []
    for t, g in zip(inputs, grads, strict=True):
        if g is None:
            # torch reports "not used" as None; MATLAB returns zeros of the variable's size
            g = torch.zeros_like(_plain(t))
        elif not EnableHigherDerivatives:
            g = g.detach()
        filled.append(_plain(g))

    outputs, start = [], 0
    for flat, rebuild in zip(flats, rebuilds, strict=True):
        outputs.append(rebuild(filled[start:start + len(flat)]))
        start += len(flat)
    return outputs[0] if len(outputs) == 1 else tuple(outputs)
