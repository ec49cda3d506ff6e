"""depthToSpace2dLayer and spaceToDepthLayer: channels moved into h×w spatial blocks and back.

MATLAB's 'dcr' order (its documentation's depthToSpace example): output pixel (h·bh + i, w·bw + j) of channel c
is input channel (i·bw + j)·C + c at (h, w), counting from 0: ONNX's DepthToSpace DCR. 'crd': input channel
c·bh·bw + i·bw + j (ONNX's CRD, PyTorch's PixelShuffle). spaceToDepthLayer is the inverse of 'dcr'.
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import torch
from torch import nn

from layergraph.errors import NetworkError
from layergraph.layers.base import Layer, fmt_vec, need_image, onnx_emitter
from layergraph.layers.options import Lower, Pair
from layergraph.sizes import Act


class _DepthToSpace(nn.Module):
    def __init__(self, block: tuple[int, int], mode: str) -> None:
        super().__init__()
        self.block, self.mode = block, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (bh, bw), (n, c, h, w) = self.block, x.shape
        c //= bh * bw
        if self.mode == "dcr":
            y = x.reshape(n, bh, bw, c, h, w).permute(0, 3, 4, 1, 5, 2)
        else:
            y = x.reshape(n, c, bh, bw, h, w).permute(0, 1, 4, 2, 5, 3)
        return y.reshape(n, c, h * bh, w * bw)


class _SpaceToDepth(nn.Module):
    def __init__(self, block: tuple[int, int]) -> None:
        super().__init__()
        self.block = block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (bh, bw), (n, c, h, w) = self.block, x.shape
        h, w = h // bh, w // bw
        x = x[:, :, : h * bh, : w * bw]  # rows and columns that fill no whole block are dropped (floor)
        y = x.reshape(n, c, h, bh, w, bw).permute(0, 3, 5, 1, 2, 4)
        return y.reshape(n, c * bh * bw, h, w)


class DepthToSpace2DLayer(Layer):
    """depthToSpace2dLayer(blockSize): H×W×(C·bh·bw) to (H·bh)×(W·bw)×C; Mode 'dcr' (default) or 'crd'."""

    type: Literal["depthToSpace2dLayer"] = "depthToSpace2dLayer"
    BlockSize: Pair
    Mode: Annotated[Literal["dcr", "crd"], Lower] = "dcr"
    type_label: ClassVar[str] = "Depth to Space"
    size_rule: ClassVar[str] = "`h·b × w·b × c/b²` (`b`: `BlockSize`)"
    default_name: ClassVar[str] = "depthToSpace"
    positional: ClassVar[tuple[str, ...]] = ("BlockSize",)
    required: ClassVar[int] = 1
    family: ClassVar[str] = "other"
    onnx: ClassVar = onnx_emitter(imports=("DepthToSpace",))

    def output_size(self, inputs: list[Act]) -> Act:
        act = inputs[0]
        need_image(self, act)
        bh, bw = self.BlockSize
        if act.channels % (bh * bw):
            raise NetworkError(f"{self.type}: {act.channels} channels do not split into blocks of "
                               f"{bh}×{bw} = {bh * bw}")
        h, w = act.spatial
        return Act((h * bh, w * bw, act.channels // (bh * bw)), "SSC")

    def description(self) -> str:
        return f"Depth to space with block size {fmt_vec(self.BlockSize)} and mode '{self.Mode}'"

    def build(self, inputs: list[Act]) -> nn.Module:
        self.output_size(inputs)
        return _DepthToSpace(self.BlockSize, self.Mode)


class SpaceToDepthLayer(Layer):
    """spaceToDepthLayer(blockSize): H×W×C to floor(H/bh)×floor(W/bw)×(C·bh·bw), the inverse of 'dcr'."""

    type: Literal["spaceToDepthLayer"] = "spaceToDepthLayer"
    BlockSize: Pair
    type_label: ClassVar[str] = "Space to Depth"
    size_rule: ClassVar[str] = "`floor(h/b) × floor(w/b) × c·b²` (`b`: `BlockSize`)"
    default_name: ClassVar[str] = "spaceToDepth"
    positional: ClassVar[tuple[str, ...]] = ("BlockSize",)
    required: ClassVar[int] = 1
    family: ClassVar[str] = "other"
    onnx: ClassVar = onnx_emitter(imports=("SpaceToDepth",))

    def output_size(self, inputs: list[Act]) -> Act:
        act = inputs[0]
        need_image(self, act)
        (bh, bw), (h, w) = self.BlockSize, act.spatial
        if h < bh or w < bw:
            raise NetworkError(f"{self.type}: block size {fmt_vec(self.BlockSize)} is larger than the input "
                               f"{h}×{w}")
        return Act((h // bh, w // bw, act.channels * bh * bw), "SSC")

    def description(self) -> str:
        return f"Space to depth with block size {fmt_vec(self.BlockSize)}"

    def build(self, inputs: list[Act]) -> nn.Module:
        self.output_size(inputs)
        return _SpaceToDepth(self.BlockSize)
