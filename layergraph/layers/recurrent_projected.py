"""lstmProjectedLayer and gruProjectedLayer: recurrent layers whose input and recurrent products go through
learnable projectors.

MATLAB replaces W·x by W·Qᵢ·Qᵢᵀ·x and R·h by R·Qₒ·Qₒᵀ·h, storing InputWeights = W·Qᵢ (G·H×InputProjectorSize,
G = 4 gates for LSTM, 3 for GRU), RecurrentWeights = R·Qₒ (G·H×OutputProjectorSize), InputProjector Qᵢ
(InputSize×InputProjectorSize) and OutputProjector Qₒ (NumHiddenUnits×OutputProjectorSize). The output and the
states keep NumHiddenUnits channels; only the products are projected. The pass runs lstmLayer's or gruLayer's
kernel with the products folded (InputWeights·Qᵢᵀ, RecurrentWeights·Qₒᵀ).
"""
from __future__ import annotations

from typing import ClassVar, Literal

import torch
from torch import nn

from layergraph.layers.base import fill, no_onnx
from layergraph.layers.options import NonNegative, PositiveInt, WeightsInit
from layergraph.layers.recurrent import GruBiasInit, GRULayer, LstmBiasInit, ResetMode, _Recurrent, _RecurrentModule
from layergraph.sizes import Act

ONNX_REASON = "{}: ONNX's {} operator has no input or output projector, so the layer cannot be exported to ONNX"


class _ProjectedModule(_RecurrentModule):
    """The recurrent module with MATLAB's five learnables of a projected layer (layout as MATLAB sizes them)."""

    def __init__(self, layer: _Projected, c: int) -> None:
        super().__init__(layer, c)
        rows, h = self.g * self.h, self.h
        pi, po = layer.InputProjectorSize, layer.OutputProjectorSize
        bias, states = self.layout["Bias"], {name: self.layout[name] for name in self.state_names}
        self.InputWeights = nn.Parameter(torch.empty(rows, pi))
        self.RecurrentWeights = nn.Parameter(torch.empty(rows, po))
        self.InputProjector = nn.Parameter(torch.empty(c, pi))
        self.OutputProjector = nn.Parameter(torch.empty(h, po))
        self.layout = {"InputWeights": ((0, 1), (rows, pi)), "RecurrentWeights": ((0, 1), (rows, po)),
                       "Bias": bias, "InputProjector": ((0, 1), (c, pi)), "OutputProjector": ((0, 1), (h, po)),
                       **states}

    def input_weights(self) -> torch.Tensor:
        return self.InputWeights @ self.InputProjector.t()  # (W·Qᵢ)·Qᵢᵀ: G·H×InputSize

    def recurrent_weights(self) -> torch.Tensor:
        return self.RecurrentWeights @ self.OutputProjector.t()  # (R·Qₒ)·Qₒᵀ: G·H×NumHiddenUnits


class _Projected(_Recurrent):
    """The options and learnables the projected layers add to their recurrent layer (MATLAB's names)."""

    OutputProjectorSize: PositiveInt
    InputProjectorSize: PositiveInt
    InputProjectorInitializer: WeightsInit = "orthogonal"
    OutputProjectorInitializer: WeightsInit = "orthogonal"
    InputProjectorLearnRateFactor: NonNegative = 1.0
    OutputProjectorLearnRateFactor: NonNegative = 1.0
    InputProjectorL2Factor: NonNegative = 1.0
    OutputProjectorL2Factor: NonNegative = 1.0
    positional: ClassVar[tuple[str, ...]] = ("NumHiddenUnits", "OutputProjectorSize", "InputProjectorSize")
    required: ClassVar[int] = 3
    size_rule: ClassVar[str] = "`NumHiddenUnits` channels; `'sequence'`: every time step (`CBT`), `'last'`: one (`CB`)"

    def learnable_names(self) -> list[str]:
        return ["InputWeights", "RecurrentWeights", "Bias", "InputProjector", "OutputProjector"]

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        h, c, rows = self.NumHiddenUnits, self._channels(inputs[0]), self.gates * self.NumHiddenUnits
        return {"InputWeights": (rows, self.InputProjectorSize), "RecurrentWeights": (rows, self.OutputProjectorSize),
                "Bias": (self._bias_rows(), 1), "InputProjector": (c, self.InputProjectorSize),
                "OutputProjector": (h, self.OutputProjectorSize)}

    def description(self) -> str:
        return (f"{self.type_label} with {self.NumHiddenUnits} hidden units, output projector size "
                f"{self.OutputProjectorSize}, and input projector size {self.InputProjectorSize}")

    def build(self, inputs: list[Act]) -> nn.Module:
        c, h, rows = self._channels(inputs[0]), self.NumHiddenUnits, self.gates * self.NumHiddenUnits
        pi, po = self.InputProjectorSize, self.OutputProjectorSize
        m = _ProjectedModule(self, c)
        fill(m, "InputWeights", self.InputWeightsInitializer, pi, rows)  # fan-in: the projected input
        fill(m, "RecurrentWeights", self.RecurrentWeightsInitializer, po, rows)
        fill(m, "InputProjector", self.InputProjectorInitializer, c, pi)
        fill(m, "OutputProjector", self.OutputProjectorInitializer, h, po)
        self._fill_bias(m)
        return m


class LSTMProjectedLayer(_Projected):
    """lstmProjectedLayer(numHiddenUnits, outputProjectorSize, inputProjectorSize): an LSTM with learnable
    projectors on its input and recurrent products; the output keeps NumHiddenUnits channels."""

    type: Literal["lstmProjectedLayer"] = "lstmProjectedLayer"
    CellState: list[float] | None = None
    BiasInitializer: LstmBiasInit = "unit-forget-gate"
    type_label: ClassVar[str] = "Projected LSTM"
    default_name: ClassVar[str] = "lstmp"
    onnx: ClassVar = no_onnx(ONNX_REASON.format("lstmProjectedLayer", "LSTM"))


class GRUProjectedLayer(_Projected):
    """gruProjectedLayer(numHiddenUnits, outputProjectorSize, inputProjectorSize): a GRU with learnable
    projectors on its input and recurrent products; the output keeps NumHiddenUnits channels."""

    type: Literal["gruProjectedLayer"] = "gruProjectedLayer"
    ResetGateMode: ResetMode = "after-multiplication"
    BiasInitializer: GruBiasInit = "zeros"
    type_label: ClassVar[str] = "Projected GRU"
    default_name: ClassVar[str] = "grup"
    onnx: ClassVar = no_onnx(ONNX_REASON.format("gruProjectedLayer", "GRU"))
    kind: ClassVar[str] = "gru"
    gates: ClassVar[int] = 3
    state_names: ClassVar[tuple[str, ...]] = ("HiddenState",)
    _bias_rows = GRULayer._bias_rows  # 3H, or 6H with the recurrent bias
