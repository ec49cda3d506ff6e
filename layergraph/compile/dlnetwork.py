"""dlnetwork: a compiled layer graph with MATLAB's Learnables/State tables, forward and predict."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from layergraph.compile.build import build_graph_module
from layergraph.dlarray import DLArray, wrap
from layergraph.errors import NetworkError, SpecError
from layergraph.graph.infer import Analysis, infer
from layergraph.graph.layergraph import LayerGraph, layerGraph
from layergraph.layers.base import Layer, LayerModule
from layergraph.table import Table, matlab_size


class dlnetwork:  # noqa: N801 - MATLAB name
    """A network ready for custom training loops: `Y, state = forward(net, X)`, `Y = predict(net, X)`.

    The forward pass is a torch.fx GraphModule (`net.module`) generated once from the graph, so a call
    costs the same as a hand-written nn.Module. Learnables are torch Parameters in torch layout;
    `getLearnable`/`setLearnable` read and write them in MATLAB layout.
    """

    def __init__(self, layers: LayerGraph | Iterable[Layer] | Layer) -> None:
        lgraph = layers.copy() if isinstance(layers, LayerGraph) else layerGraph(layers)
        analysis = infer(lgraph)
        if analysis.errors:
            first = analysis.errors[0]
            more = len(analysis.errors) - 1
            extra = f" ({more} more issue{'s' if more > 1 else ''}; run analyzeNetwork)" if more else ""
            raise NetworkError(f"dlnetwork: layer '{first.layer}': {first.message}{extra}")
        self._lgraph = lgraph
        self._analysis = analysis
        self.InputNames: list[str] = lgraph.InputNames
        self.OutputNames: list[str] = lgraph.OutputNames
        self.module, self._keys = build_graph_module(lgraph, analysis, self.InputNames, self.OutputNames)
        self._in_fmt = [analysis.outputs[n].batch_fmt for n in self.InputNames]
        self._out_fmt = [analysis.outputs[n].batch_fmt for n in self.OutputNames]
        self._learn_rows, self._state_rows = self._collect_rows()
        self._training: bool | None = None
        self._device = torch.device("cpu")
        self._fn: Any = self.module  # what forward/predict call: the fx module, or its torch.compile wrapper

    # ----- structure ---------------------------------------------------------------------------
    @property
    def Layers(self) -> list[Layer]:
        """Layers in execution (topological) order, as dlnetwork stores them."""
        return [self._lgraph.layer(n) for n in self._analysis.order]

    @property
    def Connections(self) -> list[tuple[str, str]]:
        return self._lgraph.Connections

    @property
    def layer_graph(self) -> LayerGraph:
        """The LayerGraph this network was compiled from (a copy: editing it leaves the network alone)."""
        return self._lgraph.copy()

    @property
    def Initialized(self) -> bool:
        """MATLAB's Initialized: always true, as learnables get MATLAB's initializers when the network is made."""
        return True

    @property
    def analysis(self) -> Analysis:
        return self._analysis

    def _repr_html_(self) -> str:
        from layergraph.analyze.html import repr_html  # the analyzeNetwork page, inline in notebooks
        return repr_html(self)

    def layer_module(self, name: str) -> nn.Module:
        """The compiled torch module of layer `name`."""
        if name not in self._keys:
            raise KeyError(f"no layer named '{name}' in the network")
        return getattr(self.module, self._keys[name])

    def _collect_rows(self) -> tuple[list[tuple], list[tuple]]:
        learn, state = [], []
        for name in self._analysis.order:
            layer = self._lgraph.layer(name)
            module = self.layer_module(name)
            ins = self._analysis.inputs.get(name, [])
            shapes = {**layer.learnables(ins), **layer.states(ins)} if not layer.is_input else {}
            for pname, p in module.named_parameters(recurse=False):
                learn.append((name, pname, p, shapes.get(pname, tuple(p.shape))))
            if isinstance(module, LayerModule):
                for bname, b in module.named_buffers(recurse=False):
                    if bname in module.layout:
                        state.append((name, bname, b, shapes.get(bname, tuple(b.shape))))
        return learn, state

    # ----- MATLAB tables ----------------------------------------------------------------------
    @property
    def Learnables(self) -> Table:
        """Table of (Layer, Parameter, Value); Values are the live torch Parameters."""
        return Table(*(list(c) for c in zip(*self._learn_rows)) if self._learn_rows else ([], [], [], []))

    @Learnables.setter
    def Learnables(self, table: Table) -> None:
        self._assign(self._learn_rows, table, "Learnables")

    @property
    def State(self) -> Table:
        """Table of (Layer, Parameter, Value) for batch-norm TrainedMean/TrainedVariance."""
        return Table(*(list(c) for c in zip(*self._state_rows)) if self._state_rows else ([], [], [], []))

    @State.setter
    def State(self, table: Table) -> None:
        self._assign(self._state_rows, table, "State")

    @staticmethod
    def _assign(rows: list[tuple], table: Table, what: str) -> None:
        if len(table) != len(rows):
            raise ValueError(f"{what}: expected {len(rows)} rows, got {len(table)}")
        with torch.no_grad():
            for (lay, par, target, _), (tl, tp, value) in zip(rows, table):
                if (lay, par) != (tl, tp):
                    raise ValueError(f"{what}: row for {lay}/{par} expected, got {tl}/{tp}")
                if value is not target:
                    target.copy_(torch.as_tensor(value).reshape(target.shape))

    def getLearnable(self, layer: str, param: str) -> np.ndarray:
        """A learnable or state value in MATLAB layout (numpy)."""
        module = self.layer_module(layer)
        if not isinstance(module, LayerModule) or param not in module.layout:
            raise KeyError(f"layer '{layer}' has no parameter '{param}'")
        return module.to_matlab(param).cpu().numpy()

    def setLearnable(self, layer: str, param: str, value: Any) -> None:
        """Write a learnable or state value given in MATLAB layout (e.g. weights exported from MATLAB)."""
        module = self.layer_module(layer)
        if not isinstance(module, LayerModule) or param not in module.layout:
            raise KeyError(f"layer '{layer}' has no parameter '{param}'")
        try:
            module.from_matlab(param, value)
        except ValueError as err:
            raise ValueError(f"layer '{layer}': {err}") from None

    def tensors(self) -> dict[str, torch.Tensor]:
        """Every learnable and state tensor keyed 'layer/Parameter' (torch layout), for checkpoints."""
        return {f"{lay}/{par}": t for lay, par, t, _ in self._learn_rows + self._state_rows}

    def load_tensors(self, tensors: dict[str, torch.Tensor], strict: bool = True) -> None:
        """Load tensors saved by `tensors()`; a missing key or a wrong shape names the parameter."""
        own = self.tensors()
        if strict:
            missing = [k for k in own if k not in tensors]
            if missing:
                raise SpecError(f"checkpoint has no value for '{missing[0]}'")
        with torch.no_grad():
            for key, target in own.items():
                if key not in tensors:
                    continue
                value = tensors[key]
                if tuple(value.shape) != tuple(target.shape):
                    raise SpecError(f"'{key}' has shape {list(value.shape)} in the checkpoint but "
                                       f"{list(target.shape)} in the network")
                target.copy_(value)

    # ----- execution ----------------------------------------------------------------------------
    def to(self, device: str | torch.device) -> dlnetwork:
        """Move learnables and state to `device` (in place; Parameters keep their identity)."""
        self._device = torch.device(device)
        self.module.to(self._device)
        return self

    def compile(self, **options: Any) -> dlnetwork:
        """Run forward/predict through torch.compile (of the DDP wrapper, when distributed; parameters stay
        shared)."""
        self._fn = torch.compile(self._fn, **options)
        return self

    def distribute(self, **options: Any) -> dlnetwork:
        """Run forward/predict through torch's DistributedDataParallel(net.module, **options): gradients
        accumulated with `.backward()` are averaged across the process group as they are computed."""
        self._fn = nn.parallel.DistributedDataParallel(self.module, **options)
        return self

    def channels_last(self) -> dlnetwork:
        """Store 4-D weights channels-last (NHWC), which convolution kernels on GPUs prefer."""
        self.module.to(memory_format=torch.channels_last)
        return self

    @property
    def device(self) -> torch.device:
        return self._device

    def _prepare(self, X: tuple[Any, ...], training: bool) -> list[torch.Tensor]:
        if len(X) != len(self.InputNames):
            raise ValueError(f"network has {len(self.InputNames)} input(s) {self.InputNames}, got {len(X)}")
        if self._training is not training:
            self.module.train(training)
            self._training = training
        xs = []
        for x, fmt, name in zip(X, self._in_fmt, self.InputNames):
            if isinstance(x, DLArray):
                if x.fmt and x.fmt != fmt:
                    raise ValueError(f"input '{name}' expects {fmt} data, got a dlarray labelled {x.fmt}")
                x = x.as_subclass(torch.Tensor)
            elif not isinstance(x, torch.Tensor):
                raise TypeError(f"input '{name}': pass a dlarray (dlarray(X, '{fmt}')) or a torch tensor")
            xs.append(x)
        if xs[0].device != self._device:  # MATLAB computes where the data is: follow it
            self.to(xs[0].device)
        return xs

    def _wrap(self, ys: Any) -> list[DLArray]:
        ys = ys if isinstance(ys, tuple) else (ys,)
        return [wrap(y, fmt) for y, fmt in zip(ys, self._out_fmt)]

    def forward(self, *X: Any) -> tuple[Any, ...]:
        """Training-mode pass (dropout on, batch statistics): returns (*outputs, State)."""
        ys = self._wrap(self._fn(*self._prepare(X, True)))
        return (*ys, self.State)

    def predict(self, *X: Any) -> Any:
        """Inference-mode pass (dropout off, trained statistics): the output, or a tuple of outputs."""
        ys = self._wrap(self._fn(*self._prepare(X, False)))
        return ys[0] if len(ys) == 1 else tuple(ys)

    def __repr__(self) -> str:
        return ("dlnetwork with properties:\n\n"
                f"         Layers: [{len(self._analysis.order)}×1 Layer]\n"
                f"    Connections: [{len(self.Connections)}×2 table]\n"
                f"     Learnables: [{len(self._learn_rows)}×3 table]\n"
                f"          State: [{len(self._state_rows)}×3 table]\n"
                f"     InputNames: {self.InputNames}\n"
                f"    OutputNames: {self.OutputNames}\n"
                f"    Initialized: {int(self.Initialized)}\n"
                f"  NumLearnables: {self.num_learnables():,}  ({matlab_size((len(self._learn_rows), 3))} rows)")

    def num_learnables(self) -> int:
        return sum(p.numel() for _, _, p, _ in self._learn_rows)


def forward(net: dlnetwork, *X: Any) -> tuple[Any, ...]:
    """MATLAB's `[Y, state] = forward(net, X1, X2, …)` → `Y, state = forward(net, X1, X2, …)`."""
    return net.forward(*X)


def predict(net: dlnetwork, *X: Any) -> Any:
    """MATLAB's `Y = predict(net, X1, X2, …)`."""
    return net.predict(*X)
