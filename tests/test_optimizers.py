"""adamupdate / sgdmupdate / rmspropupdate against independent float64 numpy versions of MATLAB's formulas.

What was confirmed, and where:
- Syntax and argument order: MathWorks reference pages for adamupdate
  (`[netUpdated,averageGrad,averageSqGrad] = adamupdate(net,grad,averageGrad,averageSqGrad,iteration)` and
  `[___] = adamupdate(___,learnRate,gradDecay,sqGradDecay,epsilon)`, first call with `averageGrad = []`,
  `averageSqGrad = []`, `iteration = 1`) and sgdmupdate (`[netUpdated,vel] = sgdmupdate(net,grad,vel)`,
  `sgdmupdate(params,grad,vel,learnRate,momentum)`, first call `vel = []`); rmspropupdate's order
  (net, grad, averageSqGrad, learnRate, sqGradDecay, epsilon) from calls in published MATLAB code.
- Formulas and epsilon placement: the toolbox's own solver classes (nnet.internal.cnn.solver.SolverADAM,
  SolverSGDM, SolverRMSProp, MathWorks 2017):
    Adam:    m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g.^2;
             theta -= lr*sqrt(1-b2^t)/(1-b1^t) * m./(sqrt(v) + epsilon)   (epsilon on the UNcorrected sqrt(v))
    SGDM:    vel = momentum*vel - lr*g;  theta += vel
    RMSProp: v = rho*v + (1-rho)*g.^2;  theta -= lr * g./(sqrt(v) + epsilon)
  The Adam doc text gives theta -= lr*m/(sqrt(v)+epsilon) plus "a mechanism to correct a bias" at the start
  of training, which the solver source shows is the sqrt(1-b2^t)/(1-b1^t) learn-rate factor above.
- Defaults (Adam 0.001/0.9/0.999/1e-8, SGDM 0.01/0.9, RMSProp 0.001/0.9/1e-8) are the ones in
  the project's reference notes; the doc pages' argument tables could not be re-read here, so they are
  tested as the project's stated values, not as independently confirmed ones.
Tolerances: torch runs in float32, numpy in float64; rtol 1e-5 / atol 1e-6 on parameters over 6 steps.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

from layergraph.table import Table
from layergraph.train.optimizers import OptimizerError, adamupdate, rmspropupdate, sgdmupdate

SHAPES = [("conv", "Weights", (4, 3, 3, 3)), ("conv", "Bias", (4,)), ("fc", "Weights", (2, 36)),
          ("fc", "Bias", (2,))]
N_STEPS = 6
RTOL, ATOL = 1e-5, 1e-6


# --- independent float64 references -----------------------------------------------------------------------

def np_adam(p, g, m, v, t, lr, b1, b2, eps):
    """MATLAB's Adam step in float64 (bias correction folded into the learning rate, as the solver does)."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g ** 2
    lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return p - lr_t * m / (np.sqrt(v) + eps), m, v


def np_sgdm(p, g, vel, lr, mom):
    """MATLAB's SGDM step in float64."""
    vel = mom * vel - lr * g
    return p + vel, vel


def np_rmsprop(p, g, v, lr, rho, eps):
    """MATLAB's RMSProp step in float64."""
    v = rho * v + (1 - rho) * g ** 2
    return p - lr * g / (np.sqrt(v) + eps), v


# --- fixtures ---------------------------------------------------------------------------------------------

class FakeNet:
    """Stands in for the compiler's dlnetwork: `Learnables` is a fresh Table of live Parameters each time."""

    def __init__(self, values: list[np.ndarray]) -> None:
        self.params = [torch.nn.Parameter(torch.tensor(v, dtype=torch.float32)) for v in values]

    @property
    def Learnables(self) -> Table:
        return Table([s[0] for s in SHAPES], [s[1] for s in SHAPES], list(self.params))


def initial_values(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _, _, shape in SHAPES]


def gradient_sequence(seed: int = 1, scale: float = 1.0) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[scale * rng.standard_normal(shape) for _, _, shape in SHAPES] for _ in range(N_STEPS)]


def grad_table(gs: list[np.ndarray]) -> Table:
    return Table([s[0] for s in SHAPES], [s[1] for s in SHAPES],
                 [torch.tensor(g, dtype=torch.float32) for g in gs])


def values_of(x) -> list[np.ndarray]:
    if isinstance(x, Table):
        x = x.Value
    elif hasattr(x, "Learnables"):
        x = x.Learnables.Value
    elif isinstance(x, dict):
        x = list(x.values())
    return [t.detach().double().numpy() for t in x]


def assert_close(actual: list[np.ndarray], expected: list[np.ndarray], rtol: float = RTOL,
                 atol: float = ATOL) -> None:
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


# --- Adam -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hyper", [{}, {"learnRate": 0.0002, "gradDecay": 0.5, "sqGradDecay": 0.999}])
def test_adam_network_matches_numpy(hyper):
    """A network (Learnables duck type), [] initial state, 6 steps; default and the GAN examples' settings."""
    lr = hyper.get("learnRate", 0.001)
    b1 = hyper.get("gradDecay", 0.9)
    b2 = hyper.get("sqGradDecay", 0.999)
    p_np = initial_values()
    net = FakeNet(p_np)
    originals = list(net.params)
    m_np = [np.zeros_like(p) for p in p_np]
    v_np = [np.zeros_like(p) for p in p_np]
    avg, avg_sq = [], []
    for it, gs in enumerate(gradient_sequence(), start=1):
        out, avg, avg_sq = adamupdate(net, grad_table(gs), avg, avg_sq, it, *hyper.values())
        assert out is net
        for i, g in enumerate(gs):
            p_np[i], m_np[i], v_np[i] = np_adam(p_np[i], g, m_np[i], v_np[i], it, lr, b1, b2, 1e-8)
    # the network's own Parameter objects were updated in place
    assert all(a is b for a, b in zip(net.Learnables.Value, originals, strict=True))
    assert_close(values_of(net), p_np)
    assert_close(values_of(avg), m_np, atol=1e-7)
    assert_close(values_of(avg_sq), v_np, atol=1e-9)
    assert isinstance(avg, Table) and avg.keys() == net.Learnables.keys()
    assert isinstance(avg_sq, Table) and avg_sq.keys() == net.Learnables.keys()


def test_adam_table_of_leaf_tensors_updated_in_place():
    """A Table of leaf tensors: same Table returned, its tensors changed in place, states are Tables."""
    p_np = initial_values(3)
    params = Table([s[0] for s in SHAPES], [s[1] for s in SHAPES],
                   [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in p_np])
    tensors = list(params.Value)
    m_np = [np.zeros_like(p) for p in p_np]
    v_np = [np.zeros_like(p) for p in p_np]
    avg = avg_sq = None
    for it, gs in enumerate(gradient_sequence(4), start=1):
        out, avg, avg_sq = adamupdate(params, grad_table(gs), avg, avg_sq, it, 0.01)
        assert out is params
        for i, g in enumerate(gs):
            p_np[i], m_np[i], v_np[i] = np_adam(p_np[i], g, m_np[i], v_np[i], it, 0.01, 0.9, 0.999, 1e-8)
    assert all(a is b for a, b in zip(params.Value, tensors, strict=True))
    assert all(t.requires_grad and t.is_leaf for t in params.Value)
    assert_close(values_of(params), p_np)
    assert_close(values_of(avg_sq), v_np, atol=1e-9)


def test_adam_list_with_empty_state_returns_lists():
    """Plain lists (MATLAB's model-function style) with [] state: lists come back."""
    p_np = initial_values(5)
    params = [torch.tensor(v, dtype=torch.float32) for v in p_np]
    m_np = [np.zeros_like(p) for p in p_np]
    v_np = [np.zeros_like(p) for p in p_np]
    avg, avg_sq = [], []
    for it, gs in enumerate(gradient_sequence(6), start=1):
        grads = [torch.tensor(g, dtype=torch.float32) for g in gs]
        out, avg, avg_sq = adamupdate(params, grads, avg, avg_sq, it)
        assert out is params
        assert isinstance(avg, list) and isinstance(avg_sq, list)
        for i, g in enumerate(gs):
            p_np[i], m_np[i], v_np[i] = np_adam(p_np[i], g, m_np[i], v_np[i], it, 0.001, 0.9, 0.999, 1e-8)
    assert_close(values_of(params), p_np)
    assert_close(values_of(avg), m_np, atol=1e-7)


def test_adam_dict_matches_by_key_not_order():
    """Dict parameters and a dict gradient written in another key order are matched by key."""
    w = torch.zeros(3)
    b = torch.zeros(2)
    grads = {"b": torch.tensor([1.0, -1.0]), "w": torch.tensor([2.0, 0.5, -3.0])}
    params, avg, avg_sq = adamupdate({"w": w, "b": b}, grads, None, None, 1, 0.1)
    expected_w, *_ = np_adam(np.zeros(3), np.array([2.0, 0.5, -3.0]), 0, 0, 1, 0.1, 0.9, 0.999, 1e-8)
    expected_b, *_ = np_adam(np.zeros(2), np.array([1.0, -1.0]), 0, 0, 1, 0.1, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(params["w"].numpy(), expected_w, rtol=RTOL)
    np.testing.assert_allclose(params["b"].numpy(), expected_b, rtol=RTOL)
    assert list(avg) == ["b", "w"] and list(avg_sq) == ["b", "w"]  # states are shaped like grad
    np.testing.assert_allclose(avg["w"].numpy(), 0.1 * np.array([2.0, 0.5, -3.0]), rtol=RTOL)


def test_adam_epsilon_is_added_to_uncorrected_sqrt_v():
    """Tiny gradients: MATLAB's epsilon placement gives a step ~29x smaller than Algorithm-1 Adam (torch)."""
    g = np.array([1e-9, -2e-9, 5e-10])
    p = torch.zeros(3)
    adamupdate([p], [torch.tensor(g, dtype=torch.float32)], [], [], 1)
    expected, *_ = np_adam(np.zeros(3), g, 0, 0, 1, 0.001, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-4)

    # epsilon after bias correction (Kingma & Ba Algorithm 1, torch.optim.Adam) moves far further
    q = torch.zeros(3, requires_grad=True)
    opt = torch.optim.Adam([q], lr=0.001, betas=(0.9, 0.999), eps=1e-8)
    q.grad = torch.tensor(g, dtype=torch.float32)
    opt.step()
    ratio = np.abs(q.detach().numpy()) / np.abs(p.numpy())
    assert np.all(ratio > 10), ratio


def test_adam_agrees_with_torch_when_epsilon_is_negligible():
    """With ordinary-sized gradients both epsilon placements agree: bias correction and moments are right."""
    p_np = initial_values(7)
    mine = [torch.tensor(v, dtype=torch.float32) for v in p_np]
    ref = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in p_np]
    opt = torch.optim.Adam(ref, lr=0.01, betas=(0.5, 0.999), eps=1e-8)
    avg = avg_sq = None
    for it, gs in enumerate(gradient_sequence(8), start=1):
        grads = [torch.tensor(g, dtype=torch.float32) for g in gs]
        _, avg, avg_sq = adamupdate(mine, grads, avg, avg_sq, it, 0.01, 0.5, 0.999)
        for r, g in zip(ref, grads, strict=True):
            r.grad = g.clone()
        opt.step()
    assert_close(values_of(mine), values_of(ref), rtol=1e-4, atol=1e-5)


def test_adam_non_leaf_parameters_get_new_tensors():
    """Parameters computed from others (non-leaf) are not overwritten: a new Table comes back."""
    base = torch.ones(3, requires_grad=True)
    derived = base * 2.0
    params = Table(["l"], ["W"], [derived])
    out, _, _ = adamupdate(params, Table(["l"], ["W"], [torch.ones(3)]), [], [], 1, 0.1)
    assert out is not params
    torch.testing.assert_close(derived.detach(), torch.full((3,), 2.0))
    assert out.Value[0].requires_grad and out.Value[0].is_leaf
    np.testing.assert_allclose(out.Value[0].detach().numpy(), 2.0 - 0.1, rtol=1e-6)


def test_adam_keeps_float64_and_single_tensor():
    """A single float64 tensor stays float64 and is updated in place; the state is a tensor."""
    p = torch.zeros(4, dtype=torch.float64)
    g = torch.tensor([1.0, -2.0, 3.0, 0.0], dtype=torch.float64)
    out, m, v = adamupdate(p, g, [], [], 1, 0.5)
    assert out is p and p.dtype == torch.float64 and m.dtype == v.dtype == torch.float64
    expected, *_ = np_adam(np.zeros(4), g.numpy(), 0, 0, 1, 0.5, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-12)


# --- SGDM and RMSProp -------------------------------------------------------------------------------------

def test_sgdm_network_matches_numpy_and_torch():
    """SGDM: a network with [] velocity, 6 steps vs numpy; also equals torch.optim.SGD (dampening 0)."""
    p_np = initial_values(9)
    net = FakeNet(p_np)
    ref = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in p_np]
    opt = torch.optim.SGD(ref, lr=0.05, momentum=0.95)
    vel_np = [np.zeros_like(p) for p in p_np]
    vel = []
    for gs in gradient_sequence(10):
        out, vel = sgdmupdate(net, grad_table(gs), vel, 0.05, 0.95)
        assert out is net
        for i, g in enumerate(gs):
            p_np[i], vel_np[i] = np_sgdm(p_np[i], g, vel_np[i], 0.05, 0.95)
        for r, g in zip(ref, gs, strict=True):
            r.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
    assert_close(values_of(net), p_np)
    assert_close(values_of(vel), vel_np)
    assert_close(values_of(net), values_of(ref))
    assert isinstance(vel, Table) and vel.keys() == net.Learnables.keys()


def test_sgdm_defaults_table():
    """SGDM with default learnRate/momentum on a Table, state given as a Table from the previous call."""
    p_np = initial_values(11)
    params = Table([s[0] for s in SHAPES], [s[1] for s in SHAPES],
                   [torch.tensor(v, dtype=torch.float32) for v in p_np])
    vel_np = [np.zeros_like(p) for p in p_np]
    vel = None
    for gs in gradient_sequence(12):
        _, vel = sgdmupdate(params, grad_table(gs), vel)
        for i, g in enumerate(gs):
            p_np[i], vel_np[i] = np_sgdm(p_np[i], g, vel_np[i], 0.01, 0.9)
    assert_close(values_of(params), p_np)


@pytest.mark.parametrize("kind", ["net", "list"])
def test_rmsprop_matches_numpy_and_torch(kind):
    """RMSProp: 6 steps vs numpy, and vs torch.optim.RMSprop (same epsilon placement, outside the sqrt)."""
    p_np = initial_values(13)
    ref = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in p_np]
    opt = torch.optim.RMSprop(ref, lr=0.01, alpha=0.9, eps=1e-8)
    target = FakeNet(p_np) if kind == "net" else [torch.tensor(v, dtype=torch.float32) for v in p_np]
    v_np = [np.zeros_like(p) for p in p_np]
    v = []
    for gs in gradient_sequence(14):
        grads = grad_table(gs) if kind == "net" else [torch.tensor(g, dtype=torch.float32) for g in gs]
        out, v = rmspropupdate(target, grads, v, 0.01)
        assert out is target
        for i, g in enumerate(gs):
            p_np[i], v_np[i] = np_rmsprop(p_np[i], g, v_np[i], 0.01, 0.9, 1e-8)
        for r, g in zip(ref, gs, strict=True):
            r.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
    assert_close(values_of(target), p_np)
    assert_close(values_of(v), v_np, atol=1e-9)
    assert_close(values_of(target), values_of(ref))
    assert isinstance(v, Table if kind == "net" else list)


def test_rmsprop_epsilon_outside_sqrt_for_tiny_gradients():
    """Tiny gradients: theta -= lr*g/(sqrt(v)+eps), not lr*g/sqrt(v+eps) (which would move ~300x less)."""
    g = np.array([1e-9, -3e-9])
    p = torch.zeros(2)
    rmspropupdate([p], [torch.tensor(g, dtype=torch.float32)], [], 0.001, 0.9, 1e-8)
    expected, _ = np_rmsprop(np.zeros(2), g, 0, 0.001, 0.9, 1e-8)
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-4)
    inside = -0.001 * g / np.sqrt(0.1 * g ** 2 + 1e-8)
    assert np.all(np.abs(p.numpy()) > 100 * np.abs(inside))


def test_matlab_defaults_and_argument_order():
    """Positional order and defaults as the project states MATLAB's (see module docstring for sources)."""
    adam = inspect.signature(adamupdate).parameters
    assert list(adam)[:5] == ["net", "grad", "averageGrad", "averageSqGrad", "iteration"]
    assert [adam[k].default for k in ("learnRate", "gradDecay", "sqGradDecay", "epsilon")] == \
        [0.001, 0.9, 0.999, 1e-8]
    sgdm = inspect.signature(sgdmupdate).parameters
    assert list(sgdm) == ["net", "grad", "vel", "learnRate", "momentum"]
    assert [sgdm[k].default for k in ("learnRate", "momentum")] == [0.01, 0.9]
    rms = inspect.signature(rmspropupdate).parameters
    assert list(rms) == ["net", "grad", "averageSqGrad", "learnRate", "sqGradDecay", "epsilon"]
    assert [rms[k].default for k in ("learnRate", "sqGradDecay", "epsilon")] == [0.001, 0.9, 1e-8]


# --- validation -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("iteration", [0, -1, 1.5, True, "1", float("nan")])
def test_adam_rejects_bad_iteration(iteration):
    p = [torch.zeros(2)]
    with pytest.raises(OptimizerError, match="iteration must be a positive integer"):
        adamupdate(p, [torch.ones(2)], [], [], iteration)
    torch.testing.assert_close(p[0], torch.zeros(2))  # nothing moved


@pytest.mark.parametrize("iteration", [3, 3.0, np.int64(3), torch.tensor(3)])
def test_adam_accepts_integral_iterations(iteration):
    p = torch.zeros(2)
    adamupdate(p, torch.ones(2), [], [], iteration, 0.1)
    expected, *_ = np_adam(np.zeros(2), np.ones(2), 0, 0, 3, 0.1, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-5)


def test_grad_row_mismatch_names_first_bad_row():
    net = FakeNet(initial_values())
    gs = [np.zeros(s[2]) for s in SHAPES]
    bad = grad_table(gs)
    bad.Parameter[3] = "Offset"
    with pytest.raises(OptimizerError, match=r"row 4 is \(Layer 'fc', Parameter 'Offset'\).*"
                                             r"\(Layer 'fc', Parameter 'Bias'\)"):
        adamupdate(net, bad, [], [], 1)


def test_grad_missing_row_names_it():
    net = FakeNet(initial_values())
    short = grad_table([np.zeros(s[2]) for s in SHAPES])
    short = Table(short.Layer[:2], short.Parameter[:2], short.Value[:2])
    with pytest.raises(OptimizerError, match=r"first row missing from grad: \(Layer 'fc', Parameter 'Weights'\)"):
        sgdmupdate(net, short, [])


def test_grad_wrong_size_names_row():
    net = FakeNet(initial_values())
    gs = [np.zeros(s[2]) for s in SHAPES]
    gs[1] = np.zeros(5)
    with pytest.raises(OptimizerError, match=r"grad \(Layer 'conv', Parameter 'Bias'\) has size \(5,\)"):
        rmspropupdate(net, grad_table(gs), [])


def test_state_rows_must_match_grad():
    net = FakeNet(initial_values())
    g = grad_table([np.zeros(s[2]) for s in SHAPES])
    _, vel = sgdmupdate(net, g, [])
    vel.Layer[0] = "other"
    with pytest.raises(OptimizerError, match=r"vel row 1 is \(Layer 'other'"):
        sgdmupdate(net, g, vel)


@pytest.mark.parametrize(("fn", "kwargs", "message"), [
    (adamupdate, {"gradDecay": 1.0}, "gradDecay"),
    (adamupdate, {"sqGradDecay": -0.1}, "sqGradDecay"),
    (adamupdate, {"learnRate": 0.0}, "learnRate"),
    (adamupdate, {"epsilon": 0.0}, "epsilon"),
    (sgdmupdate, {"momentum": 1.5}, "momentum"),
    (rmspropupdate, {"sqGradDecay": 1.0}, "sqGradDecay"),
    (rmspropupdate, {"learnRate": float("inf")}, "learnRate"),
])
def test_hyperparameter_ranges(fn, kwargs, message):
    p = [torch.zeros(2)]
    g = [torch.ones(2)]
    args = (p, g, [], [], 1) if fn is adamupdate else (p, g, [])
    with pytest.raises(OptimizerError, match=message):
        fn(*args, **kwargs)


def test_sgdm_momentum_one_is_allowed():
    """MATLAB's SGDM momentum lies in [0, 1] (solver source), so 1 itself is accepted."""
    p = torch.zeros(2)
    sgdmupdate(p, torch.ones(2), [], 0.1, 1.0)
    torch.testing.assert_close(p, torch.full((2,), -0.1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_adam_on_cuda_matches_numpy():
    """The fused foreach path on the GPU gives the same numbers as the numpy reference."""
    p_np = initial_values(15)
    params = [torch.tensor(v, dtype=torch.float32, device="cuda") for v in p_np]
    m_np = [np.zeros_like(p) for p in p_np]
    v_np = [np.zeros_like(p) for p in p_np]
    avg = avg_sq = None
    for it, gs in enumerate(gradient_sequence(16), start=1):
        grads = [torch.tensor(g, dtype=torch.float32, device="cuda") for g in gs]
        _, avg, avg_sq = adamupdate(params, grads, avg, avg_sq, it, 0.01)
        for i, g in enumerate(gs):
            p_np[i], m_np[i], v_np[i] = np_adam(p_np[i], g, m_np[i], v_np[i], it, 0.01, 0.9, 0.999, 1e-8)
    assert all(t.device.type == "cuda" for t in avg)
    assert_close([t.cpu().double().numpy() for t in params], p_np)
