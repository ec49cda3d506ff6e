"""trainingOptions Metrics beyond accuracy and RMSE (fscore, precision, recall, auc, mape and the metric objects)
against scikit-learn and numpy computed from the documented formulas on the network's own predictions."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

import layergraph as lg
from layergraph.errors import OptionError
from layergraph.train.metrics import Gathered, builtin_metric

SKLEARN = {"fscore": f1_score, "precision": precision_score, "recall": recall_score}


def _scores(n: int, c: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = rng.random((n, c)).astype(np.float32)
    scores[rng.random(n) < 0.3, 0] = 0.5  # tied scores for the AUC
    truth = rng.integers(0, c, n)
    truth[:c] = np.arange(c)  # every class present
    return scores, truth


@pytest.mark.parametrize("kind", ["fscore", "precision", "recall"])
@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
def test_counted_metrics_match_sklearn(kind: str, average: str) -> None:
    scores, truth = _scores(50, 4, seed=1)
    make = {"fscore": lg.fScoreMetric, "precision": lg.precisionMetric, "recall": lg.recallMetric}[kind]
    onehot = torch.tensor(np.eye(4, dtype=np.float32)[truth])
    got = make(AverageType=average).of(torch.tensor(scores), onehot, False)
    expected = SKLEARN[kind](truth, scores.argmax(1), average=average, labels=range(4), zero_division=0)
    assert got == pytest.approx(expected, rel=1e-12)
    # index targets (index-crossentropy) give the same
    assert make(AverageType=average).of(torch.tensor(scores), torch.tensor(truth), True) == pytest.approx(got)


@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
def test_auc_matches_sklearn_one_vs_rest(average: str) -> None:
    scores, truth = _scores(60, 3, seed=2)
    onehot = np.eye(3)[truth]
    got = lg.aucMetric(AverageType=average).of(torch.tensor(scores), torch.tensor(onehot), False)
    assert got == pytest.approx(roc_auc_score(onehot, scores, average=average), rel=1e-12)


def test_sequence_outputs_count_every_time_step_and_batches_accumulate() -> None:
    """A B×C×T output is B·T observations; two mini-batches gathered give the metric of all the data."""
    scores, truth = _scores(24, 3, seed=3)  # 4 sequences × 6 steps
    Y = torch.tensor(scores.reshape(4, 6, 3)).permute(0, 2, 1)  # B×C×T
    T = torch.tensor(np.eye(3, dtype=np.float32)[truth].reshape(4, 6, 3)).permute(0, 2, 1)
    g = Gathered(lg.fScoreMetric(AverageType="macro"), False)
    g.add(Y[:2], T[:2])
    g.add(Y[2:], T[2:])
    assert g.value() == pytest.approx(f1_score(truth, scores.argmax(1), average="macro"), rel=1e-12)


def test_regression_metrics_rmse_and_mape() -> None:
    rng = np.random.default_rng(4)
    Y, T = rng.standard_normal((10, 2)), rng.standard_normal((10, 2)) + 3
    assert builtin_metric("mape").of(torch.tensor(Y), torch.tensor(T), False) == pytest.approx(
        100 * np.mean(np.abs((T - Y) / T)), rel=1e-6)
    assert lg.rmseMetric().of(torch.tensor(Y), torch.tensor(T), False) == pytest.approx(
        np.sqrt(np.mean((Y - T) ** 2)), rel=1e-6)


def _classifier() -> list:
    return [lg.featureInputLayer(4), lg.fullyConnectedLayer(6), lg.reluLayer(), lg.fullyConnectedLayer(3),
            lg.softmaxLayer()]


def _class_data(n: int, seed: int) -> tuple[np.ndarray, lg.categorical]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    names = np.array(["a", "b", "c"])
    return X, lg.categorical(names[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)])


def test_trainnet_records_and_shows_the_metrics(capsys: pytest.CaptureFixture) -> None:
    X, labels = _class_data(40, seed=5)
    Xv, lv = _class_data(23, seed=6)  # 23: the last validation mini-batch is partial
    truth_v = lv.codes - 1
    torch.manual_seed(0)
    net0 = lg.dlnetwork(_classifier())
    metrics = ["accuracy", "fscore", "precision", "recall", "auc", lg.fScoreMetric(Name="MacroF", AverageType="macro")]
    opts = lg.trainingOptions("adam", MaxEpochs=3, MiniBatchSize=10, InitialLearnRate=0.05, Shuffle="never",
                              ValidationData=(Xv, lv), ValidationFrequency=2, Metrics=metrics, VerboseFrequency=1,
                              OutputNetwork="last-iteration", Precision="fp32")
    net, info = lg.trainnet(X, labels, net0, "crossentropy", opts)
    header = capsys.readouterr().out.splitlines()[0].split()
    for col in ("TrainingFScore", "ValidationFScore", "TrainingAUC", "ValidationAUC", "TrainingMacroF",
                "ValidationPrecision", "TrainingRecall"):
        assert col in header
    th, vh = info.TrainingHistory, info.ValidationHistory
    assert list(vh.VariableNames) == ["Iteration", "Loss", "Accuracy", "FScore", "Precision", "Recall",
                                                 "AUC", "MacroF"]
    # the first iteration's metrics are those of the initial network on the first mini-batch (no dropout or
    # batch norm: the training forward pass is the prediction)
    S0 = np.asarray(lg.minibatchpredict(net0, X[:10]))
    t0 = labels.codes[:10] - 1
    assert th.FScore[0] == pytest.approx(f1_score(t0, S0.argmax(1), average="micro"), rel=1e-6)
    assert th.MacroF[0] == pytest.approx(f1_score(t0, S0.argmax(1), average="macro", labels=range(3),
                                                  zero_division=0), rel=1e-6)
    # the last validation: the returned network over all 23 validation observations at once
    S = np.asarray(lg.minibatchpredict(net, Xv))
    pred = S.argmax(1)
    assert vh.Precision[-1] == pytest.approx(precision_score(truth_v, pred, average="micro"), rel=1e-6)
    assert vh.Recall[-1] == pytest.approx(recall_score(truth_v, pred, average="micro"), rel=1e-6)
    assert vh.MacroF[-1] == pytest.approx(f1_score(truth_v, pred, average="macro", labels=range(3),
                                                   zero_division=0), rel=1e-6)
    assert vh.AUC[-1] == pytest.approx(roc_auc_score(np.eye(3)[truth_v], S, average="micro"), rel=1e-5)
    assert vh.Accuracy[-1] == pytest.approx(100 * np.mean(pred == truth_v), rel=1e-6)


def test_trainnet_regression_mape() -> None:
    rng = np.random.default_rng(7)
    X = rng.standard_normal((20, 4)).astype(np.float32)
    T = (X[:, :2] + 4).astype(np.float32)
    torch.manual_seed(1)
    layers = [lg.featureInputLayer(4), lg.fullyConnectedLayer(2)]
    opts = lg.trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=8, Verbose=False, Metrics=["mape", "rmse"],
                              ValidationData=(X, T), OutputNetwork="last-iteration", Precision="fp32")
    net, info = lg.trainnet(X, T, layers, "mse", opts)
    Y = np.asarray(lg.minibatchpredict(net, X))
    assert info.ValidationHistory.MAPE[-1] == pytest.approx(100 * np.mean(np.abs((T - Y) / T)), rel=1e-5)
    assert info.ValidationHistory.RMSE[-1] == pytest.approx(np.sqrt(np.mean((T - Y) ** 2)), rel=1e-5)


def test_metric_option_errors() -> None:
    with pytest.raises(OptionError, match=r"Metrics must be one of .*'fscore'"):
        lg.trainingOptions("adam", Metrics="f1")
    with pytest.raises(OptionError, match="fScoreMetric: AverageType must be one of micro, macro, weighted"):
        lg.fScoreMetric(AverageType="samples")
    opts = lg.trainingOptions("adam", Metrics=["FScore", lg.aucMetric(AverageType="Macro")])
    assert opts.Metrics[0] == "fscore" and opts.Metrics[1].AverageType == "macro"


def test_testnet_takes_the_built_in_metrics() -> None:
    X, labels = _class_data(17, seed=8)
    torch.manual_seed(2)
    net = lg.dlnetwork(_classifier())
    S = np.asarray(lg.minibatchpredict(net, X))
    truth = labels.codes - 1
    got = lg.testnet(net, X, labels, ["fscore", lg.recallMetric(AverageType="weighted"), "auc", "crossentropy"],
                     MiniBatchSize=5)
    assert got[0] == pytest.approx(f1_score(truth, S.argmax(1), average="micro"), rel=1e-6)
    assert got[1] == pytest.approx(recall_score(truth, S.argmax(1), average="weighted", labels=range(3),
                                                zero_division=0), rel=1e-6)
    assert got[2] == pytest.approx(roc_auc_score(np.eye(3)[truth], S, average="micro"), rel=1e-5)
    assert got[3] == pytest.approx(-np.mean(np.log(S[np.arange(17), truth])), rel=1e-5)
    with pytest.raises(OptionError, match="testnet: unknown metric 'f1'"):
        lg.testnet(net, X, labels, "f1")
