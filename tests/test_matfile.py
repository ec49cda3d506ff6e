"""MATLAB's save/load of MAT-files (issue 19, item 5): real MAT files that Octave (and MATLAB) read, files Octave
wrote read back, MAT 7.3 (HDF5) files read, and layergraph's dlarray/dlnetwork values round-tripped without
pickle."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.matfile import MatFileError

OCTAVE = shutil.which("octave")


def run_octave(code: str, cwd: Path) -> str:
    out = subprocess.run([OCTAVE, "--no-gui", "--quiet", "--eval", code], cwd=cwd, capture_output=True, text=True,
                         timeout=60)
    # (some Octave builds print "error: ignoring const execution_exception& while preparing to exit" at exit)
    errors = [ln for ln in out.stderr.splitlines() if ln.startswith("error:") and "preparing to exit" not in ln]
    assert not errors, out.stderr
    return out.stdout


def test_save_and_load_numeric_text_cells_structs(tmp_path: Path) -> None:
    A = np.arange(24.0).reshape(2, 3, 4)  # MATLAB layout: A(2,3,4) is the last element, 23
    mask = np.array([[True, False]])
    s = {"name": "abc", "k": 3, "inner": {"w": np.array([[1.0, 2.0]])}}  # noqa: F841 - saved by name
    c = ["x", np.eye(2), 5]  # noqa: F841 - saved by name
    rows = [["a", 1], ["b", 2]]  # noqa: F841 (saved by name); a 2×2 cell
    label = "generator"  # noqa: F841 - saved by name
    lg.save(tmp_path / "data.mat", "A", "mask", "s", "c", "rows", "label")
    S = lg.load(tmp_path / "data")  # ".mat" added as MATLAB does
    assert set(S) == {"A", "mask", "s", "c", "rows", "label"}
    np.testing.assert_array_equal(S.A, A)
    assert S.mask.dtype == np.uint8 or S.mask.dtype == bool
    np.testing.assert_array_equal(S.mask.astype(bool), mask)
    assert S.s.name == "abc" and S.s.k == 3 and isinstance(S.s.k, np.floating)  # MATLAB's 3 is double 1×1
    np.testing.assert_array_equal(S.s.inner.w, [[1.0, 2.0]])
    assert S.c[0] == "x" and S.c[2] == 5
    np.testing.assert_array_equal(S.c[1], np.eye(2))
    assert S.rows == [["a", 1], ["b", 2]] and S.label == "generator"
    only = lg.load(tmp_path / "data.mat", "A")
    assert list(only) == ["A"]
    with pytest.raises(MatFileError, match="not found"):
        lg.load(tmp_path / "data.mat", "nothere")


@pytest.mark.skipif(OCTAVE is None, reason="GNU Octave is not installed (the round trips above still run)")
def test_octave_reads_what_save_writes_and_writes_what_load_reads(tmp_path: Path) -> None:
    A = np.arange(24.0).reshape(2, 3, 4)  # noqa: F841 - saved by name
    s = {"name": "abc", "k": 3}  # noqa: F841 - saved by name
    c = ["x", np.eye(2)]  # noqa: F841 - saved by name
    lg.save(tmp_path / "py.mat", "A", "s", "c")
    out = run_octave("load py.mat; printf('%d %d %d|%g|%s|%g|%s|%s|%g\\n', size(A), A(2,3,4), s.name, s.k, "
                     "class(c), c{1}, c{2}(2,2))", tmp_path)
    assert out.strip() == "2 3 4|23|abc|3|cell|x|1"
    run_octave("B = reshape(1:6, 2, 3); t.a = 'hi'; t.b = [1 2 3]; d = {1, 'two'; [3 4], {5}}; "
               "save('-v7', 'oct.mat', 'B', 't', 'd')", tmp_path)
    S = lg.load(tmp_path / "oct.mat")
    np.testing.assert_array_equal(S.B, [[1, 3, 5], [2, 4, 6]])  # MATLAB's reshape(1:6, 2, 3)
    assert S.t.a == "hi"
    np.testing.assert_array_equal(S.t.b, [[1, 2, 3]])
    assert S.d[0][0] == 1 and S.d[0][1] == "two" and S.d[1][1] == [5]
    np.testing.assert_array_equal(S.d[1][0], [[3, 4]])


def test_dlnetwork_and_dlarray_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = lg.dlnetwork([lg.featureInputLayer(3, Name="in"), lg.fullyConnectedLayer(4, Name="fc"),
                        lg.batchNormalizationLayer(Name="bn"), lg.reluLayer(Name="relu")])
    X = lg.dlarray(torch.randn(3, 6), "CB")
    _, state = lg.forward(net, X)
    net.State = state  # trained statistics that differ from the initial zeros/ones
    labels = lg.categorical(["b", "a", "b"])  # noqa: F841 - saved by name
    lg.save(tmp_path / "model.mat", "net", "X", "labels")
    S = lg.load(tmp_path / "model.mat")
    assert isinstance(S.net, lg.dlnetwork) and S.X.fmt == "CB" and torch.equal(S.X, X)
    for table in ("Learnables", "State"):
        for (lay, par, _), (lay2, par2, _) in zip(getattr(net, table), getattr(S.net, table)):
            assert (lay, par) == (lay2, par2)
            np.testing.assert_array_equal(S.net.getLearnable(lay, par), net.getLearnable(lay, par))
    torch.testing.assert_close(lg.predict(S.net, X), lg.predict(net, X))
    assert S.labels.tolist() == ["b", "a", "b"] and S.labels.categories == ["a", "b"]


def test_save_refuses_what_it_cannot_write(tmp_path: Path) -> None:
    net = lg.dlnetwork([lg.featureInputLayer(2), lg.functionLayer(lambda X: X * 2)])
    with pytest.raises(MatFileError, match="dlnetwork 'net' cannot be saved"):
        lg.save(tmp_path / "f.mat", net=net)
    with pytest.raises(MatFileError, match=r"-v7\.3"):
        lg.save(tmp_path / "f.mat", "-v7.3", x=1)
    with pytest.raises(MatFileError, match="variable 'nothere' not found"):
        lg.save(tmp_path / "f.mat", "nothere")
    with pytest.raises(MatFileError, match="'f' of type builtin_function"):
        lg.save(tmp_path / "f.mat", f=len)


def test_bare_load_inside_a_function_says_to_assign(tmp_path: Path) -> None:
    lg.save(tmp_path / "v.mat", x=1.5)
    with pytest.raises(MatFileError, match="S = load"):
        lg.load(tmp_path / "v.mat")


def _v73_file(path: Path) -> None:
    """A MAT 7.3 file as MATLAB writes one: HDF5 after a 512-byte header, each variable a dataset marked with its
    MATLAB_class and stored with the dimensions reversed; cells hold references into #refs#; structs are groups."""
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "w", userblock_size=512) as f:
        A = np.arange(6.0).reshape(2, 3, order="F")  # MATLAB's reshape(0:5, 2, 3)
        f.create_dataset("A", data=A.T).attrs["MATLAB_class"] = np.bytes_("double")
        name = np.array([[ord(ch) for ch in "net"]], dtype=np.uint16)  # 1×3 char
        f.create_dataset("name", data=name.T).attrs["MATLAB_class"] = np.bytes_("char")
        refs = f.create_group("#refs#")
        r1 = refs.create_dataset("a", data=np.array([[7.0]]))
        r1.attrs["MATLAB_class"] = np.bytes_("double")
        r2 = refs.create_dataset("b", data=np.array([[ord("z")]], dtype=np.uint16))
        r2.attrs["MATLAB_class"] = np.bytes_("char")
        cell = np.array([[r1.ref], [r2.ref]], dtype=h5py.ref_dtype)  # a 1×2 cell, reversed to 2×1
        f.create_dataset("c", data=cell).attrs["MATLAB_class"] = np.bytes_("cell")
        g = f.create_group("s")
        g.attrs["MATLAB_class"] = np.bytes_("struct")
        g.create_dataset("k", data=np.array([[3.0]])).attrs["MATLAB_class"] = np.bytes_("double")
    with open(path, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Sun Dec  6 00:00:00 2026 HDF5 schema 1.00 .")


def test_load_reads_mat_73_files(tmp_path: Path) -> None:
    _v73_file(tmp_path / "big.mat")
    S = lg.load(tmp_path / "big.mat")
    np.testing.assert_array_equal(S.A, [[0, 2, 4], [1, 3, 5]])
    assert S.name == "net" and S.c == [7.0, "z"] and S.s.k == 3


def test_bare_load_at_a_scripts_top_level_creates_the_variables(tmp_path: Path) -> None:
    """MATLAB's `load(file)` (nargout 0) puts the file's variables in the workspace: a script's globals here."""
    lg.save(tmp_path / "v.mat", x=1.5, name="net")
    script: dict = {}
    exec(compile(f"from layergraph import load\nload({str(tmp_path / 'v.mat')!r})\n", "script.py", "exec"), script)
    assert script["x"] == 1.5 and script["name"] == "net"


def test_whole_number_doubles_matlab_stored_as_uint8_load_as_double() -> None:
    """MATLAB writes a double array of small whole numbers with uint8 data (the class stays double): `tmax - 11`
    is -1 in MATLAB, not 255. The file is the one MATLAB wrote for examples/ports/mass_spring_pinn."""
    file = Path(__file__).parent.parent / "examples" / "ports" / "mass_spring_pinn" / "massSpringDamperData.mat"
    import scipy.io

    assert scipy.io.loadmat(file)["tmax"].dtype == np.uint8  # how the file stores it
    S = lg.load(file)
    assert isinstance(S.tmax, float) and S.tmax - 11 == -1 and S.t0 == 0.0
    assert np.asarray(S.tdata).dtype == np.float64
    assert abs(S.A - (1 + 0.18276466495398155j)) < 1e-12  # complex values keep their imaginary part
    assert S.omega1.imag == pytest.approx(-1.459071241882619)
    if OCTAVE:
        out = run_octave(f"load('{file}'); printf('%s %s %d\\n', class(tmax), class(A), tmax - 11)", file.parent)
        assert out.split() == ["double", "double", "-1"]


def test_matlab_classdef_objects_are_refused_by_name() -> None:
    """A MATLAB table saved by MATLAB (MCOS object data, which scipy cannot decode) is an error naming the variable
    and its class, not a variable called 'None' (the file is from examples/ports/machinery_anomaly)."""
    file = Path(__file__).parent.parent / "examples" / "ports" / "machinery_anomaly" / "FeatureSmall.mat"
    with pytest.raises(MatFileError, match=r"variable 'featureSmall' .* MATLAB table object"):
        lg.load(file)
    with pytest.raises(MatFileError, match="featureSmall"):
        lg.load(file, "featureSmall")


def test_save_and_load_a_layer_graph(tmp_path: Path) -> None:
    """MATLAB saves layerGraph objects; here the graph's spec, read back as an equal graph."""
    lgraph = lg.layerGraph([lg.featureInputLayer(3, Name="in"), lg.fullyConnectedLayer(4, Name="fc")])
    lgraph = lg.addLayers(lgraph, lg.reluLayer(Name="side"))
    lgraph = lg.connectLayers(lgraph, "fc", "side")
    lg.save(tmp_path / "g.mat", lgraph=lgraph)
    back = lg.load(tmp_path / "g.mat").lgraph
    assert isinstance(back, lg.LayerGraph)
    assert [layer.Name for layer in back.Layers] == ["in", "fc", "side"]
    assert set(back.Connections) == set(lgraph.Connections)
