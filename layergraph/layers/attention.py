"""selfAttentionLayer, attentionLayer and indexing1dLayer: MATLAB's multihead scaled dot-product attention over
the time dimension ("CBT"), a spatial one ("SCB") or both spatial dimensions of images ("SSCB", positions
taken column-major as MATLAB's reshape does), and picking the first or last step of a sequence."""
from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import BeforeValidator, model_validator
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer, LayerModule, WithInitializers, factor_option, fill, onnx_emitter
from layergraph.layers.options import Lower, PositiveInt, Prob, plain
from layergraph.sizes import Act

SEQUENCE_FORMATS = ("CT", "SC", "SSC")


def _mask_option(value: Any) -> Any:
    """AttentionMask: 'none', 'causal' or a numKeys×numQueries array of ones (attend) and zeros (do not)."""
    value = plain(value)
    if isinstance(value, str):
        if value.lower() in ("none", "causal"):
            return value.lower()
        raise ValueError("AttentionMask must be 'none', 'causal' or a numKeys-by-numQueries array of 0s and 1s")
    if (isinstance(value, (list, tuple)) and value and all(isinstance(r, (list, tuple)) for r in value)
            and len({len(r) for r in value}) == 1 and len(value[0]) > 0
            and all(isinstance(v, (bool, int, float)) and v in (0, 1) for r in value for v in r)):
        return tuple(tuple(int(v) for v in r) for r in value)
    raise ValueError("AttentionMask must be 'none', 'causal' or a numKeys-by-numQueries array of 0s and 1s")


# int | bool: MATLAB masks are often logical arrays (tril(true(n)))
AttentionMask = Annotated[str | tuple[tuple[int | bool, ...], ...], BeforeValidator(_mask_option)]
AutoInt = Annotated[int | Literal["auto"], BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v)]


def positions(layer: Layer, act: Act) -> int:
    """The number of positions attention runs over: T of "CT", S of "SC", H·W of "SSC"."""
    if act.fmt not in SEQUENCE_FORMATS:
        raise NetworkError(f"{layer.type} expects sequence (CBT), 1-D (SCB) or image (SSCB) data but got "
                           f"{act.fmt}-format size {act}")
    return act.time or 1 if act.fmt == "CT" else math.prod(act.spatial)


def to_sequence(x: torch.Tensor) -> torch.Tensor:
    """B×C×T, B×C×S or B×C×H×W → B×L×C; image positions column-major (h fastest, as MATLAB's reshape)."""
    # one copy here lets the projections run as fused addmm (a strided input makes matmul copy, in backward too)
    if x.dim() == 4:  # B×C×H×W → B×W×H×C → B×(W·H)×C: position w·H + h
        return x.permute(0, 3, 2, 1).reshape(x.shape[0], -1, x.shape[1])
    return x.transpose(1, 2).contiguous()


def from_sequence(y: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """B×L×C back to the layout of `like` (B×C×T, B×C×S or B×C×H×W) with C channels."""
    if like.dim() == 4:  # a view: B×(W·H)×C → B×W×H×C → B×C×H×W
        return y.unflatten(1, (like.shape[3], like.shape[2])).permute(0, 3, 2, 1)
    return y.transpose(1, 2)


def padding_keys(mask: torch.Tensor) -> torch.Tensor:
    """The padding-mask input (the data's layout, 1 or C channels) as B×L booleans: true where there is data.
    The first channel decides, as for padsequences' masks, whose channels are all alike."""
    return to_sequence(mask)[..., 0] != 0


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int, scale: float, mask: Any,
           keep: torch.Tensor | None, dropout: float, scores: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
    """MATLAB's attention: q B×Lq×Dk, k B×Lk×Dk, v B×Lk×Dv split into `heads` contiguous channel groups;
    softmax(scale·kᵀq) over the keys; `mask` 'none', 'causal' or an Lk×Lq (or Lk×Lq×B) 0/1 tensor; `keep` B×Lk.
    Returns B×Lq×Dv and, with `scores`, the attention weights as B×Lk×Lq×heads (MATLAB's K×Q×heads×B)."""
    b, lq, lk = q.shape[0], q.shape[1], k.shape[1]
    q = q.unflatten(-1, (heads, -1)).transpose(1, 2)
    k = k.unflatten(-1, (heads, -1)).transpose(1, 2)
    v = v.unflatten(-1, (heads, -1)).transpose(1, 2)
    allowed = None  # B|1 × 1 × Lq × Lk booleans, true where a query may attend to a key
    if isinstance(mask, torch.Tensor):  # Lk×Lq, or Lk×Lq×B (the attention function's per-observation masks)
        m = mask.to(torch.bool)
        allowed = (m.t() if m.dim() == 2 else m.permute(2, 1, 0)).reshape(-1, 1, lq, lk)
    elif mask == "causal":
        allowed = torch.ones(lq, lk, dtype=torch.bool, device=q.device).tril().reshape(1, 1, lq, lk)
    if keep is not None:
        pad = keep.reshape(b, 1, 1, lk)
        allowed = pad if allowed is None else allowed & pad
    if not scores:
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=dropout, scale=scale)
        return y.transpose(1, 2).flatten(2), None
    s = torch.matmul(q, k.transpose(-1, -2)) * scale
    if allowed is not None:
        s = s.masked_fill(~allowed, float("-inf"))
    w = torch.softmax(s, dim=-1)
    y = torch.matmul(F.dropout(w, dropout) if dropout else w, v)
    return y.transpose(1, 2).flatten(2), w.permute(0, 3, 2, 1)


def dot_scale(scale: Any, key_channels: int, heads: int) -> float:
    """MATLAB's Scale: a number, or "auto" for 1/sqrt(key channels / heads) (one head's key dimension)."""
    return 1.0 / math.sqrt(key_channels / heads) if isinstance(scale, str) and scale.lower() == "auto" \
        else float(scale)


def check_padding_mask(layer: Layer, data: Act, mask: Act) -> None:
    """The padding mask has the data's format and positions (any channels; T is not compared: it varies)."""
    if mask.fmt != data.fmt or mask.spatial != data.spatial:
        raise NetworkError(f"{layer.type}: the padding mask must have the data's format and size (channels may "
                           f"be 1); got {mask.describe()} for data {data.describe()}")


class _Attention(Layer):
    """Options shared by attentionLayer and selfAttentionLayer (MATLAB's names and defaults)."""

    NumHeads: PositiveInt
    HasPaddingMaskInput: bool = False
    HasScoresOutput: bool = False
    AttentionMask: AttentionMask = "none"
    DropoutProbability: Prob = 0.0
    family: ClassVar[str] = "dense"

    @property
    def output_names(self) -> list[str]:
        return ["out", "scores"] if self.HasScoresOutput else ["out"]

    def _mask_tensor(self) -> Any:
        return torch.tensor(self.AttentionMask) if isinstance(self.AttentionMask, tuple) else self.AttentionMask

    def _check_mask(self, lk: int, lq: int) -> None:
        if isinstance(self.AttentionMask, tuple) and (len(self.AttentionMask), len(self.AttentionMask[0])) != (lk, lq):
            raise NetworkError(f"{self.type}: AttentionMask is {len(self.AttentionMask)}×{len(self.AttentionMask[0])}"
                               f" but the data has {lk} keys and {lq} queries (numKeys-by-numQueries)")
        if self.AttentionMask == "causal" and lk != lq:
            raise NetworkError(f"{self.type}: a causal AttentionMask needs as many keys as queries ({lk} ≠ {lq})")

    def _check_padding_mask(self, data: Act, mask: Act) -> None:
        check_padding_mask(self, data, mask)

    def _scores_act(self, lk: int, lq: int) -> Act:
        return Act((lk, lq, self.NumHeads), "UUU")  # MATLAB: numKeys × numQueries × numHeads × numObservations


class _SelfAttention(LayerModule):
    """Project, attend over all positions, merge the heads and project again (MATLAB's selfAttentionLayer)."""

    def __init__(self, c: int, dk: int, dv: int, out: int, heads: int, mask: Any, dropout: float,
                 padding: bool, scores: bool) -> None:
        super().__init__()
        for name, rows, cols in (("Query", dk, c), ("Key", dk, c), ("Value", dv, c), ("Output", out, dv)):
            setattr(self, f"{name}Weights", nn.Parameter(torch.empty(rows, cols)))
            self.layout[f"{name}Weights"] = ((0, 1), (rows, cols))
        for name, rows in (("Query", dk), ("Key", dk), ("Value", dv), ("Output", out)):
            setattr(self, f"{name}Bias", nn.Parameter(torch.empty(rows)))
            self.layout[f"{name}Bias"] = ((0,), (rows, 1))
        self.heads, self.scale, self.dropout = heads, 1.0 / math.sqrt(dk / heads), dropout
        self.padding, self.scores = padding, scores
        if isinstance(mask, torch.Tensor):
            self.register_buffer("mask", mask, persistent=False)
        else:
            self.mask = mask

    def forward(self, x: torch.Tensor, pad: torch.Tensor | None = None) -> Any:
        s = to_sequence(x)
        q = F.linear(s, self.QueryWeights, self.QueryBias)
        k = F.linear(s, self.KeyWeights, self.KeyBias)
        v = F.linear(s, self.ValueWeights, self.ValueBias)
        keep = padding_keys(pad) if self.padding and pad is not None else None
        y, w = attend(q, k, v, self.heads, self.scale, self.mask, keep, self.dropout if self.training else 0.0,
                      self.scores)
        y = from_sequence(F.linear(y, self.OutputWeights, self.OutputBias), x)
        return (y, w) if self.scores else y


class SelfAttentionLayer(_Attention, WithInitializers):
    """selfAttentionLayer(numHeads, numKeyChannels): multihead self-attention with learned query, key, value
    and output projections, over T ("CBT"), S ("SCB") or the H·W positions of images ("SSCB")."""

    type: Literal["selfAttentionLayer"] = "selfAttentionLayer"
    size_rule: ClassVar[str] = "the input's positions (T, S or h×w) with `OutputSize` channels (`'auto'`: the input's)"
    NumKeyChannels: PositiveInt
    NumValueChannels: AutoInt = "auto"
    OutputSize: AutoInt = "auto"
    InputSize: AutoInt = "auto"
    type_label: ClassVar[str] = "Self-Attention"
    default_name: ClassVar[str] = "selfattention"
    positional: ClassVar[tuple[str, ...]] = ("NumHeads", "NumKeyChannels")
    required: ClassVar[int] = 2
    # opset 23+: ONNX's Attention; before: MatMul/Softmax/MatMul between the projections (checked numerically)
    onnx: ClassVar = onnx_emitter(imports=("Attention", "Softmax"))

    @model_validator(mode="after")
    def _divisible(self) -> SelfAttentionLayer:
        for option in ("NumKeyChannels", "NumValueChannels"):
            n = self.NumKeyChannels if getattr(self, option) == "auto" else getattr(self, option)
            if not isinstance(n, int) or n < 1:
                raise ValueError(f"{option} must be a positive integer or 'auto'")
            if n % self.NumHeads:
                raise ValueError(f"{option} ({n}) must be divisible by NumHeads ({self.NumHeads})")
        for option in ("OutputSize", "InputSize"):
            value = getattr(self, option)
            if value != "auto" and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{option} must be a positive integer or 'auto'")
        return self

    @property
    def input_names(self) -> list[str]:
        return ["in", "mask"] if self.HasPaddingMaskInput else ["in"]

    def sizes(self, act: Act) -> tuple[int, int, int, int]:
        """(input channels, key channels, value channels, output channels) for input `act`."""
        positions(self, act)
        c = act.channels
        if self.InputSize != "auto" and self.InputSize != c:
            raise NetworkError(f"{self.type} expects {self.InputSize} input channels (InputSize) but got {act}")
        dv = self.NumKeyChannels if self.NumValueChannels == "auto" else self.NumValueChannels
        return c, self.NumKeyChannels, int(dv), c if self.OutputSize == "auto" else int(self.OutputSize)

    def output_sizes(self, inputs: list[Act]) -> list[Act]:
        act = inputs[0]
        out = self.sizes(act)[3]
        n = positions(self, act)
        self._check_mask(n, n)
        if self.HasPaddingMaskInput:
            self._check_padding_mask(act, inputs[1])
        y = act.with_size(C=out)
        return [y, self._scores_act(n, n)] if self.HasScoresOutput else [y]

    def output_size(self, inputs: list[Act]) -> Act:
        return self.output_sizes(inputs)[0]

    def learnable_names(self) -> list[str]:
        return [f"{n}{p}" for p in ("Weights", "Bias") for n in ("Query", "Key", "Value", "Output")]

    def learnables(self, inputs: list[Act]) -> dict[str, tuple[int, ...]]:
        c, dk, dv, out = self.sizes(inputs[0])
        return {"QueryWeights": (dk, c), "KeyWeights": (dk, c), "ValueWeights": (dv, c), "OutputWeights": (out, dv),
                "QueryBias": (dk, 1), "KeyBias": (dk, 1), "ValueBias": (dv, 1), "OutputBias": (out, 1)}

    def factor(self, kind: str, param: str) -> float:
        # MATLAB's WeightLearnRateFactor/WeightL2Factor cover all four weights, the Bias ones all four biases
        if (kind, param) in self._factors():
            return float(self._factors()[(kind, param)])
        return float(getattr(self, factor_option(kind, "Weights" if param.endswith("Weights") else "Bias")))

    def description(self) -> str:
        return f"Self-attention with {self.NumHeads} heads and {self.NumKeyChannels} key channels"

    def build(self, inputs: list[Act]) -> nn.Module:
        c, dk, dv, out = self.sizes(inputs[0])
        m = _SelfAttention(c, dk, dv, out, self.NumHeads, self._mask_tensor(), self.DropoutProbability,
                           self.HasPaddingMaskInput, self.HasScoresOutput)
        for name, n_in, n_out in (("Query", c, dk), ("Key", c, dk), ("Value", c, dv), ("Output", dv, out)):
            fill(m, f"{name}Weights", self.WeightsInitializer, n_in, n_out)
            fill(m, f"{name}Bias", self.BiasInitializer, n_in, n_out)
        return m


class _DotAttention(nn.Module):
    """attentionLayer: attention of given queries, keys and values (no learnables)."""

    def __init__(self, heads: int, scale: float, mask: Any, dropout: float, padding: bool, scores: bool) -> None:
        super().__init__()
        self.heads, self.scale, self.dropout, self.padding, self.scores = heads, scale, dropout, padding, scores
        if isinstance(mask, torch.Tensor):
            self.register_buffer("mask", mask, persistent=False)
        else:
            self.mask = mask

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, pad: torch.Tensor | None = None) -> Any:
        keep = padding_keys(pad) if self.padding and pad is not None else None
        y, w = attend(to_sequence(q), to_sequence(k), to_sequence(v), self.heads, self.scale, self.mask, keep,
                      self.dropout if self.training else 0.0, self.scores)
        y = from_sequence(y, q)
        return (y, w) if self.scores else y


def _scale(value: Any) -> Any:
    value = plain(value)
    return value.lower() if isinstance(value, str) else value


class AttentionLayer(_Attention):
    """attentionLayer(numHeads): dot-product attention of the inputs 'query', 'key' and 'value' (and 'mask' with
    HasPaddingMaskInput), without learnable parameters."""

    type: Literal["attentionLayer"] = "attentionLayer"
    size_rule: ClassVar[str] = "the queries' positions with the values' channels"
    Scale: Annotated[Literal["auto"] | float, BeforeValidator(_scale)] = "auto"
    type_label: ClassVar[str] = "Attention"
    default_name: ClassVar[str] = "attention"
    positional: ClassVar[tuple[str, ...]] = ("NumHeads",)
    required: ClassVar[int] = 1
    onnx: ClassVar = onnx_emitter(not_back="the importer has no layer for a MatMul of two activations (the attention "
                                  "pattern, or ONNX's Attention operator from opset 23)")

    @property
    def input_names(self) -> list[str]:
        return ["query", "key", "value", "mask"] if self.HasPaddingMaskInput else ["query", "key", "value"]

    def scale_for(self, key: Act) -> float:
        """The factor of the dot products: Scale, or 1/sqrt(key channels / NumHeads) for 'auto'."""
        return dot_scale(self.Scale, key.channels, self.NumHeads)

    def output_sizes(self, inputs: list[Act]) -> list[Act]:
        q, k, v = inputs[:3]
        lq, lk, lv = (positions(self, a) for a in (q, k, v))
        for what, a in (("query", q), ("key", k), ("value", v)):
            if a.channels % self.NumHeads:
                raise NetworkError(f"{self.type}: the {what} channels ({a.channels}) must be divisible by "
                                   f"NumHeads ({self.NumHeads})")
        if q.channels != k.channels:
            raise NetworkError(f"{self.type}: queries and keys need the same number of channels "
                               f"({q.channels} ≠ {k.channels})")
        if lk != lv:
            raise NetworkError(f"{self.type}: keys and values need the same number of positions ({lk} ≠ {lv})")
        self._check_mask(lk, lq)
        if self.HasPaddingMaskInput:
            self._check_padding_mask(k, inputs[3])
        y = q.with_size(C=v.channels)
        return [y, self._scores_act(lk, lq)] if self.HasScoresOutput else [y]

    def output_size(self, inputs: list[Act]) -> Act:
        return self.output_sizes(inputs)[0]

    def description(self) -> str:
        return f"Attention with {self.NumHeads} heads"

    def build(self, inputs: list[Act]) -> nn.Module:
        self.output_sizes(inputs)
        return _DotAttention(self.NumHeads, self.scale_for(inputs[1]), self._mask_tensor(), self.DropoutProbability,
                             self.HasPaddingMaskInput, self.HasScoresOutput)


class _Index(nn.Module):
    """The first or last position of B×C×L data (the first or last one the padding mask marks as data)."""

    def __init__(self, last: bool, padding: bool) -> None:
        super().__init__()
        self.last, self.padding = last, padding

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if not self.padding or mask is None:
            return x[..., -1] if self.last else x[..., 0]
        data = mask[:, 0] != 0  # B×L
        steps = torch.arange(x.shape[-1], device=x.device)
        # last: the largest index holding data; first: the smallest (argmax of a masked ramp picks it)
        ramp = torch.where(data, steps if self.last else x.shape[-1] - steps, -1)
        index = ramp.argmax(dim=1)
        return x.gather(2, index.reshape(-1, 1, 1).expand(-1, x.shape[1], 1)).squeeze(2)


class Indexing1DLayer(Layer):
    """indexing1dLayer(index="first"): the data at the first or last index of the time (or one spatial)
    dimension; "CBT" and "SCB" data give "CB" features."""

    type: Literal["indexing1dLayer"] = "indexing1dLayer"
    size_rule: ClassVar[str] = "`c` (features)"
    Index: Annotated[Literal["first", "last"], Lower] = "first"
    HasPaddingMaskInput: bool = False
    type_label: ClassVar[str] = "1-D Indexing"
    default_name: ClassVar[str] = "index1d"
    positional: ClassVar[tuple[str, ...]] = ("Index",)
    family: ClassVar[str] = "other"
    onnx: ClassVar = onnx_emitter(not_back="a Gather of one time step imports only after a recurrent layer, as its "
                                  "OutputMode 'last'")  # with a padding mask: no ONNX form

    @property
    def input_names(self) -> list[str]:
        return ["in", "mask"] if self.HasPaddingMaskInput else ["in"]

    def output_size(self, inputs: list[Act]) -> Act:
        act = inputs[0]
        if act.fmt not in ("CT", "SC"):
            raise NetworkError(f"{self.type} expects sequence (CBT) or 1-D (SCB) data but got {act.fmt}-format "
                               f"size {act}")
        if self.HasPaddingMaskInput:
            check_padding_mask(self, act, inputs[1])
        return Act((act.channels,), "C")

    def description(self) -> str:
        return f"1-D indexing at the {self.Index} index"

    def build(self, inputs: list[Act]) -> nn.Module:
        self.output_size(inputs)
        return _Index(self.Index == "last", self.HasPaddingMaskInput)
