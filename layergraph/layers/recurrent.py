"""Recurrent layers: lstmLayer, gruLayer and bilstmLayer, with MATLAB's gate order, learnable sizes and states.

The equations (torch's fused kernels where they apply, MATLAB's step by step elsewhere) are
layers/recurrent_cell.py's, shared with the lstm and gru functions. HiddenState and CellState are state rows of
net.State: forward returns them updated to the last time step (H×N after a mini-batch of N), as does
`predict(…, nargout=2)`; plain predict leaves them alone.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import model_validator
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer, LayerModule, fill, onnx_emitter
from layergraph.layers.options import Lower, NonNegative, PositiveInt, WeightsInit, initializer
from layergraph.layers.recurrent_cell import Cell, run_recurrent
from layergraph.sizes import Act

LstmBiasInit = Annotated[str | Callable[..., Any], initializer(("unit-forget-gate", "narrow-normal", "ones", "zeros"))]
GruBiasInit = Annotated[str | Callable[..., Any], initializer(("zeros", "narrow-normal", "ones"))]
StateFn = Annotated[Literal["tanh", "softsign", "relu"], Lower]
GateFn = Annotated[Literal["sigmoid", "hard-sigmoid"], Lower]
ResetMode = Annotated[Literal["after-multiplication", "before-multiplication",
                              "recurrent-bias-after-multiplication"], Lower]

# ONNX's LSTM stacks its gates i, o, f, c and GRU z, r, h: ONNX block k is MATLAB block ONNX_GATE_ORDER[kind][k]
ONNX_GATE_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2]}


class _RecurrentModule(LayerModule):
    """One recurrent layer on B×C×T (or B×C, one time step) batches; parameters in MATLAB layout.

    `kind` is "lstm" or "gru"; `directions` 2 for bilstmLayer. With state inputs the hidden (and cell) state
    come in as B×(D·H) tensors; otherwise from the HiddenState/CellState buffers ((D·H)×1 or (D·H)×N, MATLAB
    layout), which a training-mode call replaces with the state after the last time step.
    """

    def __init__(self, layer: _Recurrent, c: int) -> None:
        super().__init__()
        h, d, g = layer.NumHiddenUnits, layer.directions, layer.gates
        self.kind, self.h, self.d, self.g = layer.kind, h, d, g
        self.last = layer.OutputMode == "last"
        self.state_in, self.state_out = layer.HasStateInputs, layer.HasStateOutputs
        self.state_fn, self.gate_fn = layer.StateActivationFunction, layer.GateActivationFunction
        self.reset_mode = getattr(layer, "ResetGateMode", "")
        self.recurrent_bias = self.reset_mode == "recurrent-bias-after-multiplication"
        nb = (2 if self.recurrent_bias else 1) * g * h * d
        self.InputWeights = nn.Parameter(torch.empty(g * h * d, c))
        self.RecurrentWeights = nn.Parameter(torch.empty(g * h * d, h))
        self.Bias = nn.Parameter(torch.empty(nb))
        self.layout = {"InputWeights": ((0, 1), (g * h * d, c)), "RecurrentWeights": ((0, 1), (g * h * d, h)),
                       "Bias": ((0,), (nb, 1))}
        self.state_names: tuple[str, ...] = () if self.state_in else layer.state_names
        # the state moves on in training-mode calls, and in predict when dlnetwork asks for the state (nargout)
        self.track_state = False
        for name in self.state_names:
            self.register_buffer(name, layer.initial_state(name))
            self.layout[name] = ((0, 1), (d * h, 1))
        self.cell = Cell(self.kind, h, d, self.state_fn, self.gate_fn, self.reset_mode or "after-multiplication")
        self.fused = self.cell.fusable  # torch's kernel (tests force the step loop by setting this False)

    # states keep the columns the last mini-batch gave them (H×N), so their MATLAB size is the buffer's own
    def to_matlab(self, name: str) -> torch.Tensor:
        if name in self.state_names:
            return getattr(self, name).detach().clone()
        return super().to_matlab(name)

    def from_matlab(self, name: str, value: Any) -> None:
        if name not in self.state_names:
            super().from_matlab(name, value)
            return
        old = getattr(self, name)
        arr = torch.as_tensor(np.asarray(value), dtype=old.dtype, device=old.device)
        rows = self.d * self.h
        if arr.numel() % rows or arr.dim() > 2 or arr.numel() == 0:
            raise ValueError(f"{name}: expected MATLAB size {rows}×1 or {rows}×N, got "
                             f"{'×'.join(map(str, arr.shape))}")
        self._buffers[name] = arr.reshape(rows, -1).clone()

    # ----- the pass ---------------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, *given: torch.Tensor) -> Any:
        seq = x.unsqueeze(2) if x.dim() == 2 else x  # "CB" data is one time step
        n = seq.shape[0]
        states = [self._initial(s, n) for s in given] if self.state_in else \
            [self._stored(name, n) for name in self.state_names]
        y, finals = self._run(seq.transpose(1, 2), states)  # y: B×T×(D·H); finals: B×(D·H) each
        if (self.training or self.track_state) and not self.state_in:
            for name, value in zip(self.state_names, finals):  # kept in the buffer's dtype (float32 under autocast)
                self._buffers[name] = value.detach().t().to(getattr(self, name).dtype).contiguous()
        out = y[:, -1] if (self.last or x.dim() == 2) else y.transpose(1, 2)
        return (out, *finals) if self.state_out else out

    @staticmethod
    def _initial(s: torch.Tensor, n: int) -> torch.Tensor:
        return s.expand(n, -1) if s.shape[0] == 1 and n > 1 else s

    def _stored(self, name: str, n: int) -> torch.Tensor:
        s = getattr(self, name)
        if s.shape[1] not in (1, n):
            raise NetworkError(f"{name} holds the state of {s.shape[1]} observations but the mini-batch has {n}; "
                               "reset it with net = resetState(net)")
        return s.t().expand(n, -1)

    def _run(self, x: torch.Tensor, states: list[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return run_recurrent(self.cell, x, states, self.input_weights(), self.recurrent_weights(), self.Bias,
                             training=self.training, fused=self.fused)

    def input_weights(self) -> torch.Tensor:
        """The matrix multiplying the input of every gate (lstmProjectedLayer: InputWeights·InputProjectorᵀ)."""
        return self.InputWeights

    def recurrent_weights(self) -> torch.Tensor:
        """The matrix multiplying the hidden state (lstmProjectedLayer: RecurrentWeights·OutputProjectorᵀ)."""
        return self.RecurrentWeights


class _Recurrent(Layer):
    """Options shared by the recurrent layers (MATLAB's names and defaults)."""

    NumHiddenUnits: PositiveInt
    OutputMode: Annotated[Literal["sequence", "last"], Lower] = "sequence"
    HasStateInputs: bool = False
    HasStateOutputs: bool = False
    InputSize: PositiveInt | Literal["auto"] = "auto"
    StateActivationFunction: StateFn = "tanh"
    GateActivationFunction: GateFn = "sigmoid"
    HiddenState: list[float] | None = None  # the initial hidden state (zeros when not given), as MATLAB
    InputWeightsInitializer: WeightsInit = "glorot"
    RecurrentWeightsInitializer: WeightsInit = "orthogonal"
    InputWeightsLearnRateFactor: NonNegative = 1.0
    RecurrentWeightsLearnRateFactor: NonNegative = 1.0
    BiasLearnRateFactor: NonNegative = 1.0
    InputWeightsL2Factor: NonNegative = 1.0
    RecurrentWeightsL2Factor: NonNegative = 1.0
    BiasL2Factor: NonNegative = 0.0

    positional: ClassVar[tuple[str, ...]] = ("NumHiddenUnits",)
    required: ClassVar[int] = 1
    family: ClassVar[str] = "other"
    onnx: ClassVar = onnx_emitter(imports=("LSTM",))
    kind: ClassVar[str] = "lstm"
    gates: ClassVar[int] = 4
    directions: ClassVar[int] = 1
    state_names: ClassVar[tuple[str, ...]] = ("HiddenState", "CellState")

    @model_validator(mode="after")
    def _initial_states(self) -> _Recurrent:
        rows = self.directions * self.NumHiddenUnits
        for name in self.state_names:
            value = getattr(self, name, None)
            if value is None:
                continue
            if self.HasStateInputs:
                raise ValueError(f"{name} must be empty when HasStateInputs is true (the state comes in through "
                                 "a port)")
            if len(value) != rows:
                each = "one per hidden unit, both directions" if self.directions == 2 else "one per hidden unit"
                raise ValueError(f"{name} must have {rows} values ({each}), got {len(value)}")
        return self

    # ----- ports -----------------------------------------------------------------------------------------
    @property
    def input_names(self) -> list[str]:
        return ["in", *(s.removesuffix("State").lower() for s in self.state_names)] if self.HasStateInputs \
            else ["in"]

    @property
    def output_names(self) -> list[str]:
        return ["out", *(s.removesuffix("State").lower() for s in self.state_names)] if self.HasStateOutputs \
            else ["out"]

    # ----- sizes -----------------------------------------------------------------------------------------
    def _channels(self, act: Act) -> int:
        if act.fmt not in ("CT", "C"):
            raise NetworkError(f"{self.type} expects sequence (CBT) or feature (CB) input but got {act.fmt}-format "
                               f"size {act}")
        if self.InputSize != "auto" and self.InputSize != act.channels:
            raise NetworkError(f"{self.type} expects input size {self.InputSize} but got {act.channels} channels")
        return act.channels

    def output_sizes(self, inputs: list[Act]) -> list[Act]:
        act = inputs[0]
        self._channels(act)
        width = self.directions * self.NumHiddenUnits
        for port, given in zip(self.input_names[1:], inputs[1:]):
            if given.fmt != "C" or given.channels != width:
                raise NetworkError(f"{self.type}: the '{port}' input must be {width} state values per observation "
                                   f"(CB), got {given.fmt}-format size {given}")
        seq = act.fmt == "CT" and self.OutputMode == "sequence"
        out = Act((width, act.time or 1), "CT") if seq else Act((width,), "C")
        return [out] + [Act((width,), "C")] * (len(self.output_names) - 1)

    def output_size(self, inputs: list[Act]) -> Act:
        return self.output_sizes(inputs)[0]

    def learnable_names(self) -> list[str]:
        return ["InputWeights", "RecurrentWeights", "Bias"]

    def _bias_rows(self) -> int:
        return self.directions * self.gates * self.NumHiddenUnits

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        rows = self.directions * self.gates * self.NumHiddenUnits
        return {"InputWeights": (rows, self._channels(inputs[0])), "RecurrentWeights": (rows, self.NumHiddenUnits),
                "Bias": (self._bias_rows(), 1)}

    def states(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        if self.HasStateInputs:
            return {}
        return {name: (self.directions * self.NumHiddenUnits, 1) for name in self.state_names}

    def initial_state(self, name: str) -> torch.Tensor:
        """The (D·H)×1 initial value of HiddenState/CellState: the option when given, else zeros."""
        rows = self.directions * self.NumHiddenUnits
        value = getattr(self, name, None)  # its length is checked when the layer is made
        return torch.zeros(rows, 1) if value is None else torch.tensor(value, dtype=torch.float32).reshape(rows, 1)

    def description(self) -> str:
        return f"{self.type_label} with {self.NumHiddenUnits} hidden units"

    def build(self, inputs: list[Act]) -> nn.Module:
        c = self._channels(inputs[0])
        m = _RecurrentModule(self, c)
        rows = self.directions * self.gates * self.NumHiddenUnits  # glorot's fan-out: every gate row (MATLAB)
        fill(m, "InputWeights", self.InputWeightsInitializer, c, rows)
        fill(m, "RecurrentWeights", self.RecurrentWeightsInitializer, self.NumHiddenUnits, rows)
        self._fill_bias(m)
        return m

    def _fill_bias(self, m: _RecurrentModule) -> None:
        method = self.BiasInitializer  # type: ignore[attr-defined]
        if method != "unit-forget-gate":
            fill(m, "Bias", method, self.NumHiddenUnits, self._bias_rows())
            return
        with torch.no_grad():  # ones for the forget gate (rows H+1…2H of each direction), zeros elsewhere
            m.Bias.zero_()
            h = self.NumHiddenUnits
            for k in range(self.directions):
                m.Bias[k * 4 * h + h:k * 4 * h + 2 * h] = 1.0


class LSTMLayer(_Recurrent):
    """lstmLayer(numHiddenUnits): long short-term memory over the time steps of "CBT" data."""

    type: Literal["lstmLayer"] = "lstmLayer"
    CellState: list[float] | None = None  # the initial cell state (zeros when not given)
    BiasInitializer: LstmBiasInit = "unit-forget-gate"
    type_label: ClassVar[str] = "LSTM"
    size_rule: ClassVar[str] = "`NumHiddenUnits` channels; `'sequence'`: every time step (`CBT`), `'last'`: one (`CB`)"
    default_name: ClassVar[str] = "lstm"


class BiLSTMLayer(_Recurrent):
    """bilstmLayer(numHiddenUnits): an LSTM forward and one backward in time; outputs [forward; backward]."""

    type: Literal["bilstmLayer"] = "bilstmLayer"
    CellState: list[float] | None = None
    BiasInitializer: LstmBiasInit = "unit-forget-gate"
    type_label: ClassVar[str] = "BiLSTM"
    size_rule: ClassVar[str] = ("`2·NumHiddenUnits` channels; `'sequence'`: every time step (`CBT`), `'last'`: one "
                                "(`CB`)")
    default_name: ClassVar[str] = "bilstm"
    directions: ClassVar[int] = 2


class GRULayer(_Recurrent):
    """gruLayer(numHiddenUnits): gated recurrent unit over the time steps of "CBT" data."""

    type: Literal["gruLayer"] = "gruLayer"
    ResetGateMode: ResetMode = "after-multiplication"
    BiasInitializer: GruBiasInit = "zeros"
    type_label: ClassVar[str] = "GRU"
    size_rule: ClassVar[str] = "`NumHiddenUnits` channels; `'sequence'`: every time step (`CBT`), `'last'`: one (`CB`)"
    default_name: ClassVar[str] = "gru"
    onnx: ClassVar = onnx_emitter(imports=("GRU",))
    kind: ClassVar[str] = "gru"
    gates: ClassVar[int] = 3
    state_names: ClassVar[tuple[str, ...]] = ("HiddenState",)

    def _bias_rows(self) -> int:
        # recurrent-bias-after-multiplication adds a recurrent bias for every gate: 6H×1 (MATLAB)
        return (2 if self.ResetGateMode == "recurrent-bias-after-multiplication" else 1) * 3 * self.NumHiddenUnits
