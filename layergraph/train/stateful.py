"""MATLAB's predictAndUpdateState and classifyAndUpdateState for trainNetwork's recurrent networks: predict
time step by time step (forecasting loops), the network's HiddenState/CellState carried into the next call."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from layergraph.dlarray import DLArray, dlarray, extractdata
from layergraph.errors import OptionError
from layergraph.namevalue import name_value
from layergraph.nargout import nargout
from layergraph.train.inference import scores2label
from layergraph.train.legacy import DAGNetwork

__all__ = ["classifyAndUpdateState", "predictAndUpdateState"]

# MATLAB's options; one sequence or equal-length sequences need no padding, so these change nothing here
_OPTIONS = {"MiniBatchSize": 128, "SequenceLength": "longest", "SequencePaddingValue": 0,
            "SequencePaddingDirection": "right", "ExecutionEnvironment": "auto", "Acceleration": "auto"}


def _sequences(X: Any, fname: str) -> tuple[torch.Tensor, bool]:
    """X as MATLAB gives it (one C×S numeric sequence, or a cell array of them) → a C×N×S batch; whether it
    was one numeric sequence."""
    single = not isinstance(X, (list, tuple))
    seqs = [X] if single else list(X)
    arrs = []
    for s in seqs:
        t = extractdata(s) if isinstance(s, DLArray) else torch.as_tensor(np.asarray(s, dtype=np.float32))
        arrs.append(t.float().reshape(1, -1) if t.dim() <= 1 else t.float().reshape(t.shape[0], -1))  # a vector:
        # one channel; a number: one time step of one channel
    if len({a.shape for a in arrs}) != 1:
        raise OptionError(f"{fname}: give one sequence or sequences of equal length (padding would change the "
                          f"state the network carries); got sizes {sorted({tuple(a.shape) for a in arrs})}")
    return torch.stack(arrs, 1), single


def _step(net: DAGNetwork, X: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
          fname: str) -> tuple[DAGNetwork, torch.Tensor, str, bool]:
    if not isinstance(net, DAGNetwork):
        raise OptionError(f"{fname}: expected a recurrent network from trainNetwork, got {type(net).__name__}; "
                          "for a dlnetwork use [Y, state] = predict(net, X) and net.State = state")
    name_value(fname, args, kwargs, _OPTIONS)  # checks the option names
    batch, single = _sequences(X, fname)
    x = dlarray(batch, "CBT")
    y, state = net.dlnet.predict(x, nargout=2)
    updated = net.dlnet.initialize()  # a copy (MATLAB's networks are values) that takes the new state
    updated.State = state
    return type(net)(updated, net.output_layer, net.Classes), extractdata(y).float(), y.fmt, single


def predictAndUpdateState(net: DAGNetwork, X: Any, *args: Any, **kwargs: Any) -> DAGNetwork | tuple[DAGNetwork, Any]:
    """MATLAB's `[updatedNet, Y] = predictAndUpdateState(net, X)`: responses for the C×S sequence X (R×S for
    sequence output, 1×R for the last step's; a cell array of sequences gives a cell array), and the network
    with its recurrent state after the last time step."""
    new, y, fmt, single = _step(net, X, args, kwargs, "predictAndUpdateState")
    if "T" in fmt:  # R×N×S → one R×S per sequence
        out: Any = [y[:, n, :].numpy() for n in range(y.shape[1])]
    else:  # R×N → one 1×R row per observation, as trainNetwork's predict returns N×R
        out = y.T.numpy()
    out = out[0] if single and isinstance(out, list) else out
    return new if nargout("predictAndUpdateState") <= 1 else (new, out)


def classifyAndUpdateState(net: DAGNetwork, X: Any, *args: Any, **kwargs: Any) -> DAGNetwork | tuple[DAGNetwork, Any]:
    """MATLAB's `[updatedNet, YPred] = classifyAndUpdateState(net, X)`: a label per time step (1×S categorical)
    or per sequence, and the network with its recurrent state after the last time step."""
    new, y, fmt, single = _step(net, X, args, kwargs, "classifyAndUpdateState")
    if net.Classes is None:
        raise OptionError("classifyAndUpdateState: the network was not trained for classification "
                          "(no classificationLayer)")
    if "T" in fmt:
        labels: Any = [scores2label(y[:, n, :], net.Classes, 1).T for n in range(y.shape[1])]
        labels = labels[0] if single else labels
    else:
        labels = scores2label(y.T, net.Classes, 2)
    return new if nargout("classifyAndUpdateState") <= 1 else (new, labels)
