"""ode45, readtable/table2array, colororder, set(gca, ...) and randsample of layergraph.port's runtime against
independent oracles: GNU Octave's ode45 and a tight-tolerance scipy solve_ivp (the numbers agree to the
tolerances, not to the last digit: MATLAB's, Octave's and this step control differ in details), the
Dormand–Prince weights, MATLAB's documented output forms (Refine 4, the tspan points, a column t and one row of y
per time), Python's csv module for the file read, MATLAB's documented default colours and randsample's
documented forms."""
from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest
import torch

from layergraph.port import runtime as rt
from layergraph.port.ode import _A, _B

OCTAVE = shutil.which("octave") or shutil.which("octave-cli")
PENDULUM = "f = @(t, y) [y(2); -sin(y(1)) - 0.1*y(2)];\n"


def pendulum(t: float, y: np.ndarray) -> list[float]:
    return [y[1], -np.sin(y[0]) - 0.1 * y[1]]


def tight(fun: Callable[..., list[float]], tspan: np.ndarray, y0: list[float]) -> np.ndarray:
    from scipy.integrate import solve_ivp
    return solve_ivp(fun, (tspan[0], tspan[-1]), y0, t_eval=tspan, rtol=1e-11, atol=1e-12).y.T


def _run_octave(tmp_path: Path, source: str) -> list[np.ndarray]:
    (tmp_path / "o.m").write_text(source)
    res = subprocess.run([OCTAVE, "--no-gui", "--quiet", "--norc", str(tmp_path / "o.m")], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    return [np.array([float(v) for v in line.split()]) for line in res.stdout.splitlines() if line.strip()]


@pytest.mark.skipif(OCTAVE is None, reason="GNU Octave is the oracle (apt-get install -y octave)")
def test_ode45_matches_octave_and_a_tight_solution_to_the_tolerances(tmp_path: Path) -> None:
    """A damped pendulum at the default tolerances (RelTol 1e-3, AbsTol 1e-6) and with odeset's tighter ones,
    output at the 11 points of tspan: the same sizes as Octave, the values within the tolerances' reach of
    Octave's and of a solution to 1e-11."""
    pytest.importorskip("scipy")
    pytest.importorskip("tree_sitter_matlab")
    from layergraph.port import translate

    source = PENDULUM + """[t, y] = ode45(f, linspace(0, 10, 11), [1; 0]);
fprintf('%d ', size(t), size(y)); fprintf('\\n'); fprintf('%.12g ', t); fprintf('\\n');
fprintf('%.12g ', y(:)); fprintf('\\n');
[t, y] = ode45(f, linspace(0, 10, 11), [1; 0], odeset('RelTol', 1e-6, 'AbsTol', 1e-9));
fprintf('%.12g ', y(:)); fprintf('\\n');
"""
    want = _run_octave(tmp_path, source)
    buf = io.StringIO()
    with redirect_stdout(buf):
        exec(compile(translate(source), "o.py", "exec"), {"__name__": "__main__"})
    got = [np.array([float(v) for v in line.split()]) for line in buf.getvalue().splitlines()]
    assert len(want) == len(got) == 4
    np.testing.assert_array_equal(got[0], want[0])  # 11×1 and 11×2
    np.testing.assert_allclose(got[1], np.linspace(0, 10, 11), atol=1e-12)  # exactly the requested times
    exact = tight(pendulum, np.linspace(0, 10, 11), [1.0, 0.0]).flatten(order="F")
    assert np.abs(got[2] - exact).max() < 5e-3 and np.abs(want[2] - exact).max() < 5e-3
    assert np.abs(got[2] - want[2]).max() < 5e-3
    assert np.abs(got[3] - exact).max() < 1e-5 and np.abs(got[3] - want[3]).max() < 1e-5


def test_ode45_refine_and_output_forms() -> None:
    """[t0 tf]: every step's end and 3 (Refine 4) equally spaced points inside it; t a column, y one row per
    time, single y0 gives single y; odefun sees y as a column; the continuous extension ends at the step's
    5th-order result (its weights' row sums are the Dormand–Prince weights)."""
    np.testing.assert_allclose(_B.sum(axis=1), np.r_[_A[6], 0], atol=1e-15)
    seen = []

    def f(t: float, y: torch.Tensor) -> torch.Tensor:
        seen.append(tuple(y.shape))
        return torch.cat([y[1:2], -y[0:1]])
    t, y = rt.ode45(f, [0, 6], torch.tensor([1.0, 0.0]), nargout=2)
    assert set(seen) == {(2, 1)} and y.dtype == torch.float32 and t.dtype == torch.float64
    n = t.shape[0]
    assert t.shape == (n, 1) and y.shape == (n, 2) and (n - 1) % 4 == 0 and t[-1, 0] == 6
    tn = t[:, 0].numpy()
    ends = tn[::4]
    for k in range(len(ends) - 1):
        np.testing.assert_allclose(tn[4 * k: 4 * k + 5], np.linspace(ends[k], ends[k + 1], 5), rtol=1e-12)
    exact = np.stack([np.cos(tn), -np.sin(tn)], 1)
    assert np.abs(y.double().numpy() - exact).max() < 5e-3
    tb, yb = rt.ode45(lambda t, y: -y, [2, 0], 1.0, nargout=2)  # backwards in time
    assert tb[0, 0] == 2 and tb[-1, 0] == 0 and abs(float(yb[-1, 0]) - np.exp(2)) < 1e-2 * np.exp(2)


@pytest.mark.parametrize("call, message", [
    (lambda: rt.ode45(lambda t, y: y, [0, 1], 1.0), "only \\[t, y\\] = ode45"),
    (lambda: rt.ode45(lambda t, y: y, [1], 1.0, nargout=2), "at least two elements"),
    (lambda: rt.ode45(lambda t, y: y, [0, 2, 1], 1.0, nargout=2), "strictly increasing"),
    (lambda: rt.ode45(lambda t, y: torch.ones(3, 1), [0, 1], [1, 2], nargout=2), "returned 3 values"),
    (lambda: rt.odeset("Events", 1), "option 'Events' is not supported"),
])
def test_ode45_bad_input_is_a_clear_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_readtable_and_table2array(tmp_path: Path) -> None:
    """A CSV without a header (the first row all numbers): Var1…VarN, numeric columns as N×1 doubles; with a
    header: names made valid MATLAB identifiers ("modify"), kept as written with "preserve"; a text column is a
    cell column; table2array joins the numeric variables side by side."""
    import csv
    rng = np.random.default_rng(0)
    data = rng.standard_normal((7, 4))
    np.savetxt(tmp_path / "plain.csv", data, delimiter=",", fmt="%.6E")
    T = rt.readtable(str(tmp_path / "plain.csv"))
    assert T.VariableNames == ["Var1", "Var2", "Var3", "Var4"]
    assert tuple(T.Var2.shape) == (7, 1)
    with (tmp_path / "plain.csv").open() as fh:
        want = np.array([[float(v) for v in row] for row in csv.reader(fh)])
    np.testing.assert_array_equal(rt.table2array(T).numpy(), want)
    (tmp_path / "named.csv").write_text("time s,2nd,label,x-y\n0.5,1,a,3\n1.5,,b,4\n")
    N = rt.readtable(str(tmp_path / "named.csv"))
    assert N.VariableNames == ["timeS", "x2nd", "label", "x_y"]
    assert N.label == ["a", "b"] and np.isnan(float(N.x2nd[1, 0]))
    assert rt.readtable(str(tmp_path / "named.csv"), "VariableNamingRule", "preserve").VariableNames == \
        ["time s", "2nd", "label", "x-y"]
    with pytest.raises(ValueError, match="variable 'label' is text"):
        rt.table2array(N)
    with pytest.raises(FileNotFoundError, match="unable to find or open"):
        rt.readtable(str(tmp_path / "missing.csv"))
    with pytest.raises(ValueError, match="option 'Sheet' is not supported"):
        rt.readtable(str(tmp_path / "plain.csv"), "Sheet", 2)


def test_colororder_and_set_on_axes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """colororder: MATLAB's default seven colours (its documented "lines" order), then a new order for the
    current axes; set(gca, 'YScale', 'log') applies the scale; set(...) without a handle is Python's set."""
    from layergraph.port import plots
    monkeypatch.setenv("LAYERGRAPH_PORT_FIGURES", str(tmp_path / "figures"))  # where close writes the figure
    try:
        rt.figure()
        C = rt.colororder()
        assert tuple(C.shape) == (7, 3)
        np.testing.assert_allclose(C[1].numpy(), [0.8500, 0.3250, 0.0980])
        rt.colororder(torch.tensor([[1.0, 0, 0], [0, 0, 1.0]]))
        np.testing.assert_allclose(rt.colororder().numpy(), [[1, 0, 0], [0, 0, 1]])
        rt.set(rt.gca(), "YScale", "log", "FontSize", 14)
        assert rt.gca().get_yscale() == "log"
        assert rt.set([1, 2, 2]) == {1, 2}
        with pytest.raises(ValueError, match="'YScale' has no value"):
            rt.set(rt.gca(), "YScale")
        with pytest.raises(ValueError, match="m×3 array of RGB"):
            rt.colororder(torch.tensor([[2.0, 0, 0]]))
    finally:
        plots.close("all")


def test_randsample_forms_and_weights() -> None:
    """randsample(n, k): k distinct integers of 1..n in a column; randsample(population, k): values of the
    population, oriented as it is; with true: with replacement; with weights: each value drawn in proportion to
    its weight (a zero weight never; frequencies within 4 standard deviations); weighted sampling without
    replacement is refused, as MATLAB's randsample has none."""
    torch.manual_seed(0)
    y = rt.randsample(10, 4)
    assert tuple(y.shape) == (4, 1) and len(set(y.reshape(-1).tolist())) == 4 and set(y.reshape(-1).tolist()) <= \
        set(range(1, 11))
    row = rt.randsample(torch.tensor([10.0, 20.0, 30.0]), 2)  # a row population: a row (1-D in the runtime)
    assert row.dim() == 1 and set(row.tolist()) <= {10.0, 20.0, 30.0}
    col = rt.randsample(torch.tensor([[10.0], [20.0], [30.0]]), 5, True)
    assert tuple(col.shape) == (5, 1)
    assert rt.randsample(torch.arange(1.0, 5.0), 1, True, [0, 0, 1, 0]) == 3
    draws = rt.randsample(4, 20000, True, [1, 0, 2, 1]).reshape(-1)
    p = np.array([0.25, 0, 0.5, 0.25])
    freq = np.array([(draws == v).float().mean().item() for v in (1, 2, 3, 4)])
    assert np.all(np.abs(freq - p) <= 4 * np.sqrt(p * (1 - p) / 20000) + 1e-12)
    with pytest.raises(ValueError, match="no weighted sampling without replacement"):
        rt.randsample(4, 2, False, [1, 1, 1, 1])
    with pytest.raises(ValueError, match="cannot take 5 values from 4"):
        rt.randsample(4, 5)
    with pytest.raises(ValueError, match="must be 4 nonnegative numbers"):
        rt.randsample(4, 2, True, [1, -1, 1, 1])


@pytest.mark.skipif(OCTAVE is None, reason="GNU Octave is the oracle (apt-get install -y octave)")
def test_char_of_codes_matches_octave(tmp_path: Path) -> None:
    """char of numbers gives the characters with those codes (it gave their digits, as string does), so the
    nanoGPT script's `newChars(:, ii) = nextChar` into `repmat('a', ...)` fills one character."""
    pytest.importorskip("tree_sitter_matlab")
    from layergraph.port import translate

    source = """fprintf('[%s]\\n', char(72));
fprintf('[%s]\\n', char([72 105]));
fprintf('[%s]\\n', char(96 + 3));
fprintf('[%s]\\n', char('ab'));
fprintf('[%s]\\n', char({'xy'}));
s = repmat('a', [1 4]);
s(:, 3) = char(122);
fprintf('[%s]\\n', s);
"""
    (tmp_path / "c.m").write_text(source)
    res = subprocess.run([OCTAVE, "--no-gui", "--quiet", "--norc", str(tmp_path / "c.m")], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    buf = io.StringIO()
    with redirect_stdout(buf):
        exec(compile(translate(source), "c.py", "exec"), {"__name__": "__main__"})
    assert res.stdout.splitlines() == buf.getvalue().splitlines() == ["[H]", "[Hi]", "[c]", "[ab]", "[xy]", "[aaza]"]
