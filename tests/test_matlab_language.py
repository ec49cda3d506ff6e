"""MATLAB code as MATLAB users write it (issue 19): name–value spellings, nargout, size vectors, numeric arrays
meeting dlarrays, trailing singleton dimensions, NaN in max/min, 1×1 results as numbers.

Every expected value is MATLAB's documented answer computed here independently (numpy, explicit loops) and,
where GNU Octave is installed, also asked of Octave (the same array semantics as MATLAB for these functions).
"""
from __future__ import annotations

import functools
import inspect
import shutil
import subprocess

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.dlarray import sort
from layergraph.errors import LayergraphError, OptionError
from layergraph.namevalue import matlab_keywords

OCTAVE = shutil.which("octave")


# every Octave expression the tests ask about, evaluated in one Octave process (each start costs a second)
_M = "[1 NaN 3; NaN NaN 0]"
OCTAVE_EXPRS = [
    f"max({_M})", f"min({_M}, [], 2)", f"nthargout(2, @max, {_M}, [], 2)",
    "size(reshape(1:60, 3, 4, 5)(:, :, :, 1))",
    "size(ones([3 4 1]) .* ones([3 4]))", "size(ones([2 3]) .* ones([2 1 4]))", "size(ones([3 1]) .* ones([3 5 2]))",
    "nthargout(2, @size, zeros(3,4,2,5))", "nthargout(3, @size, zeros(3,4,2,5))",
    "nthargout(2, @sort, [3 NaN 1 3 2])", "nthargout(2, @sort, [3 NaN 1 3 2], 'descend')",
]


@functools.lru_cache(maxsize=1)
def _octave_batch() -> dict[str, np.ndarray]:
    script = "".join(f"x = {e}; printf('@@%d ', {i}); disp(num2str(x(:)', 17));\n"
                     for i, e in enumerate(OCTAVE_EXPRS))
    out = subprocess.run([OCTAVE, "--no-gui", "--quiet", "--eval", script], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    values = {}
    for part in out.split("@@")[1:]:
        index, _, numbers = part.partition(" ")
        values[OCTAVE_EXPRS[int(index)]] = np.array([float(v) for v in numbers.split()])
    return values


def octave(expr: str) -> np.ndarray:
    """The numbers Octave prints for `expr` (column-major order, as x(:)')."""
    return _octave_batch()[expr]


# ----- (4) name–value names in any case -----------------------------------------------------------------------------
def test_like_in_any_case() -> None:
    img = lg.dlarray(torch.zeros(4, 5, 1, 2), "SSCB")
    for spelling in ("like", "Like", "LIKE"):
        noise = lg.randn(lg.size(img), **{spelling: img})
        assert type(noise) is lg.dlarray.__class__ or isinstance(noise, torch.Tensor)
        assert tuple(noise.shape) == (4, 5, 1, 2) and noise.dtype == img.dtype and lg.dims(noise) == ""
    with pytest.raises(OptionError, match="given twice"):
        lg.zeros(2, like=img, Like=img)


def test_keywords_of_named_parameters_ignore_case() -> None:
    x = np.random.default_rng(0).standard_normal((3, 4))
    y = lg.softmax(torch.tensor(x), dataformat="CB")
    expect = np.exp(x) / np.exp(x).sum(0, keepdims=True)
    np.testing.assert_allclose(np.asarray(y), expect, rtol=1e-6)
    t = lg.table([1, 2], [3, 4], variablenames=["a", "b"])
    assert t.VariableNames == ["a", "b"]


def test_group_sub_plot_and_yscale_keyword_form(tmp_path: object) -> None:
    """MATLAB's groupSubPlot(monitor, Score=[...]) is groupSubPlot(monitor, "Score", [...])."""
    monitor = lg.trainingProgressMonitor(Metrics=["ScoreG", "ScoreD"], Visible=False)
    lg.groupSubPlot(monitor, Score=["ScoreG", "ScoreD"])
    lg.yscale(monitor, Score="log")
    assert monitor._s.groups == {"Score": ["ScoreG", "ScoreD"]} and monitor._s.yscales == {"Score": "log"}
    with pytest.raises(ValueError, match="once"):
        lg.groupSubPlot(monitor, A=["ScoreG"], B=["ScoreD"])
    monitor.close()


# MATLAB's positional arguments (not name–value options) and Python-only helpers need no case rule
_POSITIONAL_OR_PYTHON = {"LayerGraph", "Table", "adamupdate", "rmspropupdate", "sgdmupdate", "categorical",
                         "dump_spec", "save_spec", "layerGraph", "mixed_precision", "plot_graph", "register_function",
                         "register_layer", "dlnetwork", "save", "load",
                         "groupSubPlot", "yscale"}  # these two take MATLAB's Name=value as the pair itself


def test_every_public_function_with_named_options_matches_names_in_any_case() -> None:
    """Once, in one place: every MATLAB-named function whose options are Python parameters is wrapped."""
    missing = []
    for name in lg.__all__:
        obj = getattr(lg, name)
        if name in _POSITIONAL_OR_PYTHON or not callable(obj) or inspect.isclass(obj):
            continue
        params = inspect.signature(obj).parameters.values()
        named = [p for p in params if p.name != "nargout" and (
            p.kind is p.KEYWORD_ONLY or (p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty))]
        if named and not getattr(obj, "matlab_keywords", False):
            missing.append(f"{name}({', '.join(p.name for p in named)})")
    assert not missing, missing


def test_matlab_keywords_wrapper() -> None:
    @matlab_keywords
    def f(x: int, *, DataFormat: str | None = None) -> str | None:
        return DataFormat
    assert f(1, dataFORMAT="CB") == "CB" and f(1, DataFormat="SSCB") == "SSCB" and f(1) is None
    with pytest.raises(TypeError):
        f(1, Other=2)


# ----- (9) MATLAB's numbers: 1×1 results, NaN in max/min, class weights as a K×1 column ------------------------------
def test_one_by_one_results_are_numbers() -> None:
    YTest = np.array([1, 2, 3, 3])
    YPred = np.array([1, 2, 2, 3])
    accuracy = lg.mean(YPred == YTest.T)  # MATLAB's mean(YTest' == YPred): 0.75
    assert float(accuracy) == 0.75 and f"{accuracy:.2f}" == "0.75" and f"{accuracy}" == "0.75"
    assert lg.size(accuracy) == (1, 1)
    X = lg.dlarray(torch.arange(6.0).reshape(2, 3), "CB")
    total = lg.sum(X, "all")
    assert float(total) == 15.0 and f"{total:.1f}" == "15.0" and f"{total}" == "15.0"


X_NAN = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 0.0]])


@pytest.mark.parametrize("wrap", [np.asarray, torch.tensor, lambda a: lg.dlarray(torch.tensor(a), "CB")])
def test_max_min_omit_nan(wrap: object) -> None:
    """MATLAB: max/min skip NaN ('omitnan' is the default); an all-NaN slice gives NaN with index 1."""
    X = wrap(X_NAN)  # type: ignore[operator]

    def arr(v: object) -> np.ndarray:
        return np.asarray(lg.extractdata(v) if isinstance(v, torch.Tensor) else v, dtype=float)
    np.testing.assert_array_equal(arr(lg.max(X)), [[1.0, np.nan, 3.0]])
    M, I = lg.max(X, [], 2)
    np.testing.assert_array_equal(arr(M), [[3.0], [0.0]])
    np.testing.assert_array_equal(arr(I), [[3], [3]])
    M, I = lg.min(X, [], 1)
    np.testing.assert_array_equal(arr(M), [[1.0, np.nan, 0.0]])
    np.testing.assert_array_equal(arr(I), [[1, 1, 2]])
    M, I = lg.max(X, [], 2, "includenan")  # the first NaN wins
    np.testing.assert_array_equal(arr(M), [[np.nan], [np.nan]])
    np.testing.assert_array_equal(arr(I), [[2], [1]])
    assert float(lg.max(X, [], "all")) == 3.0 and float(lg.min(X, [], "all")) == 0.0
    assert np.isnan(float(lg.max(X, [], "all", "includenan")))
    np.testing.assert_array_equal(arr(lg.max(X, 2.0)), [[2.0, 2.0, 3.0], [2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(np.isnan(arr(lg.max(X, 2.0, "includenan"))), np.isnan(X_NAN))


@pytest.mark.skipif(OCTAVE is None, reason="GNU Octave is not installed (the hard-coded checks above still run)")
def test_max_min_omit_nan_as_octave() -> None:
    m = _M
    np.testing.assert_array_equal(octave(f"max({m})"), np.asarray(lg.max(X_NAN)).ravel(order="F"))
    np.testing.assert_array_equal(octave(f"min({m}, [], 2)"), np.asarray(lg.min(X_NAN, [], 2)).ravel(order="F"))
    _, I = lg.max(X_NAN, [], 2)
    np.testing.assert_array_equal(octave(f"nthargout(2, @max, {m}, [], 2)"), np.asarray(I).ravel(order="F"))


def test_class_weights_as_a_column_with_weights_format_c() -> None:
    """crossentropy(Y, T, classWeights(:), WeightsFormat="C"): loss = −Σ_k w_k Σ_n T log Y / N."""
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((3, 5))
    Y = np.exp(logits) / np.exp(logits).sum(0)
    T = np.eye(3)[:, rng.integers(0, 3, 5)]
    w = np.array([[0.5], [2.0], [1.0]])  # K×1, as classWeights(:) is in MATLAB
    expect = -(w * T * np.log(Y)).sum() / 5
    got = lg.crossentropy(lg.dlarray(torch.tensor(Y, dtype=torch.float64), "CB"), T, w, WeightsFormat="C")
    assert float(got) == pytest.approx(expect, rel=1e-6)  # dlarray keeps single precision, as MATLAB's examples
    expect2 = (w * (Y - T) ** 2).sum() / 5
    got2 = lg.l2loss(lg.dlarray(torch.tensor(Y, dtype=torch.float64), "CB"), T, w, WeightsFormat="C")
    assert float(got2) == pytest.approx(expect2, rel=1e-6)
    with pytest.raises(ValueError, match="3×2"):
        lg.crossentropy(lg.dlarray(torch.tensor(Y), "CB"), T, np.ones((3, 2)), WeightsFormat="C")


# ----- (2) size vectors as MATLAB writes them ---------------------------------------------------------------------
@pytest.mark.parametrize("sz", [[2, 3], (2, 3), np.array([[2, 3]]), np.array([[2], [3]]), np.array([2, 3]),
                                [np.int64(2), np.int32(3)], torch.tensor([2, 3]), torch.Size([2, 3])])
def test_size_vectors_in_every_form(sz: object) -> None:
    for f in (lg.zeros, lg.ones, lg.rand, lg.randn):
        assert tuple(f(sz).shape) == (2, 3)
    v = lg.reshape(np.arange(6), sz)  # column-major, as MATLAB: reshape(0:5, 2, 3) = [0 2 4; 1 3 5]
    np.testing.assert_array_equal(v, [[0, 2, 4], [1, 3, 5]])


def test_size_vector_from_reshape_row_and_matrix_refused() -> None:
    row = lg.reshape(np.array([4, 6]), 1, [])  # MATLAB's reshape(v, 1, []) gives a 1×2 row
    assert row.shape == (1, 2) and tuple(lg.zeros(row).shape) == (4, 6)
    with pytest.raises(ValueError, match="row or column vector"):
        lg.zeros(np.ones((2, 2)))


# ----- (8) indexing a trailing singleton dimension -----------------------------------------------------------------
def test_index_beyond_the_last_dimension_of_cbt() -> None:
    """X(:,:,:,idx) on C×B×T data: dimension 4 is a singleton, so idx may only be 1 (0 here)."""
    data = torch.randn(3, 4, 5)
    X = lg.dlarray(data, "CBT")
    for idx in (0, [0], np.array([0]), torch.tensor([0]), np.int64(0), -1, slice(None), [True]):
        Y = X.m[:, :, :, idx]
        assert Y.fmt == "CBT" and torch.equal(lg.extractdata(Y), data)
    assert torch.equal(lg.extractdata(X.m[:, [1, 3], :, 0]), data[:, [1, 3], :])
    with pytest.raises(IndexError, match="dimension 4 of size 1"):
        X.m[:, :, :, 1]
    with pytest.raises(IndexError, match="trailing singleton dimension 4"):
        X.m[:, :, :, [0, 0]]


@pytest.mark.skipif(OCTAVE is None, reason="GNU Octave is not installed")
def test_trailing_singleton_index_as_octave() -> None:
    np.testing.assert_array_equal(octave("size(reshape(1:60, 3, 4, 5)(:, :, :, 1))"), [3, 4, 5])
    out = subprocess.run([OCTAVE, "--no-gui", "--quiet", "--eval", "x = ones(3,4,5); x(:,:,:,2)"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "out of bound" in out.stderr


# ----- (1) numeric arrays are MATLAB data, with MATLAB's implicit expansion ----------------------------------------
def test_diffusion_noising_step_keeps_matlab_size() -> None:
    """sqrt(a).*img + sqrt(1-a).*noise, a 1×1×1×1 "SSCB" dlarray, img 32×32×1 from read, noise = randn(size(img)):
    MATLAB gives a 32×32 (×1×1) "SSCB" dlarray, each pixel 0.5·img + sqrt(0.75)·noise."""
    a = lg.dlarray(torch.full((1, 1, 1, 1), 0.25), "SSCB")
    img = np.random.default_rng(2).random((32, 32, 1)).astype(np.float32)
    noise = lg.randn(lg.size(img))
    assert lg.size(img) == (32, 32) and lg.size(noise) == (32, 32)
    Y = lg.sqrt(a) * img + lg.sqrt(1 - a) * noise
    assert Y.fmt == "SSCB" and lg.size(Y) == (32, 32)
    expect = 0.5 * img[:, :, 0] + np.sqrt(0.75) * np.asarray(lg.extractdata(noise), dtype=np.float64)
    np.testing.assert_allclose(lg.extractdata(Y).numpy()[:, :, 0, 0], expect, rtol=1e-6, atol=1e-6)
    Z = img * a  # numpy first: the same MATLAB reading
    assert Z.fmt == "SSCB" and lg.size(Z) == (32, 32)


def _matlab_times(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """MATLAB's A .* B by its definition: pad the shorter size with trailing 1s, then expand singletons."""
    n = max(A.ndim, B.ndim)
    A = A.reshape(A.shape + (1,) * (n - A.ndim))
    B = B.reshape(B.shape + (1,) * (n - B.ndim))
    shape = tuple(max(a, b) for a, b in zip(A.shape, B.shape))
    out = np.empty(shape)
    for idx in np.ndindex(*shape):
        ia = tuple(i if s > 1 else 0 for i, s in zip(idx, A.shape))
        ib = tuple(i if s > 1 else 0 for i, s in zip(idx, B.shape))
        out[idx] = A[ia] * B[ib]
    return out


@pytest.mark.parametrize(("sa", "sb"), [((3, 4, 1), (3, 4)), ((2, 3), (2, 1, 4)), ((3, 1), (3, 5, 2))])
def test_implicit_expansion_lines_sizes_up_from_the_first_dimension(sa: tuple, sb: tuple) -> None:
    rng = np.random.default_rng(3)
    A, B = rng.standard_normal(sa), rng.standard_normal(sb)
    got = A * lg.dlarray(torch.tensor(B))  # numpy meeting an unformatted dlarray (MATLAB data)
    expect = _matlab_times(A, B)
    assert lg.size(got) == lg.size(expect)
    np.testing.assert_allclose(lg.extractdata(got).numpy().reshape(expect.shape), expect, rtol=1e-6)
    if OCTAVE:
        dims = octave(f"size(ones([{' '.join(map(str, sa))}]) .* ones([{' '.join(map(str, sb))}]))")
        assert tuple(int(d) for d in dims) == lg.size(expect)


# ----- (3) nargout -------------------------------------------------------------------------------------------------
def _three_output_net() -> lg.dlnetwork:
    return lg.dlnetwork([lg.featureInputLayer(4, Name="in"),
                         lg.functionLayer(lambda X: (X * 1, X * 2, X * 3), NumOutputs=3, Name="split")])


def test_predict_and_forward_follow_nargout() -> None:
    net = _three_output_net()
    x = torch.randn(4, 2)
    X = lg.dlarray(x, "CB")
    Z = lg.predict(net, X)  # MATLAB: Z = predict(netE, X) is the first output
    assert isinstance(Z, torch.Tensor) and torch.allclose(lg.extractdata(Z), x)
    assert lg.size(lg.cat(1, Z, Z)) == (8, 2)
    a, b, c = lg.predict(net, X)
    assert torch.allclose(lg.extractdata(c), 3 * x)
    a, b = net.predict(X)
    assert torch.allclose(lg.extractdata(b), 2 * x)
    Y = lg.forward(net, X)
    assert isinstance(Y, torch.Tensor) and torch.allclose(lg.extractdata(Y), x)
    a, b, c, state = lg.forward(net, X)
    assert torch.allclose(lg.extractdata(a) + lg.extractdata(b), 3 * x)
    assert isinstance(state, lg.Table) and torch.allclose(lg.extractdata(c), 3 * x)
    out = lg.predict(net, X, nargout=3)  # explicit, for code that unpacks later
    assert len(out) == 3
    with pytest.raises(LayergraphError, match="5 outputs were asked for"):
        _, _, _, _, _ = lg.forward(net, X)
    *_, state = lg.predict(net, X, nargout=4)  # MATLAB's [Y1, Y2, Y3, state] = predict(net, X)
    assert isinstance(state, lg.Table)
    with pytest.raises(LayergraphError, match="5 outputs were asked for"):
        _, _, _, _, _ = lg.predict(net, X)


def test_size_follows_nargout() -> None:
    """MATLAB: [h, w] = size(zeros(3,4,2,5)) gives h = 3, w = 40 (the product of the rest)."""
    X = lg.dlarray(torch.zeros(3, 4, 2, 5), "SSCB")
    h, w = lg.size(X)
    assert (h, w) == (3, 40)
    a, b, c = lg.size(X)
    assert (a, b, c) == (3, 4, 10)
    a, b, c, d, e = lg.size(X)
    assert (a, b, c, d, e) == (3, 4, 2, 5, 1)
    assert lg.size(X) == (3, 4, 2, 5) and lg.size(X, 3) == 2
    if OCTAVE:
        assert octave("nthargout(2, @size, zeros(3,4,2,5))")[0] == 40
        assert octave("nthargout(3, @size, zeros(3,4,2,5))")[0] == 10


def test_sort_follows_nargout_and_places_nan() -> None:
    """MATLAB: [B, I] = sort([3 NaN 1 3 2]) gives B = [1 2 3 3 NaN], I = [3 5 1 4 2] (stable, NaN last)."""
    v = np.array([[3.0, np.nan, 1.0, 3.0, 2.0]])
    B = sort(v)
    np.testing.assert_array_equal(B, [[1, 2, 3, 3, np.nan]])
    B, I = sort(v)
    np.testing.assert_array_equal(I, [[3, 5, 1, 4, 2]])
    B, I = sort(v, "descend")  # NaN first, equal values keep their order
    np.testing.assert_array_equal(B, [[np.nan, 3, 3, 2, 1]])
    np.testing.assert_array_equal(I, [[2, 1, 4, 5, 3]])
    M = np.array([[3.0, 1.0], [1.0, 2.0], [2.0, 0.0]])
    B, I = sort(lg.dlarray(torch.tensor(M), "CB"), 1)
    np.testing.assert_array_equal(lg.extractdata(B).numpy(), np.sort(M, 0))
    np.testing.assert_array_equal(lg.extractdata(I).numpy(), np.argsort(M, 0, kind="stable") + 1)
    if OCTAVE:
        np.testing.assert_array_equal(octave("nthargout(2, @sort, [3 NaN 1 3 2])"), [3, 5, 1, 4, 2])
        np.testing.assert_array_equal(octave("nthargout(2, @sort, [3 NaN 1 3 2], 'descend')"), [2, 1, 4, 5, 3])


def test_max_follows_nargout_and_onehotdecode_has_one_output() -> None:
    X = np.array([[1.0, 5.0], [4.0, 2.0]])
    M = lg.max(X, [], 1)
    np.testing.assert_array_equal(M, [[4.0, 5.0]])
    M, I = lg.max(X, [], 1)
    np.testing.assert_array_equal(I, [[2, 1]])
    M, I = lg.min(X, [], 2, nargout=2)
    np.testing.assert_array_equal(I, [[1], [2]])
    A = lg.onehotdecode(X, ["a", "b"], 1)
    assert A.tolist() == [["b", "a"]]


def test_predict_with_numeric_arrays_and_a_scalar() -> None:
    """MATLAB: predict(net, images, noiseStep) with an H×W×C×N numeric array and a scalar, each in its input
    layer's format, gives numeric output in MATLAB layout."""
    graph = lg.layerGraph([lg.imageInputLayer([4, 4, 1], Name="img", Normalization="none"),
                           lg.functionLayer(lambda X, t: X * t, Name="mul", Formattable=True)])
    graph = graph.addLayers(lg.featureInputLayer(1, Name="t")).connectLayers("t", "mul/in2")
    net = lg.dlnetwork(graph)
    assert net.layer_graph.layer("mul").NumInputs == 2  # MATLAB: NumInputs is nargin of the function
    images = np.random.default_rng(5).random((4, 4, 1, 3))
    Y = lg.predict(net, images, 2.0)
    assert lg.dims(Y) == "" and lg.size(Y) == (4, 4, 1, 3)
    np.testing.assert_allclose(lg.extractdata(Y).numpy(), 2 * images, rtol=1e-6)
    one = lg.predict(net, images[:, :, :, 0], np.float32(3))  # one H×W×C image: a batch of one
    assert lg.size(one) == (4, 4)  # MATLAB drops the trailing singleton C and B
    np.testing.assert_allclose(lg.extractdata(one).numpy()[:, :, :, 0], 3 * images[:, :, :, 0], rtol=1e-6)
    with pytest.raises(lg.errors.NetworkError, match="numeric data of size 4×4×2×3"):
        lg.predict(net, np.zeros((4, 4, 2, 3, 2)), 1.0)


# ----- (6) tables and datastores -----------------------------------------------------------------------------------
def test_brace_indexing_of_the_table_read_returns() -> None:
    """MATLAB: img = read(ds); img = img{1,1} — here img[0, 0] (0-based, as X.m[...])."""
    X = np.random.default_rng(6).random((8, 8, 1, 5)).astype(np.float32)
    ds = lg.augmentedImageDatastore([8, 8], X, lg.categorical(list("abcab")))
    T = lg.read(ds)
    img = T[0, 0]
    np.testing.assert_array_equal(np.asarray(img), X[:, :, :, 0])
    assert str(T[4, "response"]) == "b" and str(T[-1, 1]) == "b" and len(T[:, 0]) == 5
    with pytest.raises(lg.errors.DataError, match="variables: input, response"):
        T["label"]
    with pytest.raises(lg.errors.DataError, match="row index 9 is out of range"):
        T[9, 0]
    with pytest.raises(lg.errors.DataError, match="variable index 2 is out of range"):
        T[0, 2]


def test_minibatch_function_taking_fewer_inputs_than_the_datastore_reads() -> None:
    """MathWorks' custom-loop example: minibatchqueue(augimdsTest, 1, MiniBatchFcn=@preprocessMiniBatchPredictors)
    where the function takes the predictors only; MATLAB passes it the first nargin columns."""
    X = np.random.default_rng(7).random((8, 8, 1, 6)).astype(np.float32)
    ds = lg.augmentedImageDatastore([8, 8], X, lg.categorical(list("abcabc")))

    def preprocessMiniBatchPredictors(dataX: list) -> object:
        return lg.cat(4, *dataX)
    mbq = lg.minibatchqueue(ds, 1, MiniBatchSize=4, MiniBatchFcn=preprocessMiniBatchPredictors,
                            MiniBatchFormat="SSCB")
    x = mbq.next()
    assert lg.dims(x) == "SSCB" and lg.size(x) == (8, 8, 1, 4)
    np.testing.assert_array_equal(lg.extractdata(x).numpy(), X[:, :, :, :4])
    bad = lg.minibatchqueue(ds, 1, MiniBatchSize=4, MiniBatchFcn=lambda a, b, c: a)
    with pytest.raises(lg.errors.DataError, match="takes 3 inputs but the datastore reads 2"):
        bad.next()


# ----- (7) layers as objects ---------------------------------------------------------------------------------------
class scaleLayer(lg.CustomLayer):  # noqa: N801 - MATLAB class name
    """A custom layer with a fixed learnable and two outputs: [Y, Z] = predict(layer, X) = (s·X, X + s)."""

    Learnable = ("Scale",)

    def __init__(self, Name: str = "scale") -> None:  # a default name, as real custom layers often have
        super().__init__(Name=Name)
        self.Scale = torch.tensor(2.0)
        self.OutputNames = ["y", "z"]

    def predict(self, X: object) -> tuple[object, object]:
        return X * self.Scale, X + self.Scale


def test_predict_and_forward_on_a_custom_layer_object() -> None:
    net = lg.dlnetwork([lg.featureInputLayer(3, Name="in"), scaleLayer()])
    layer = net.Layers[-1]
    X = lg.dlarray(torch.arange(6.0).reshape(3, 2))
    Y = lg.predict(layer, X)  # nargout 1: the first output
    assert torch.equal(lg.extractdata(Y), 2 * torch.arange(6.0).reshape(3, 2))
    Y, Z = lg.forward(layer, X)  # no forward method: MATLAB's default forward calls predict
    assert torch.equal(lg.extractdata(Z), torch.arange(6.0).reshape(3, 2) + 2)
    with pytest.raises(lg.errors.NetworkError, match="built-in reluLayer"):
        lg.predict(lg.reluLayer(Name="r"), X)


def test_repeated_layer_names_are_refused_as_matlab_documents() -> None:
    """MATLAB's addLayers: "The layer names in layers must be unique, nonempty, and different from the names of
    the layers in net" — the same layer class with its default name twice is an error, not a silent rename."""
    with pytest.raises(lg.errors.NetworkError, match="'scale' is used more than once"):
        lg.dlnetwork([lg.featureInputLayer(3, Name="in"), scaleLayer(), scaleLayer()])
    net = lg.dlnetwork([lg.featureInputLayer(3, Name="in"), scaleLayer()], Initialize=False)
    with pytest.raises(lg.errors.NetworkError, match="'scale' is already in the graph"):
        lg.addLayers(net, scaleLayer())
    auto = lg.dlnetwork([lg.featureInputLayer(3), lg.reluLayer(), lg.reluLayer()])  # empty names are filled
    assert [la.Name for la in auto.Layers][1:] == ["relu_1", "relu_2"]


def test_function_layer_num_inputs_from_arity() -> None:
    assert lg.functionLayer(lambda x, y: x + y).NumInputs == 2
    assert lg.functionLayer(lambda x: x).NumInputs == 1
    assert lg.functionLayer(lambda *xs: xs[0]).NumInputs == 1  # varargin: MATLAB's nargin is negative
    assert lg.functionLayer(lambda x, y, z: x, NumInputs=3).NumInputs == 3


@pytest.mark.parametrize("sz", [np.array([[28, 28, 1]]), np.array([[28], [28], [1]]), [np.int64(28), np.int32(28), 1],
                                torch.tensor([28, 28, 1]), (28, 28, 1)])
def test_layer_sizes_as_matlab_writes_them(sz: object) -> None:
    """imageInputLayer(size(img)) and friends: a row, a column or numpy integers are MATLAB's size vectors."""
    assert lg.imageInputLayer(sz).InputSize == (28, 28, 1)
    assert lg.convolution2dLayer(np.array([[3, 5]]), np.int64(8), Stride=np.array([[2], [1]])).Stride == (2, 1)
    with pytest.raises(lg.errors.OptionError, match="InputSize must be"):
        lg.imageInputLayer(np.ones((2, 3)))


def test_sort_of_text_says_it_is_not_supported() -> None:
    with pytest.raises(ValueError, match=r"sort: sorting .* is not supported"):
        sort(["b", "a"])


def test_numeric_feature_data_is_one_observation_per_row() -> None:
    """MATLAB takes numeric data for a featureInputLayer as N×numFeatures (a MathWorks PINN calls
    predict(net, ttest) with ttest 100×1 on featureInputLayer(1)); square data must not be read transposed."""
    torch.manual_seed(0)
    net = lg.dlnetwork([lg.featureInputLayer(3, Name="in"), lg.fullyConnectedLayer(2, Name="fc")])
    W = np.asarray(net.getLearnable("fc", "Weights"))
    b = np.asarray(net.getLearnable("fc", "Bias")).reshape(-1)
    for n in (5, 3):  # 3×3: the case a C×N reading would get silently wrong
        X = np.random.default_rng(n).standard_normal((n, 3)).astype(np.float32)
        Y = lg.extractdata(lg.predict(net, X)).numpy()  # feature output as it came in: N×2
        np.testing.assert_allclose(Y, X @ W.T + b, rtol=1e-5, atol=1e-6)
        Yu = lg.extractdata(lg.predict(net, lg.dlarray(X))).numpy()  # an unformatted dlarray reads the same
        np.testing.assert_allclose(Yu, Y, rtol=1e-6)
    column = np.arange(4, dtype=np.float32).reshape(4, 1)  # 4 observations of one feature
    net1 = lg.dlnetwork([lg.featureInputLayer(1, Name="in"), lg.fullyConnectedLayer(1, Name="fc")])
    assert lg.size(lg.predict(net1, column)) == (4, 1)
