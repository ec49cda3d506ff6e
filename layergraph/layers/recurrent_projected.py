"""lstmProjectedLayer: an LSTM whose input and recurrent products go through learnable projectors.

MATLAB replaces W·x by W·Qᵢᵀ·x and R·h by R·Qₒᵀ·h, storing InputWeights = W·Qᵢ (4H×InputProjectorSize),
RecurrentWeights = R·Qₒ (4H×OutputProjectorSize), InputProjector Qᵢ (InputSize×InputProjectorSize) and
OutputProjector Qₒ (NumHiddenUnits×OutputProjectorSize). The output and the states keep NumHiddenUnits
channels; only the products are projected. The pass runs lstmLayer's kernel with the two products folded.
"""
from __future__ import annotations

from typing import ClassVar, Literal

import torch
from torch import nn

from layergraph.layers.base import fill, no_onnx
from layergraph.layers.options import NonNegative, PositiveInt, WeightsInit
from layergraph.layers.recurrent import LstmBiasInit, _Recurrent, _RecurrentModule
from layergraph.sizes import Act

ONNX_REASON = ("lstmProjectedLayer: ONNX's LSTM operator has no input or output projector, so the layer "
               "cannot be exported to ONNX")


class _ProjectedModule(_RecurrentModule):
    """lstmLayer's module with MATLAB's five learnables of the projected layer (layout as MATLAB sizes them)."""

    def __init__(self, layer: LSTMProjectedLayer, c: int) -> None:
        super().__init__(layer, c)
        h, pi, po = layer.NumHiddenUnits, layer.InputProjectorSize, layer.OutputProjectorSize
        states = {name: self.layout[name] for name in self.state_names}
        self.InputWeights = nn.Parameter(torch.empty(4 * h, pi))
        self.RecurrentWeights = nn.Parameter(torch.empty(4 * h, po))
        self.InputProjector = nn.Parameter(torch.empty(c, pi))
        self.OutputProjector = nn.Parameter(torch.empty(h, po))
        self.layout = {"InputWeights": ((0, 1), (4 * h, pi)), "RecurrentWeights": ((0, 1), (4 * h, po)),
                       "Bias": ((0,), (4 * h, 1)), "InputProjector": ((0, 1), (c, pi)),
                       "OutputProjector": ((0, 1), (h, po)), **states}

    def input_weights(self) -> torch.Tensor:
        return self.InputWeights @ self.InputProjector.t()  # (W·Qᵢ)·Qᵢᵀ: 4H×InputSize

    def recurrent_weights(self) -> torch.Tensor:
        return self.RecurrentWeights @ self.OutputProjector.t()  # (R·Qₒ)·Qₒᵀ: 4H×NumHiddenUnits


class LSTMProjectedLayer(_Recurrent):
    """lstmProjectedLayer(numHiddenUnits, outputProjectorSize, inputProjectorSize): an LSTM with learnable
    projectors on its input and recurrent products; the output keeps NumHiddenUnits channels."""

    type: Literal["lstmProjectedLayer"] = "lstmProjectedLayer"
    OutputProjectorSize: PositiveInt
    InputProjectorSize: PositiveInt
    CellState: list[float] | None = None
    BiasInitializer: LstmBiasInit = "unit-forget-gate"
    InputProjectorInitializer: WeightsInit = "orthogonal"
    OutputProjectorInitializer: WeightsInit = "orthogonal"
    InputProjectorLearnRateFactor: NonNegative = 1.0
    OutputProjectorLearnRateFactor: NonNegative = 1.0
    InputProjectorL2Factor: NonNegative = 1.0
    OutputProjectorL2Factor: NonNegative = 1.0
    type_label: ClassVar[str] = "Projected LSTM"
    size_rule: ClassVar[str] = "`NumHiddenUnits` channels; `'sequence'`: every time step (`CBT`), `'last'`: one (`CB`)"
    default_name: ClassVar[str] = "lstmp"
    positional: ClassVar[tuple[str, ...]] = ("NumHiddenUnits", "OutputProjectorSize", "InputProjectorSize")
    required: ClassVar[int] = 3
    onnx: ClassVar = no_onnx(ONNX_REASON)

    def learnable_names(self) -> list[str]:
        return ["InputWeights", "RecurrentWeights", "Bias", "InputProjector", "OutputProjector"]

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        h, c = self.NumHiddenUnits, self._channels(inputs[0])
        return {"InputWeights": (4 * h, self.InputProjectorSize), "RecurrentWeights": (4 * h, self.OutputProjectorSize),
                "Bias": (4 * h, 1), "InputProjector": (c, self.InputProjectorSize),
                "OutputProjector": (h, self.OutputProjectorSize)}

    def description(self) -> str:
        return (f"Projected LSTM with {self.NumHiddenUnits} hidden units, output projector size "
                f"{self.OutputProjectorSize}, and input projector size {self.InputProjectorSize}")

    def build(self, inputs: list[Act]) -> nn.Module:
        c, h = self._channels(inputs[0]), self.NumHiddenUnits
        pi, po = self.InputProjectorSize, self.OutputProjectorSize
        m = _ProjectedModule(self, c)
        fill(m, "InputWeights", self.InputWeightsInitializer, pi, 4 * h)  # fan-in: the projected input
        fill(m, "RecurrentWeights", self.RecurrentWeightsInitializer, po, 4 * h)
        fill(m, "InputProjector", self.InputProjectorInitializer, c, pi)
        fill(m, "OutputProjector", self.OutputProjectorInitializer, h, po)
        self._fill_bias(m)
        return m
