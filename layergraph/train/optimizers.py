"""MATLAB's custom-training-loop solvers: adamupdate, sgdmupdate, rmspropupdate.

Argument order, defaults and formulas follow MATLAB (see each function). Every update is a handful of fused
`torch._foreach_*` calls over all parameters at once rather than a Python loop of per-tensor arithmetic.

Parameters may be given as a network (any object with a `Learnables` Table, updated in place and returned),
a Table of tensors, a list/tuple/dict of tensors, or a single tensor. Leaf tensors are updated in place;
non-leaf tensors (results of a computation) are replaced by new tensors in a new container.
Solver states are returned shaped like `grad`: a Table for a Table, a list for a list, a tuple for a tuple, a
dict for a dict, a tensor for a tensor. Pass `None` or `[]` as the state on the first call, as MATLAB passes `[]`.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from layergraph.dlarray import DLArray, wrap
from layergraph.errors import LayergraphError
from layergraph.table import Table
from layergraph.tree import Tree, TreeError, flatten, plain, unflatten

__all__ = ["OptimizerError", "adamupdate", "rmspropupdate", "sgdmupdate"]


class OptimizerError(LayergraphError, ValueError):
    """An optimizer got parameters, gradients, state or hyperparameters it cannot use."""


@dataclass
class _Bundle:
    """One of net/grad/state flattened to its entries (tree.flatten, one level), with its Tree."""

    values: list[Any]
    tree: Tree

    def label(self, i: int) -> str:
        """How to name entry i in an error message."""
        return self.tree.label(i)


def _is_empty_state(state: Any) -> bool:
    """MATLAB passes [] for 'no state yet'; accept None, [] and () the same way."""
    return state is None or (isinstance(state, (list, tuple)) and len(state) == 0)


def _bundle(obj: Any, what: str, fname: str) -> _Bundle:
    """Flatten a network, Table, list/tuple, dict or tensor into a _Bundle."""
    try:
        values, tree = flatten(obj, what, nested=False)
    except TreeError as err:
        raise OptimizerError(f"{fname}: {err}") from None
    return _Bundle(values, tree)


def _align(ref: _Bundle, ref_name: str, other: _Bundle, other_name: str, fname: str) -> list[int]:
    """For each entry of `ref`, its position in `other`; error naming the first row/key that differs."""
    if ref.tree.is_table and other.tree.is_table:
        return _align_rows(ref, ref_name, other, other_name, fname)
    if ref.tree.kind == "dict" and other.tree.kind == "dict":
        position = {k: j for j, k in enumerate(other.tree.keys)}
        for i, k in enumerate(ref.tree.keys):
            if k not in position:
                raise OptimizerError(f"{fname}: {other_name} has no {ref.label(i)}, which the {ref_name} has")
        known = set(ref.tree.keys)
        for k in other.tree.keys:
            if k not in known:
                raise OptimizerError(
                    f"{fname}: {other_name} has key {k!r}, which the {ref_name} does not have")
        return [position[k] for k in ref.tree.keys]
    if len(ref.values) != len(other.values):
        raise OptimizerError(
            f"{fname}: {other_name} has {len(other.values)} entries but the {ref_name} has {len(ref.values)}")
    return list(range(len(ref.values)))


def _align_rows(ref: _Bundle, ref_name: str, other: _Bundle, other_name: str, fname: str) -> list[int]:
    """Two Tables must have the same (Layer, Parameter) rows in the same order."""
    rows, other_rows = ref.tree.keys, other.tree.keys
    for i, (a, b) in enumerate(zip(rows, other_rows, strict=False)):
        if a != b:
            raise OptimizerError(
                f"{fname}: {other_name} row {i + 1} is {other.label(i)} but the {ref_name} row {i + 1} "
                f"is {ref.label(i)}; {other_name} must have the same rows in the same order")
    n = min(len(rows), len(other_rows))
    if len(rows) > n:
        raise OptimizerError(
            f"{fname}: {other_name} has {len(other_rows)} rows but the {ref_name} has {len(rows)}; "
            f"first row missing from {other_name}: {ref.label(n)}")
    if len(other_rows) > n:
        raise OptimizerError(
            f"{fname}: {other_name} has {len(other_rows)} rows but the {ref_name} has {len(rows)}; "
            f"first extra row in {other_name}: {other.label(n)}")
    return list(range(n))


def _matched(params: list[Any], bundle: _Bundle, values: list[Any], what: str, fname: str,
             ) -> list[torch.Tensor]:
    """Check each entry is a tensor of its parameter's shape; return plain tensors on its device/dtype."""
    out = []
    for i, (p, v) in enumerate(zip(params, values, strict=True)):
        if not isinstance(v, torch.Tensor):
            raise OptimizerError(f"{fname}: {what} {bundle.label(i)} is a {type(v).__name__}, not a tensor")
        if v.shape != p.shape:
            raise OptimizerError(
                f"{fname}: {what} {bundle.label(i)} has size {tuple(v.shape)} but the parameter has size "
                f"{tuple(p.shape)}")
        out.append(plain(v).to(device=p.device, dtype=p.dtype))
    return out


def _check_iteration(iteration: Any, fname: str) -> int:
    """MATLAB's iteration number: a positive integer (integral doubles such as 3.0 are accepted)."""
    if isinstance(iteration, torch.Tensor) and iteration.numel() == 1:
        iteration = iteration.item()
    if isinstance(iteration, bool) or not isinstance(iteration, numbers.Real):
        raise OptimizerError(f"{fname}: iteration must be a positive integer, got {iteration!r}")
    value = float(iteration)
    if not math.isfinite(value) or value < 1 or value != int(value):
        raise OptimizerError(
            f"{fname}: iteration must be a positive integer (1 on the first call), got {iteration!r}")
    return int(value)


def _check_scalar(value: Any, name: str, fname: str, low: float, high: float | None = None,
                  low_open: bool = False, high_open: bool = True) -> float:
    """A real scalar hyperparameter inside [low, high) (ends open or closed as asked)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise OptimizerError(f"{fname}: {name} must be a finite real scalar, got {value!r}")
    v = float(value)
    bad_low = v <= low if low_open else v < low
    bad_high = high is not None and (v >= high if high_open else v > high)
    if bad_low or bad_high:
        left = "(" if low_open else "["
        right = "" if high is None else (f", {high})" if high_open else f", {high}]")
        interval = f"{left}{low}{right}" if high is not None else f"{'>' if low_open else '>='} {low}"
        raise OptimizerError(f"{fname}: {name} must be in {interval}, got {value!r}")
    return v


@dataclass
class _Prepared:
    """Parameters, gradients and states ready for the fused update, plus how to hand results back."""

    targets: list[torch.Tensor]  # tensors the update is written into (aliases of leaves, or fresh copies)
    grads: list[torch.Tensor]
    states: list[list[torch.Tensor]]
    finish_net: Callable[[], Any]
    finish_state: Callable[[list[torch.Tensor]], Any]
    factors: list[float] | None = None  # learn-rate factors of a dlnetwork's parameters; None when all are 1

    def step(self, updates: list[torch.Tensor], scale: float) -> None:
        """targets += scale·factor·update (MATLAB multiplies the global learning rate by each parameter's
        learn-rate factor when it updates a dlnetwork)."""
        if self.factors is None:
            torch._foreach_add_(self.targets, updates, alpha=scale)
            return
        for target, update, factor in zip(self.targets, updates, self.factors, strict=True):
            if factor:
                target.add_(update, alpha=scale * factor)


def _learn_rate_factors(net: Any, pb: _Bundle) -> list[float] | None:
    """The learn-rate factor of each parameter row of a dlnetwork (None when every one is 1)."""
    if pb.tree.kind != "net" or not hasattr(net, "learn_rate_factors"):
        return None
    factors = [float(f) for f in net.learn_rate_factors()]
    if len(factors) != len(pb.values) or all(f == 1.0 for f in factors):
        return None
    return factors


def _parameters(net: Any, fname: str) -> _Bundle:
    """The parameters to update, each a floating-point tensor."""
    pb = _bundle(net, "net", fname)
    for i, p in enumerate(pb.values):
        if not isinstance(p, torch.Tensor):
            raise OptimizerError(f"{fname}: parameter {pb.label(i)} is a {type(p).__name__}, not a tensor")
        if p.is_complex() and fname != "sgdmupdate":
            # SGDM's step is linear in the gradient (torch's complex gradient is dL/dreal + i*dL/dimag, the
            # steepest-descent direction); Adam's and RMSProp's squared-gradient averages are not
            raise OptimizerError(f"{fname}: parameter {pb.label(i)} is complex ({p.dtype}); complex parameters "
                                 "are updated by sgdmupdate only")
        if not (p.is_floating_point() or p.is_complex()):
            raise OptimizerError(
                f"{fname}: parameter {pb.label(i)} has integer type {p.dtype}; it cannot learn")
    return pb


def _state_values(state: Any, name: str, params: list[Any], gb: _Bundle, to_grad: list[int], fname: str,
                  ) -> list[torch.Tensor]:
    """One solver state as tensors in parameter order; zeros for MATLAB's [] (the first call)."""
    if _is_empty_state(state):
        return [torch.zeros_like(plain(p)) for p in params]
    sb = _bundle(state, name, fname)
    if sb.tree.kind == "net":
        raise OptimizerError(f"{fname}: {name} must be solver state (as returned by the last call), not a network")
    # states are shaped like grad, so they are matched against grad's rows/keys
    from_grad = _align(gb, "grad", sb, name, fname)
    return _matched(params, sb, [sb.values[from_grad[j]] for j in to_grad], name, fname)


def _prepare(net: Any, grad: Any, states: list[Any], state_names: list[str], fname: str) -> _Prepared | None:
    """Validate and flatten (net, grad, states); None when there is nothing to update."""
    pb = _parameters(net, fname)
    gb = _bundle(grad, "grad", fname)
    if gb.tree.kind == "net":
        raise OptimizerError(f"{fname}: grad must be gradients (a Table from dlgradient), not a network")
    params = pb.values
    ref_name = "network" if pb.tree.kind == "net" else "parameters"
    to_grad = _align(pb, ref_name, gb, "grad", fname)  # parameter i's gradient is grad entry to_grad[i]
    grads = _matched(params, gb, [gb.values[j] for j in to_grad], "grad", fname)
    state_lists = [_state_values(state, name, params, gb, to_grad, fname)
                   for state, name in zip(states, state_names, strict=True)]
    if not params:
        return None
    in_place = pb.tree.kind == "net" or all(p.is_leaf for p in params)
    # non-leaf tensors hold autograd history: write into fresh copies rather than under the graph
    targets = [plain(p) if in_place else plain(p).clone() for p in params]

    def finish_net() -> Any:
        return net if in_place else unflatten(pb.tree, _fresh(params, targets))

    def finish_state(values: list[torch.Tensor]) -> Any:
        in_grad_order: list[Any] = [None] * len(values)
        for i, j in enumerate(to_grad):
            in_grad_order[j] = values[i]
        return unflatten(gb.tree, in_grad_order)

    return _Prepared(targets, grads, state_lists, finish_net, finish_state, _learn_rate_factors(net, pb))


def _fresh(params: list[torch.Tensor], targets: list[torch.Tensor]) -> list[torch.Tensor]:
    """Updated copies of non-leaf parameters, trainable and labelled like the originals."""
    fresh = []
    for p, t in zip(params, targets, strict=True):
        if p.requires_grad:
            t.requires_grad_(True)  # stays trainable for the next dlfeval/dlgradient
        fresh.append(wrap(t, p.fmt) if isinstance(p, DLArray) else t)
    return fresh


def _empty_result(net: Any, grad: Any, n_states: int) -> tuple[Any, ...]:
    """Nothing to learn: return the inputs unchanged and empty states shaped like grad."""
    empty = grad.like([]) if isinstance(grad, Table) else {} if isinstance(grad, Mapping) else []
    return (net, *([empty] * n_states))


def adamupdate(net: Any, grad: Any, averageGrad: Any, averageSqGrad: Any, iteration: int,
               learnRate: float = 0.001, gradDecay: float = 0.9, sqGradDecay: float = 0.999,
               epsilon: float = 1e-8) -> tuple[Any, Any, Any]:
    """One Adam step: MATLAB's `[net,avgG,avgSqG] = adamupdate(net,grad,avgG,avgSqG,iteration,lr,...)`."""
    fname = "adamupdate"
    t = _check_iteration(iteration, fname)
    lr = _check_scalar(learnRate, "learnRate", fname, 0.0, low_open=True)
    b1 = _check_scalar(gradDecay, "gradDecay", fname, 0.0, 1.0)
    b2 = _check_scalar(sqGradDecay, "sqGradDecay", fname, 0.0, 1.0)
    eps = _check_scalar(epsilon, "epsilon", fname, 0.0, low_open=True)
    prep = _prepare(net, grad, [averageGrad, averageSqGrad], ["averageGrad", "averageSqGrad"], fname)
    if prep is None:
        return _empty_result(net, grad, 2)
    m, v = prep.states
    g = prep.grads
    # MATLAB (toolbox solver source, and Kingma & Ba's "efficient" form): the bias correction is folded into
    # the step size, and epsilon is added to sqrt of the *uncorrected* average squared gradient:
    #   theta -= learnRate * sqrt(1 - sqGradDecay^t) / (1 - gradDecay^t) * m / (sqrt(v) + epsilon)
    # torch.optim.Adam instead adds epsilon after correcting v (sqrt(v / (1 - b2^t)) + eps); the two differ
    # when sqrt(v) is comparable to epsilon, i.e. for tiny gradients.
    step_size = lr * math.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
    with torch.no_grad():
        torch._foreach_mul_(m, b1)
        torch._foreach_add_(m, g, alpha=1.0 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, g, g, value=1.0 - b2)
        denom = torch._foreach_sqrt(v)
        torch._foreach_add_(denom, eps)
        if prep.factors is None:
            torch._foreach_addcdiv_(prep.targets, m, denom, value=-step_size)
        else:
            prep.step(torch._foreach_div(m, denom), -step_size)
    return prep.finish_net(), prep.finish_state(m), prep.finish_state(v)


def sgdmupdate(net: Any, grad: Any, vel: Any, learnRate: float = 0.01,
               momentum: float = 0.9) -> tuple[Any, Any]:
    """One SGD-with-momentum step, MATLAB's `[net,vel] = sgdmupdate(net,grad,vel,learnRate,momentum)`."""
    fname = "sgdmupdate"
    lr = _check_scalar(learnRate, "learnRate", fname, 0.0, low_open=True)
    mom = _check_scalar(momentum, "momentum", fname, 0.0, 1.0, high_open=False)
    prep = _prepare(net, grad, [vel], ["vel"], fname)
    if prep is None:
        return _empty_result(net, grad, 1)
    (velocity,) = prep.states
    # MATLAB: vel = momentum*vel - learnRate*grad; theta = theta + vel (the velocity holds the step itself,
    # unlike torch.optim.SGD, whose buffer holds gradients and is scaled by the learning rate afterwards)
    with torch.no_grad():
        torch._foreach_mul_(velocity, mom)
        if prep.factors is None:
            torch._foreach_add_(velocity, prep.grads, alpha=-lr)
        else:  # vel = momentum·vel − factor·learnRate·grad
            for vel, grad, factor in zip(velocity, prep.grads, prep.factors, strict=True):
                vel.add_(grad, alpha=-lr * factor)
        torch._foreach_add_(prep.targets, velocity)
    return prep.finish_net(), prep.finish_state(velocity)


def rmspropupdate(net: Any, grad: Any, averageSqGrad: Any, learnRate: float = 0.001,
                  sqGradDecay: float = 0.9, epsilon: float = 1e-8) -> tuple[Any, Any]:
    """One RMSProp step: MATLAB's `[net,avgSqG] = rmspropupdate(net,grad,avgSqG,lr,sqGradDecay,epsilon)`."""
    fname = "rmspropupdate"
    lr = _check_scalar(learnRate, "learnRate", fname, 0.0, low_open=True)
    rho = _check_scalar(sqGradDecay, "sqGradDecay", fname, 0.0, 1.0)
    eps = _check_scalar(epsilon, "epsilon", fname, 0.0, low_open=True)
    prep = _prepare(net, grad, [averageSqGrad], ["averageSqGrad"], fname)
    if prep is None:
        return _empty_result(net, grad, 1)
    (v,) = prep.states
    # MATLAB: v = rho*v + (1-rho)*g.^2; theta -= learnRate * g ./ (sqrt(v) + epsilon)  (epsilon outside sqrt)
    with torch.no_grad():
        torch._foreach_mul_(v, rho)
        torch._foreach_addcmul_(v, prep.grads, prep.grads, value=1.0 - rho)
        denom = torch._foreach_sqrt(v)
        torch._foreach_add_(denom, eps)
        if prep.factors is None:
            torch._foreach_addcdiv_(prep.targets, prep.grads, denom, value=-lr)
        else:
            prep.step(torch._foreach_div(prep.grads, denom), -lr)
    return prep.finish_net(), prep.finish_state(v)
