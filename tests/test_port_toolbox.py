"""Toolbox functions and runtime rules a real transformer program needed (a waveform classifier): square and
sawtooth against numpy written from MATLAB's documented definitions, strings, cvpartition's hold-out and k-fold
partitions (sizes, stratification, disjoint test sets, the seeded rng), categorical subscripts, a 1×1 dlarray
scaling a matrix, plot(net), and `net = trainnet(...)` giving the network alone; then a small program of the
same kind translated by `layergraph port` and run end to end."""
from __future__ import annotations

import contextlib
import io
import math
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.errors import OptionError
from layergraph.port import runtime as rt

T = np.linspace(-7, 20, 541)


def test_square_is_the_documented_wave() -> None:
    # MATLAB: period 2π, +1 for the first `duty` percent of each period (50 by default), −1 for the rest
    for duty in (50, 25, 80):
        want = np.where(np.mod(T, 2 * np.pi) < 2 * np.pi * duty / 100, 1.0, -1.0)
        np.testing.assert_array_equal(rt.square(torch.as_tensor(T), duty).numpy(), want)
    assert rt.square(0.0) == 1.0 and rt.square(math.pi + 1e-9) == -1.0
    with pytest.raises(ValueError, match="duty cycle"):
        rt.square(torch.as_tensor(T), 120)


def test_sawtooth_is_the_documented_wave() -> None:
    # MATLAB: −1 at multiples of 2π, rising with slope 1/π (xmax = 1); with xmax, 1 at 2π·xmax then falling
    p = np.mod(T, 2 * np.pi)
    np.testing.assert_allclose(rt.sawtooth(torch.as_tensor(T)).numpy(), -1 + p / np.pi, atol=1e-12)
    tri = np.where(p < np.pi, -1 + 2 * p / np.pi, 1 - 2 * (p - np.pi) / np.pi)
    np.testing.assert_allclose(rt.sawtooth(torch.as_tensor(T), 0.5).numpy(), tri, atol=1e-12)
    np.testing.assert_allclose(rt.sawtooth(torch.as_tensor(T), 0).numpy(), 1 - 2 * p / (2 * np.pi), atol=1e-12)


def test_strings_makes_empty_strings() -> None:
    assert rt.strings(3, 1) == ["", "", ""] and rt.strings(2) == [""] * 4 and rt.strings() == ""
    assert rt.strings(torch.tensor([2.0, 3.0])) == [""] * 6


def test_cvpartition_holdout_is_stratified_and_seeded() -> None:
    labels = lg.categorical(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    rt.rng(0)
    c = rt.cvpartition(labels, "HoldOut", 0.2)
    test, train = rt.test(c).reshape(-1).numpy(), rt.training(c).reshape(-1).numpy()
    assert rt.test(c).shape == (100, 1) and rt.test(c).dtype == torch.bool  # MATLAB: a logical column
    assert not (test & train).any() and (test | train).all()
    codes = labels.codes
    assert [int((test & (codes == k)).sum()) for k in (1, 2, 3)] == [10, 6, 4]  # 20 % of each class
    assert (c.TestSize, c.TrainSize, c.NumTestSets, c.NumObservations) == (20, 80, 1, 100)
    rt.rng(0)
    again = rt.test(rt.cvpartition(labels, "HoldOut", 0.2)).reshape(-1).numpy()
    np.testing.assert_array_equal(again, test)  # the seeded rng decides the partition
    plain = rt.cvpartition(100, HoldOut=0.25)  # a count: nonstratified
    assert plain.TestSize == 25 and int(rt.test(plain).sum()) == 25


def test_cvpartition_kfold_test_sets_cover_every_observation_once() -> None:
    labels = lg.categorical(["x"] * 12 + ["y"] * 9)
    c = rt.cvpartition(labels, "KFold", 3)
    masks = np.stack([rt.test(c, i).reshape(-1).numpy() for i in range(1, 4)])
    assert (masks.sum(axis=0) == 1).all()  # each observation in exactly one test set
    assert sorted(masks.sum(axis=1).tolist()) == [7, 7, 7]
    assert [int((masks[i] & (labels.codes == 1)).sum()) for i in range(3)] == [4, 4, 4]  # stratified
    assert c.TestSize == [7, 7, 7] and c.TrainSize == [14, 14, 14]
    loo = rt.cvpartition(labels, "Leaveout")
    assert loo.NumTestSets == 21 and rt.test(loo, 5).reshape(-1).nonzero().tolist() == [[4]]
    with pytest.raises(ValueError, match="KFold"):
        rt.cvpartition(5, "KFold", 9)
    with pytest.raises(ValueError, match="test set index"):
        rt.test(c, 4)


def test_categorical_subscripts_keep_categories_and_shape() -> None:
    y = lg.categorical(["b", "a", "c", "a"])
    assert rt.numel(y) == 4 and rt.size(y) == (4, 1)  # categorical(labels) is a column
    picked = rt.at(y)[torch.tensor([True, False, True, False]).reshape(-1, 1)]
    assert picked.tolist() == ["b", "c"] and picked.categories == ["a", "b", "c"] and rt.size(picked) == (2, 1)
    assert str(rt.at(y)[3]) == "c"
    assert rt.switchcase(rt.at(["sine", "square"])[2], "square")  # a string array's element is its string


def test_a_one_by_one_dlarray_scales_a_matrix() -> None:
    s = lg.rand(1, 1)  # MATLAB's rand() is a scalar: s*t is scaling, not a matrix product
    t = torch.arange(6, dtype=torch.float64).reshape(6, 1)
    np.testing.assert_allclose(np.asarray(rt.mtimes(s, t)).reshape(-1), float(s) * t.reshape(-1).numpy())


def test_plot_of_a_network_draws_its_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYERGRAPH_PORT_FIGURES", str(tmp_path))
    net = lg.dlnetwork([lg.featureInputLayer(3), lg.fullyConnectedLayer(2), lg.softmaxLayer()])
    rt.figure()
    image = rt.plot(net)
    assert image.get_array().shape[0] > 100  # the rendered layer graph, not a line plot
    rt.close("all")


def test_trainnet_gives_the_network_alone_for_one_output() -> None:
    X = np.random.default_rng(0).standard_normal((12, 3)).astype(np.float32)
    labels = lg.categorical(["a", "b"] * 6)
    opts = lg.trainingOptions("adam", MaxEpochs=1, MiniBatchSize=4, Verbose=False, Precision="fp32")
    layers = [lg.featureInputLayer(3), lg.fullyConnectedLayer(2), lg.softmaxLayer()]
    net = lg.trainnet(X, labels, layers, "crossentropy", opts)
    assert isinstance(net, lg.dlnetwork)
    net2, info = lg.trainnet(X, labels, layers, "crossentropy", opts)
    assert isinstance(net2, lg.dlnetwork) and len(info.TrainingHistory) == 3


def _port_and_run(source: str, stem: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The MATLAB program translated by `layergraph port` (nothing left untranslated or unknown) and run as a
    script in `folder`; what it printed. Its figures are written to folder/figures."""
    pytest.importorskip("tree_sitter_matlab")
    from layergraph.port import port_files

    (folder / f"{stem}.m").write_text(source)
    [(_, code, report)] = port_files([folder / f"{stem}.m"])
    assert not report.untranslated and not report.missing, report.summary()
    (folder / f"{stem}.py").write_text(code)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("LAYERGRAPH_PORT_FIGURES", str(folder / "figures"))
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(folder / f"{stem}.py"), run_name="__main__")
    finally:
        rt.close("all")  # writes the open figures, as the program's end does
        sys.modules.pop(stem, None)
    return out.getvalue()


PROGRAM = """rng(0);
classNames = ["sine", "square", "sawtooth"];
[X, Y] = makeWaves(classNames, 32, 30);
cv = cvpartition(Y, 'HoldOut', 0.2);
XTrain = X(training(cv)); YTrain = Y(training(cv));
XTest = X(test(cv)); YTest = Y(test(cv));
layers = [
    sequenceInputLayer(1)
    fullyConnectedLayer(16)
    reluLayer
    globalAveragePooling1dLayer
    fullyConnectedLayer(numel(classNames))
    softmaxLayer];
figure; plot(dlnetwork(layers)); sgtitle('network');
options = trainingOptions('adam', MaxEpochs=2, MiniBatchSize=16, Verbose=false);
net = trainnet(XTrain, YTrain, layers, 'crossentropy', options);
scores = minibatchpredict(net, XTest);
predLabels = scores2label(scores, categories(YTest));
fprintf('%d %d %d\\n', numel(YTrain), numel(YTest), numel(predLabels));

function [X, Y] = makeWaves(classNames, T, n)
    t = (0:T - 1)';
    X = cell(numel(classNames) * n, 1);
    labels = strings(numel(classNames) * n, 1);
    idx = 1;
    for c = 1:numel(classNames)
        for i = 1:n
            w = 2 * pi * (0.05 + 0.1 * rand()) * t + 2 * pi * rand();
            switch classNames(c)
                case "sine"
                    s = sin(w);
                case "square"
                    s = square(w);
                case "sawtooth"
                    s = sawtooth(w);
            end
            X{idx} = s + 0.1 * randn(T, 1);
            labels(idx) = classNames(c);
            idx = idx + 1;
        end
    end
    Y = categorical(labels);
end
"""


def test_a_waveform_classifier_program_ports_and_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    printed = _port_and_run(PROGRAM, "waves", tmp_path, monkeypatch)
    assert printed.split() == ["72", "18", "18"]  # 20 % of each class of 30 held out
    assert (tmp_path / "figures" / "figure_1.png").exists()


FORECAST = """rng(0);
data = sin(linspace(0, 6, 40));
mu = mean(data); sig = std(data);
x = (data - mu) / sig;
XTrain = x(1:end-1); YTrain = x(2:end);
layers = [sequenceInputLayer(1); lstmLayer(8); fullyConnectedLayer(1); regressionLayer];
options = trainingOptions('adam', 'MaxEpochs', 3, 'Verbose', 0);
net = trainNetwork(XTrain, YTrain, layers, options);
net = predictAndUpdateState(net, XTrain(1:30));
YPred = [];
for i = 1:5
    [net, YPred(:, i)] = predictAndUpdateState(net, XTrain(:, 30 + i), 'ExecutionEnvironment', 'cpu');
end
figure; stem(YPred - YTrain(31:35));
fprintf('%d %d\\n', size(YPred, 1), size(YPred, 2));
"""


def test_a_forecasting_program_with_state_updates_ports_and_runs(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """MathWorks' forecasting recipe: trainNetwork on one numeric sequence, then predictAndUpdateState step by
    step into `YPred = []` grown column by column (MATLAB's [] is an empty double), and a stem plot."""
    printed = _port_and_run(FORECAST, "forecast", tmp_path, monkeypatch)
    assert printed.split()[-2:] == ["1", "5"]  # a 1×5 numeric row of forecasts
    assert (tmp_path / "figures" / "figure_1.png").exists()


VALUES = """rng(0);
net = dlnetwork([featureInputLayer(2) fullyConnectedLayer(1)]);
w0 = extractdata(net.Learnables.Value{1});
net0 = net;
X = dlarray(rand(2, 8, 'single'), 'CB');
T = rand(1, 8, 'single');
avg = []; avgSq = [];
for it = 1:3
    [loss, grad] = dlfeval(@lossFcn, net, X, T);
    [net, avg, avgSq] = adamupdate(net, grad, avg, avgSq, it);
    if it == 1
        bestNet = net;
    end
end
w1 = extractdata(bestNet.Learnables.Value{1});
w3 = extractdata(net.Learnables.Value{1});
fprintf('%d %d %d\\n', isequal(extractdata(net0.Learnables.Value{1}), w0), isequal(w1, w3), isequal(w1, w0));

function [loss, grad] = lossFcn(net, X, T)
    Y = forward(net, X);
    loss = mse(Y, T);
    grad = dlgradient(loss, net.Learnables);
end
"""


def test_assigning_a_network_copies_it_as_matlab_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`bestNet = net` keeps that iteration's weights although adamupdate changes networks in place here:
    MATLAB's networks are values. Expected from MATLAB's semantics: net0 still holds the initial weights (1),
    bestNet (after step 1) differs from the net after step 3 (0) and from the initial one (0)."""
    assert _port_and_run(VALUES, "values", tmp_path, monkeypatch).split() == ["1", "0", "0"]
    net = lg.dlnetwork([lg.featureInputLayer(2), lg.fullyConnectedLayer(1)])
    twin = rt.copyvalue(net)
    assert twin is not net and rt.copyvalue(3.5) == 3.5
    np.testing.assert_array_equal(twin.getLearnable("fc", "Weights"), net.getLearnable("fc", "Weights"))
    with torch.no_grad():
        for p in twin.module.parameters():
            p.add_(1.0)  # an in-place change of the copy
    assert not np.allclose(twin.getLearnable("fc", "Weights"), net.getLearnable("fc", "Weights"))


def test_holdout_by_count_and_switch_cases() -> None:
    labels = lg.categorical(["a"] * 60 + ["b"] * 40)
    c = rt.cvpartition(labels, "HoldOut", 10)  # a count: 10 held out, stratified 6 + 4
    test = rt.test(c).reshape(-1).numpy()
    assert int(test.sum()) == 10 and int(test[:60].sum()) == 6
    assert rt.switchcase("b", ["a", "b"]) and not rt.switchcase("c", ["a", "b"])
    assert rt.switchcase(["x"], "x") and rt.switchcase(3.0, [4, 3]) and not rt.switchcase("3", 3)
    with pytest.raises(OptionError, match="recurrent network from trainNetwork"):
        lg.predictAndUpdateState(lg.dlnetwork([lg.featureInputLayer(2)]), np.zeros((2, 3)))
