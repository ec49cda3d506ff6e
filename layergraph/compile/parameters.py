"""What a dlnetwork holds: its learnables and state as MATLAB tables, getLearnable/setLearnable in MATLAB
layout, the tensors a checkpoint saves, the learn-rate and L2 factors, and a pass run on copies of the state.

NetworkParameters is mixed into dlnetwork (layergraph/compile/dlnetwork.py), which builds what it reads: the
compiled module and its layer keys, the graph, the analysis and the rows below.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

import numpy as np
import torch
from torch import nn

from layergraph.dlarray import DLArray
from layergraph.errors import NetworkError, SpecError
from layergraph.graph.infer import Analysis
from layergraph.graph.layergraph import LayerGraph
from layergraph.layers.base import LayerModule
from layergraph.table import Table

__all__ = ["NetworkParameters", "Rows"]

# (layer, parameter, the live tensor in torch layout, its size in MATLAB layout), one per learnable or state
Rows = list[tuple[str, str, torch.Tensor, tuple[int, ...]]]


class NetworkParameters:
    """The learnables and state of a compiled network (a mixin of dlnetwork)."""

    module: Any
    analysis: Analysis
    _lgraph: LayerGraph
    _keys: dict[str, str]
    _known: dict[tuple[str, str], torch.Tensor]
    _learn_rows: Rows
    _state_rows: Rows
    _recurrent: list[nn.Module]

    def layer_module(self, name: str) -> nn.Module:
        """The compiled torch module of layer `name`."""
        if name not in self._keys:
            raise KeyError(f"no layer named '{name}' in the network")
        return getattr(self.module, self._keys[name])

    def _need_init(self, what: str) -> Self:
        if self.module is None:
            raise NetworkError(f"{what}: the network is not initialized; call net = initialize(net) "
                               "(with example inputs for a network without input layers)")
        return self

    def _collect_rows(self) -> tuple[Rows, Rows]:
        learn, state = [], []
        for name in self.analysis.order:
            layer = self._lgraph.layer(name)
            module = self.layer_module(name)
            ins = self.analysis.inputs.get(name, [])
            shapes = {**layer.learnables(ins), **layer.states(ins)} if not layer.is_input else {}
            for pname, p in module.named_parameters(recurse=False):
                learn.append((name, pname, p, shapes.get(pname, tuple(p.shape))))
            if isinstance(module, LayerModule):
                for bname, b in module.named_buffers(recurse=False):
                    if bname in module.layout:  # a recurrent state is H×N after a mini-batch of N: its own size
                        state.append((name, bname, b, tuple(module.to_matlab(bname).shape)))
        return learn, state

    def _values(self) -> dict[tuple[str, str], torch.Tensor]:
        """Every learnable and state value in MATLAB layout, to carry into an edited network."""
        if self.module is None:
            return dict(self._known)
        out = {}
        for lay, par, _, _ in self._learn_rows + self._state_rows:
            module = self.layer_module(lay)
            if isinstance(module, LayerModule) and par in module.layout:
                out[(lay, par)] = module.to_matlab(par)
        return out

    def _restore(self, values: dict[tuple[str, str], torch.Tensor]) -> None:
        """Write carried values back where the layer and its parameter's size are unchanged."""
        for (lay, par), value in values.items():
            module = self.layer_module(lay) if lay in self._keys else None
            if isinstance(module, LayerModule) and par in module.layout and \
                    tuple(module.layout[par][1]) == tuple(value.shape):
                module.from_matlab(par, value)

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
        if self._assign(self._state_rows, table, "State"):  # a recurrent state changed its number of columns
            self._learn_rows, self._state_rows = self._collect_rows()

    def _assign(self, rows: Rows, table: Table, what: str) -> bool:
        """Copy the table's values into the rows' tensors; True when a state took a new size (H×N)."""
        if len(table) != len(rows):
            raise ValueError(f"{what}: expected {len(rows)} rows, got {len(table)}")
        resized = False
        with torch.no_grad():
            for (lay, par, target, _), (tl, tp, value) in zip(rows, table):
                if (lay, par) != (tl, tp):
                    raise ValueError(f"{what}: row for {lay}/{par} expected, got {tl}/{tp}")
                if value is target:
                    continue
                value = torch.as_tensor(value)
                if what == "State" and value.numel() != target.numel():
                    self.layer_module(lay).from_matlab(par, value)  # recurrent states: H×1 or H×N
                    resized = True
                else:
                    target.copy_(value.reshape(target.shape))
        return resized

    def _parameter_module(self, layer: str, param: str) -> LayerModule:
        module = self._need_init("getLearnable").layer_module(layer)
        if not isinstance(module, LayerModule) or param not in module.layout:
            raise KeyError(f"layer '{layer}' has no parameter '{param}'")
        return module

    def getLearnable(self, layer: str, param: str) -> np.ndarray:
        """A learnable or state value in MATLAB layout (numpy)."""
        return self._parameter_module(layer, param).to_matlab(param).cpu().numpy()

    def setLearnable(self, layer: str, param: str, value: Any) -> None:
        """Write a learnable or state value given in MATLAB layout (e.g. weights exported from MATLAB)."""
        try:
            self._parameter_module(layer, param).from_matlab(param, value)
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
        resized = False
        with torch.no_grad():
            for key, target in own.items():
                if key not in tensors:
                    continue
                value = tensors[key]
                if tuple(value.shape) != tuple(target.shape):
                    lay, _, par = key.partition("/")
                    module = self.layer_module(lay)
                    if par in getattr(module, "state_names", ()):  # a recurrent state saved as H×N: kept so
                        module.from_matlab(par, value)
                        resized = True
                        continue
                    raise SpecError(f"'{key}' has shape {list(value.shape)} in the checkpoint but "
                                    f"{list(target.shape)} in the network")
                target.copy_(value)
        if resized:
            self._learn_rows, self._state_rows = self._collect_rows()

    def getLearnRateFactor(self, layer: str, param: str) -> float:
        """The learn-rate factor of a parameter (adamupdate/sgdmupdate/rmspropupdate multiply the learning
        rate by it when given the network)."""
        return self._lgraph.layer(layer).factor("LearnRate", param)

    def setLearnRateFactor(self, layer: str, param: str, factor: float) -> Self:
        return self._set_factor("LearnRate", layer, param, factor)

    def getL2Factor(self, layer: str, param: str) -> float:
        return self._lgraph.layer(layer).factor("L2", param)

    def setL2Factor(self, layer: str, param: str, factor: float) -> Self:
        return self._set_factor("L2", layer, param, factor)

    def _set_factor(self, kind: str, layer: str, param: str, factor: float) -> Self:
        """Set the factor on the layer (in place: the compiled modules do not depend on it) and return the net."""
        new_layer = self._lgraph.layer(layer).with_factor(kind, param, factor)
        self._lgraph.graph.nodes[layer]["layer"] = new_layer
        return self

    def learn_rate_factors(self) -> list[float]:
        """The learn-rate factor of each Learnables row (1 where the layer has none)."""
        return [self._lgraph.layer(lay).factor("LearnRate", par) for lay, par, _, _ in self._learn_rows]

    def _stateful(self, run: Callable[[], list[DLArray]]) -> tuple[list[DLArray], Table]:
        """Run a pass on copies of the state tensors and return its outputs and the State it leaves; the network's
        own tensors are put back untouched. Recurrent layers update their state in this pass (predict too)."""
        # torch updates running statistics in place, and autograd keeps the tensors it saw for the backward pass:
        # so the pass runs on copies, handed back as State
        rows = self._state_rows
        homes = [self.layer_module(lay)._buffers for lay, _, _, _ in rows]
        recurrent = self._recurrent
        for home, (_, name, t, _) in zip(homes, rows):
            home[name] = t.detach().clone()
        for m in recurrent:
            m.track_state = True
        try:
            ys = run()
            after = [home[name] for home, (_, name, _, _) in zip(homes, rows)]
        finally:
            for home, (_, name, t, _) in zip(homes, rows):
                home[name] = t
            for m in recurrent:
                m.track_state = False
        shapes = [tuple(a.shape) if a.shape != r[2].shape else r[3] for a, r in zip(after, rows)]  # H×N states
        return ys, Table([r[0] for r in rows], [r[1] for r in rows], after, shapes)

    def num_learnables(self) -> int:
        return sum(p.numel() for _, _, p, _ in self._learn_rows)
