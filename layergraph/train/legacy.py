"""MATLAB's older built-in training: `net = trainNetwork(data, layers, options)` with an output layer, then
`classify` / `predict` on the SeriesNetwork or DAGNetwork it returns.

The output layer names the loss: classificationLayer → cross-entropy Σ −T·log Y / N, regressionLayer → half
mean squared error Σ (Y − T)² / (2N) (trainNetwork's normalizations, which differ from trainnet's). The network
is trained exactly as trainnet trains (same solver steps, L2, thresholding, schedule); OutputNetwork "auto"
means the last iteration, and each iteration records the accuracy (classification) or RMSE (regression).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.data.categorical import Categorical
from layergraph.errors import NetworkError, OptionError
from layergraph.graph.layergraph import LayerGraph, layerGraph
from layergraph.layers.base import Layer
from layergraph.layers.output import ClassificationOutputLayer, RegressionOutputLayer
from layergraph.nargout import nargout
from layergraph.train.arguments import split_args
from layergraph.train.inference import minibatchpredict, scores2label
from layergraph.train.trainnet import _Trainer

__all__ = ["DAGNetwork", "SeriesNetwork", "TrainNetworkInfo", "classify", "trainNetwork"]


@dataclass
class TrainNetworkInfo:
    """trainNetwork's info struct: per-iteration TrainingLoss, TrainingAccuracy or TrainingRMSE, BaseLearnRate,
    ValidationLoss/Accuracy/RMSE (NaN where not validated), the final validation values and the returned
    network's iteration."""

    TrainingLoss: np.ndarray
    TrainingAccuracy: np.ndarray | None
    TrainingRMSE: np.ndarray | None
    BaseLearnRate: np.ndarray
    ValidationLoss: np.ndarray
    ValidationAccuracy: np.ndarray | None
    ValidationRMSE: np.ndarray | None
    FinalValidationLoss: float
    FinalValidationAccuracy: float | None
    FinalValidationRMSE: float | None
    OutputNetworkIteration: int


class DAGNetwork:
    """A network trained by trainNetwork: its Layers (output layer included), `predict` and `classify`."""

    def __init__(self, net: dlnetwork, output: Layer, classes: list[str] | None) -> None:
        self.dlnet = net
        self.output_layer = output
        self.Classes = classes

    @property
    def Layers(self) -> list[Layer]:
        return [*self.dlnet.Layers, self.output_layer]

    @property
    def InputNames(self) -> list[str]:
        return self.dlnet.InputNames

    @property
    def OutputNames(self) -> list[str]:
        return [self.output_layer.Name]

    def predict(self, X: Any, *args: Any, nargout: int | None = None, **kwargs: Any) -> Any:
        """MATLAB's `Y = predict(net, X)`: scores (N×K) or responses, in MATLAB layout (one output: nargout is
        1 whatever the caller unpacks); one numeric C×S sequence gives one R×S array, as MATLAB's does."""
        Y = minibatchpredict(self, X, *args, **kwargs)
        single = isinstance(Y, list) and len(Y) == 1 and not isinstance(X, (list, tuple))
        return Y[0] if single else Y

    def resetState(self) -> DAGNetwork:
        """MATLAB's `net = resetState(net)` on a SeriesNetwork/DAGNetwork: recurrent states back to their initial
        values."""
        return type(self)(self.dlnet.resetState(), self.output_layer, self.Classes)

    def classify(self, X: Any, *args: Any, **kwargs: Any) -> Categorical:
        """MATLAB's `YPred = classify(net, X)`: the class of the largest score, a categorical N×1."""
        if self.Classes is None:
            raise NetworkError("classify: the network was not trained for classification (no classificationLayer)")
        scores = self.predict(X, *args, **kwargs)
        if isinstance(scores, list):  # sequence-to-sequence: one label sequence per observation
            return [scores2label(s, self.Classes, 1) for s in scores]
        return scores2label(scores, self.Classes, 2 if scores.ndim == 2 else scores.ndim - 1)

    def __repr__(self) -> str:
        return (f"{type(self).__name__} with properties:\n\n         Layers: [{len(self.Layers)}×1 Layer]\n"
                f"     InputNames: {self.InputNames}\n    OutputNames: {self.OutputNames}")


class SeriesNetwork(DAGNetwork):
    """A trainNetwork result whose layers form one chain (MATLAB's SeriesNetwork)."""


def classify(net: DAGNetwork, X: Any, *args: Any, **kwargs: Any) -> Categorical:
    """MATLAB's `YPred = classify(net, X)` for a network trained by trainNetwork."""
    if not isinstance(net, DAGNetwork):
        raise OptionError(f"classify: expected a network from trainNetwork, got {type(net).__name__}; for a "
                          "dlnetwork use scores2label(minibatchpredict(net, X), classNames)")
    return net.classify(X, *args, **kwargs)


def _split_output(layers: Any) -> tuple[LayerGraph, Layer]:
    """The graph without its output layer, and that layer (named as the graph named it)."""
    lgraph = layers.copy() if isinstance(layers, LayerGraph) else layerGraph(layers)
    outs = [lgraph.layer(n) for n in lgraph.graph.nodes
            if isinstance(lgraph.layer(n), ClassificationOutputLayer | RegressionOutputLayer)]
    if len(outs) != 1:
        raise NetworkError("trainNetwork: the network must end in one classificationLayer or regressionLayer "
                           f"(found {len(outs)}); for networks without one use trainnet")
    out = outs[0]
    return lgraph.removeLayers(out.Name), out


def trainNetwork(*args: Any) -> DAGNetwork | tuple[DAGNetwork, TrainNetworkInfo]:
    """MATLAB's `[net, info] = trainNetwork(X, Y, layers, options)` or `trainNetwork(data, layers, options)`;
    `net = trainNetwork(...)` (nargout 1) gives the network alone."""
    if len(args) == 4:
        X, T, layers, opts = args
        X, T, layers, _, opts = split_args((X, T, layers, "", opts), "trainNetwork")
    elif len(args) == 3:
        X, layers, opts = args
        X, T, layers, _, opts = split_args((X, layers, "", opts), "trainNetwork")
    else:
        raise OptionError(f"trainNetwork: expected trainNetwork(X, Y, layers, options) or trainNetwork(data, "
                          f"layers, options); got {len(args)} arguments")
    lgraph, out = _split_output(layers)
    classifying = isinstance(out, ClassificationOutputLayer)
    opts = copy.copy(opts)
    opts.Metrics = list(opts.Metrics) or (["accuracy"] if classifying else ["rmse"])
    trainer = _Trainer(X, T, lgraph, "classification-layer" if classifying else "regression-layer", opts,
                       "trainNetwork", legacy=True)
    net, info = trainer.run()
    classes = info.classes if classifying else None
    if classifying and isinstance(out.Classes, list) and classes is not None and out.Classes != classes:
        raise NetworkError(f"trainNetwork: classificationLayer Classes {out.Classes} differ from the data's "
                           f"classes {classes}")
    if classifying and classes is not None:
        out = out.model_copy(update={"Classes": classes})
    chain = all(len(lgraph.inputs_of(n)) <= 1 for n in lgraph.graph.nodes) and \
        all(lgraph.graph.out_degree(n) <= 1 for n in lgraph.graph.nodes)
    result = (SeriesNetwork if chain else DAGNetwork)(net, out, classes)
    if nargout("trainNetwork") <= 1:
        return result
    return result, _legacy_info(info, classifying)


def _legacy_info(info: Any, classifying: bool) -> TrainNetworkInfo:
    th, vh = info.TrainingHistory, info.ValidationHistory
    n = len(th.Loss)
    metric = "Accuracy" if classifying else "RMSE"
    vloss = np.full(n, np.nan)
    vmetric = np.full(n, np.nan)
    for it, loss, m in zip(vh.Iteration, vh.Loss, vh[metric] if len(vh.Iteration) else []):
        if 1 <= it <= n:
            vloss[it - 1], vmetric[it - 1] = loss, m
    final_loss = float(vh.Loss[-1]) if len(vh.Iteration) else float("nan")
    final_metric = float(vh[metric][-1]) if len(vh.Iteration) else float("nan")
    train_metric = np.asarray(th[metric], dtype=float)
    return TrainNetworkInfo(
        TrainingLoss=np.asarray(th.Loss, dtype=float), TrainingAccuracy=train_metric if classifying else None,
        TrainingRMSE=None if classifying else train_metric, BaseLearnRate=np.asarray(th.LearnRate, dtype=float),
        ValidationLoss=vloss, ValidationAccuracy=vmetric if classifying else None,
        ValidationRMSE=None if classifying else vmetric, FinalValidationLoss=final_loss,
        FinalValidationAccuracy=final_metric if classifying else None,
        FinalValidationRMSE=None if classifying else final_metric,
        OutputNetworkIteration=info.OutputNetworkIteration)
