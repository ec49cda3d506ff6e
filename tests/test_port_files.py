"""`layergraph port` on programs of several files and the MAT-files they read: a handle to a package function
of a file in the set, complex values of a MAT-file."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tree_sitter_matlab")
from layergraph.port import port_files, translate_with_report
from tests.test_port import ROOT, run_translation


def test_handle_to_a_package_function(tmp_path: Path) -> None:
    """`@pkg.f` is a handle to the package function f of a file in the set (was: silently a handle to `pkg`);
    outside the set it is marked untranslated."""
    (tmp_path / "sq.m").write_text("function y = sq(x)\ny = x.^2;\nend\n")
    (tmp_path / "main.m").write_text("f = @mypkg.sq;\nfprintf('%g ', f(4), arrayfun(@mypkg.sq, [1 2 3]));\n")
    results = {p.name: (code, report) for p, code, report in port_files([tmp_path / "sq.m", tmp_path / "main.m"])}
    assert not results["main.m"][1].untranslated and not results["main.m"][1].missing
    (tmp_path / "sq.py").write_text(results["sq.m"][0])
    sys.path.insert(0, str(tmp_path))
    try:
        printed = run_translation(results["main.m"][0], tmp_path, "main.py")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("sq", None)
    assert printed.split() == ["16", "1", "4", "9"]
    _, report = translate_with_report("h = @other.pkg.g;\n", "alone.m")
    why = "handle to 'other.pkg.g' (a package function outside the set)"
    assert [reason for _, reason, _ in report.untranslated] == [why]


def test_load_keeps_complex_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mass-spring PINN's MAT-file holds the analytic solution's complex constants: `load` keeps their
    imaginary parts (they were dropped), so `real(A.*exp(omega1.*t) + B.*exp(omega2.*t))` is the damped
    oscillation, 2·e^(re ω t)·(cos(im ω t) + ...) computed here with numpy."""
    scipy_io = pytest.importorskip("scipy.io")
    S = scipy_io.loadmat(ROOT / "examples" / "ports" / "mass_spring_pinn" / "massSpringDamperData.mat")
    scipy_io.savemat(tmp_path / "c.mat", {k: S[k] for k in ("A", "B", "omega1", "omega2")})
    code, report = translate_with_report("load c.mat\nt = [0 1 2.5];\nx = real(A.*exp(omega1.*t) + "
                                         "B.*exp(omega2.*t));\nfprintf('%.12g ', x);\n", "c.m")
    assert not report.untranslated
    monkeypatch.chdir(tmp_path)
    t = np.array([0, 1, 2.5])
    want = np.real(S["A"][0, 0] * np.exp(S["omega1"][0, 0] * t) + S["B"][0, 0] * np.exp(S["omega2"][0, 0] * t))
    np.testing.assert_allclose([float(v) for v in run_translation(code, tmp_path).split()], want, rtol=1e-10)
    assert abs(want[1] - 2 * np.exp(-0.2667 * 1)) > 0.1  # not what the real parts alone give
