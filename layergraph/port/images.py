"""MATLAB's image displays for translated programs: image, imagesc, imshow (and colorbar/colormap, which add
nothing to the PNG files the port writes), drawn into the current axes of layergraph.port.plots."""
from __future__ import annotations

from typing import Any

import numpy as np

from layergraph.port.plots import _gca, _np, _split_axes

__all__ = ["colorbar", "colormap", "image", "imagesc", "imshow"]


def _image_array(img: Any) -> np.ndarray:
    a = _np(img)
    a = np.asarray(a, dtype=float)
    while a.ndim > 2 and a.shape[-1] == 1:  # MATLAB drops trailing singleton dimensions (H×W×3×1 is H×W×3)
        a = a[..., 0]
    return a


def image(*args: Any, **kwargs: Any) -> Any:
    """MATLAB's image(I) / image(ax, I): RGB data in [0 1] (or indexed data) shown in the axes."""
    ax, args = _split_axes(args)
    a = _image_array(args[0])
    return _gca(ax).imshow(np.clip(a, 0, 1) if a.ndim == 3 else a)


def imagesc(*args: Any, **kwargs: Any) -> Any:
    ax, args = _split_axes(args)
    return _gca(ax).imshow(_image_array(args[0]), aspect="auto")


def imshow(img: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's imshow(I): a grey or RGB image ([0 1] for floating point data)."""
    a = _image_array(img)
    ax = _gca()
    ax.set_axis_off()
    if a.ndim == 2:
        return ax.imshow(a, cmap="gray", vmin=0, vmax=1 if a.max() <= 1 else 255)
    return ax.imshow(np.clip(a, 0, 1) if a.max() <= 1 else a.astype(np.uint8))


def colorbar(*args: Any) -> None:
    pass  # a colour scale adds nothing to the PNG this port writes


def colormap(*args: Any) -> None:
    pass
