"""fullyConnectedLayer, the examples' custom projectAndReshapeLayer and embeddingLayer, and the Text Analytics
Toolbox's wordEmbeddingLayer."""
from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer, LayerModule, WithInitializers, fill, fmt_vec, no_onnx, onnx_emitter
from layergraph.layers.options import Lower, NonNegative, PositiveInt, WeightsInit, positive_ints
from layergraph.sizes import Act


def flatten_matlab(x: torch.Tensor) -> torch.Tensor:
    """Flatten NCHW (or N×C×S) column-major like MATLAB (h fastest, then w, then c), so MATLAB weights load
    as-is."""
    if x.dim() == 4:
        return x.transpose(-1, -2).reshape(x.shape[0], -1)
    return x.reshape(x.shape[0], -1) if x.dim() == 3 else x


def unflatten_matlab(x: torch.Tensor, size: tuple[int, int, int]) -> torch.Tensor:
    """MATLAB's column-major reshape of N×(h·w·c) features to N×C×H×W (a view, no copy)."""
    h, w, c = size
    return x.view(x.shape[0], c, w, h).transpose(-1, -2)


class _Dense(LayerModule):
    """y = W·x + b on MATLAB-flattened input; optionally reshaped to an image like MATLAB."""

    def __init__(self, n_in: int, n_out: int, image_out: tuple[int, int, int] | None, bias_shape: tuple) -> None:
        super().__init__()
        self.Weights = nn.Parameter(torch.empty(n_out, n_in))
        self.Bias = nn.Parameter(torch.empty(n_out))
        self.layout = {"Weights": ((0, 1), (n_out, n_in)), "Bias": ((0,), bias_shape)}
        self.image_out = image_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(flatten_matlab(x), self.Weights, self.Bias)
        return y if self.image_out is None else unflatten_matlab(y, self.image_out)


class _DenseOverTime(_Dense):
    """fullyConnectedLayer on sequences (B×C×T): the same W·x + b at every time step."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x.transpose(1, 2), self.Weights, self.Bias).transpose(1, 2)


class FullyConnectedLayer(WithInitializers):
    """fullyConnectedLayer(outputSize): y = W·x + b; spatial input is flattened column-major.

    As in MATLAB's dlnetwork, image (SSC) and 1-D (SC) input give "C" (CB) output; sequences (CT) stay sequences.
    """

    type: Literal["fullyConnectedLayer"] = "fullyConnectedLayer"
    OutputSize: PositiveInt
    InputSize: int | Literal["auto"] = "auto"
    type_label: ClassVar[str] = "Fully Connected"
    size_rule: ClassVar[str] = "`OutputSize` for feature, image and 1-D input; `OutputSize×T` for sequences"
    default_name: ClassVar[str] = "fc"
    positional: ClassVar[tuple[str, ...]] = ("OutputSize",)
    required: ClassVar[int] = 1
    family: ClassVar[str] = "dense"
    onnx: ClassVar = onnx_emitter(imports=("Gemm", "MatMul"))

    def _n_in(self, act: Act) -> int:
        n = act.channels if "T" in act.fmt else act.numel
        if self.InputSize != "auto" and self.InputSize != n:
            raise NetworkError(f"{self.type} expects input size {self.InputSize} but got {act}")
        return n

    def output_size(self, inputs: list[Act]) -> Act:
        self._n_in(inputs[0])
        if "T" in inputs[0].fmt:
            return Act((self.OutputSize, inputs[0].time or 1), "CT")
        return Act((self.OutputSize,), "C")

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        return {"Weights": (self.OutputSize, self._n_in(inputs[0])), "Bias": (self.OutputSize, 1)}

    def description(self) -> str:
        return f"{self.OutputSize} fully connected layer"

    def build(self, inputs: list[Act]) -> nn.Module:
        n_in = self._n_in(inputs[0])
        kind = _DenseOverTime if "T" in inputs[0].fmt else _Dense
        m = kind(n_in, self.OutputSize, None, (self.OutputSize, 1))
        fill(m, "Weights", self.WeightsInitializer, n_in, self.OutputSize)
        fill(m, "Bias", self.BiasInitializer, n_in, self.OutputSize)
        return m


class ProjectAndReshapeLayer(WithInitializers):
    """projectAndReshapeLayer(outputSize[, numChannels, name]): fully connected projection reshaped to H×W×C.

    The custom layer of MATLAB's GAN example; Weights prod(outputSize)×numChannels, Bias prod(outputSize)×1.
    """

    type: Literal["projectAndReshapeLayer"] = "projectAndReshapeLayer"
    OutputSize: Annotated[tuple[int, int, int], positive_ints(3, "[h w c]")]
    NumChannels: int | Literal["auto"] = "auto"
    type_label: ClassVar[str] = "projectAndReshapeLayer"
    size_rule: ClassVar[str] = "`OutputSize` (h×w×c)"
    default_name: ClassVar[str] = "layer"
    positional: ClassVar[tuple[str, ...]] = ("OutputSize", "NumChannels", "Name")
    required: ClassVar[int] = 1
    family: ClassVar[str] = "dense"
    onnx: ClassVar = onnx_emitter()  # imported from Gemm (+ Flatten) + Reshape, folded after the walk

    def _n_in(self, act: Act) -> int:
        if self.NumChannels != "auto" and self.NumChannels != act.numel:
            raise NetworkError(f"{self.type} expects {self.NumChannels} input channels but got {act}")
        return act.numel

    def output_size(self, inputs: list[Act]) -> Act:
        self._n_in(inputs[0])
        return Act(self.OutputSize, "SSC")

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        n = math.prod(self.OutputSize)
        return {"Weights": (n, self._n_in(inputs[0])), "Bias": (n, 1)}

    def description(self) -> str:
        return f"Project and reshape layer with output size {fmt_vec(self.OutputSize)}"

    def build(self, inputs: list[Act]) -> nn.Module:
        n_in, n_out = self._n_in(inputs[0]), math.prod(self.OutputSize)
        m = _Dense(n_in, n_out, self.OutputSize, (n_out, 1))
        fill(m, "Weights", self.WeightsInitializer, n_in, n_out)
        fill(m, "Bias", self.BiasInitializer, n_in, n_out)
        return m


def lookup(index: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Row `index` (1-based, as MATLAB) of a numWords×dim table for every index: shape index.shape + (dim,)."""
    return F.embedding(index.long() - 1, table)


class _Embed(LayerModule):
    """Look up column `index` (1-based, as MATLAB) of an embeddingDimension×inputDimension matrix."""

    def __init__(self, dim: int, classes: int) -> None:
        super().__init__()
        self.Weights = nn.Parameter(torch.empty(classes, dim))
        self.layout = {"Weights": ((1, 0), (dim, classes))}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return lookup(x.reshape(x.shape[0]), self.Weights)


class EmbeddingLayer(Layer):
    """embeddingLayer(embeddingDimension, inputDimension): the CGAN example's label embedding (1-based)."""

    type: Literal["embeddingLayer"] = "embeddingLayer"
    OutputSize: PositiveInt
    InputSize: PositiveInt
    WeightsInitializer: WeightsInit = "narrow-normal"
    type_label: ClassVar[str] = "embeddingLayer"
    size_rule: ClassVar[str] = "`OutputSize` (the embedding dimension)"
    default_name: ClassVar[str] = "layer"
    positional: ClassVar[tuple[str, ...]] = ("OutputSize", "InputSize")
    required: ClassVar[int] = 2
    family: ClassVar[str] = "dense"
    onnx: ClassVar = onnx_emitter(imports=("Gather",))

    def output_size(self, inputs: list[Act]) -> Act:
        if inputs[0].numel != 1:
            raise NetworkError(f"{self.type} expects one channel holding the class index, got {inputs[0]}")
        return Act((self.OutputSize,), "C")

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        return {"Weights": (self.OutputSize, self.InputSize)}

    def description(self) -> str:
        return f"Embedding layer with dimension {self.OutputSize}"

    def build(self, inputs: list[Act]) -> nn.Module:
        m = _Embed(self.OutputSize, self.InputSize)
        fill(m, "Weights", self.WeightsInitializer, self.InputSize, self.OutputSize)
        return m


class _WordEmbed(LayerModule):
    """Column k of Weights (Dimension×columns) for word index k = 1…NumWords at each position; any other value
    (0, beyond NumWords, not a whole number) is out of vocabulary: the last column, or an error."""

    def __init__(self, dim: int, num_words: int, oov_to_last: bool) -> None:
        super().__init__()
        columns = num_words + 1 if oov_to_last else num_words
        self.Weights = nn.Parameter(torch.empty(dim, columns))
        self.layout = {"Weights": ((0, 1), (dim, columns))}
        self.num_words, self.oov_to_last = num_words, oov_to_last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        idx = x[:, 0].detach()  # B×positions: the one channel holds the word indices
        known = (idx >= 1) & (idx <= self.num_words) & (idx == torch.round(idx))
        if not self.oov_to_last and not bool(known.all()):
            bad = idx[~known].flatten()[0].item()
            raise NetworkError(f"wordEmbeddingLayer: word index {bad:g} is out of vocabulary (1…{self.num_words}) "
                               "and OOVMode is 'error'")
        cols = torch.where(known, idx, torch.full_like(idx, self.num_words + 1)).long() - 1
        out = self.Weights.to(x.dtype)[:, cols]  # Dimension×B×positions
        return out.movedim(0, 1)


class WordEmbeddingLayer(Layer):
    """wordEmbeddingLayer(dimension, numWords): word indices (one channel) to learned Dimension-channel vectors,
    at every position of the input; format kept (CBT in, CBT out)."""

    type: Literal["wordEmbeddingLayer"] = "wordEmbeddingLayer"
    Dimension: PositiveInt
    NumWords: PositiveInt
    OOVMode: Annotated[Literal["map-to-last", "error"], Lower] = "map-to-last"
    WeightsInitializer: WeightsInit = "narrow-normal"  # N(0, 0.01²), MATLAB's default
    WeightLearnRateFactor: NonNegative = 1.0
    WeightL2Factor: NonNegative = 1.0
    type_label: ClassVar[str] = "Word Embedding Layer"
    size_rule: ClassVar[str] = "the input's positions with `Dimension` channels"
    default_name: ClassVar[str] = "word_embedding"
    positional: ClassVar[tuple[str, ...]] = ("Dimension", "NumWords")
    required: ClassVar[int] = 2
    family: ClassVar[str] = "dense"
    onnx: ClassVar = no_onnx("wordEmbeddingLayer: the out-of-vocabulary mapping has no ONNX export written yet")

    def output_size(self, inputs: list[Act]) -> Act:
        if inputs[0].channels != 1:
            raise NetworkError(f"{self.type} expects one channel holding the word indices, got {inputs[0]} "
                               f"({inputs[0].fmt})")
        return inputs[0].with_size(C=self.Dimension)

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        extra = 1 if self.OOVMode == "map-to-last" else 0  # the out-of-vocabulary vector is the last column
        return {"Weights": (self.Dimension, self.NumWords + extra)}

    def description(self) -> str:
        return f"Word embedding layer with {self.Dimension} dimensions and {self.NumWords} unique words"

    def build(self, inputs: list[Act]) -> nn.Module:
        self.output_size(inputs)
        m = _WordEmbed(self.Dimension, self.NumWords, self.OOVMode == "map-to-last")
        # MATLAB's Glorot description counts numIn = NumWords + 1 (the columns) and numOut = Dimension
        fill(m, "Weights", self.WeightsInitializer, m.Weights.shape[1], self.Dimension)
        return m
