"""MATLAB's imageDataAugmenter: random reflections, rotations, scalings, shears and translations (numpy, CPU)."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from layergraph.data.options import MatlabProperties, flag, parse_options
from layergraph.errors import OptionError

# option → (default, lowest allowed value, highest allowed value); ranges are [min max] drawn uniformly
_RANGES: dict[str, tuple[tuple[float, float], float, float]] = {
    "RandRotation": ((0.0, 0.0), -math.inf, math.inf),  # degrees
    "RandScale": ((1.0, 1.0), 0.0, math.inf),
    "RandXScale": ((1.0, 1.0), 0.0, math.inf),
    "RandYScale": ((1.0, 1.0), 0.0, math.inf),
    "RandXShear": ((0.0, 0.0), -90.0, 90.0),  # degrees
    "RandYShear": ((0.0, 0.0), -90.0, 90.0),
    "RandXTranslation": ((0.0, 0.0), -math.inf, math.inf),  # pixels of the image as read from file
    "RandYTranslation": ((0.0, 0.0), -math.inf, math.inf),
}


def _torch_seeded_rng() -> np.random.Generator:
    """A numpy generator seeded from torch's global generator, so torch.manual_seed (MATLAB's rng) fixes it."""
    return np.random.default_rng(int(torch.randint(0, 2**62, ()).item()))


class ImageDataAugmenter(MatlabProperties):
    """Random affine augmentation, configured with MATLAB's option names; `augment(I)` applies it."""

    _PROPERTIES = ("FillValue", "RandXReflection", "RandYReflection", *_RANGES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        defaults: dict[str, Any] = {"FillValue": 0, "RandXReflection": False, "RandYReflection": False}
        defaults.update({k: v[0] for k, v in _RANGES.items()})
        opts = parse_options("imageDataAugmenter", args, kwargs, defaults)
        for name, value in opts.items():
            setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        canon = self._canonical(name) if not name.startswith("_") else None
        if canon in ("RandXReflection", "RandYReflection"):
            value = flag("imageDataAugmenter", canon, value)
        elif canon in _RANGES:
            value = _range("imageDataAugmenter", canon, value)
        elif canon == "FillValue":
            value = np.asarray(value, dtype=np.float64).ravel()
            if value.size not in (1, 3):
                raise OptionError("imageDataAugmenter: FillValue must be a scalar or one value per channel")
        super().__setattr__(name, value)

    def _is_default(self, name: str) -> bool:
        value = getattr(self, name)
        return not callable(value) and tuple(value) == _RANGES[name][0]

    @property
    def _flips_only(self) -> bool:
        """True when only reflections are configured: they are done exactly, without resampling."""
        return all(self._is_default(name) for name in _RANGES)

    def _draw(self, name: str, rng: np.random.Generator) -> float:
        value = getattr(self, name)
        if callable(value):
            return float(value())
        lo, hi = value
        # always draw, so that every image consumes the same amount of randomness whatever is configured
        u = rng.random()
        return lo + (hi - lo) * u

    def _sample(self, rng: np.random.Generator) -> dict[str, float]:
        p = {"flip_x": float(rng.random() < 0.5), "flip_y": float(rng.random() < 0.5)}
        p.update({name: self._draw(name, rng) for name in _RANGES})
        p["flip_x"] *= float(self.RandXReflection)
        p["flip_y"] *= float(self.RandYReflection)
        return p

    def _matrix(self, p: dict[str, float], h: int, w: int, scale: tuple[float, float]) -> np.ndarray:
        """Forward 3×3 map (continuous x right, y down, about the image centre) for an h×w image.

        `scale` (sy, sx) says how much the image was resized after reading: ranges such as translations refer to
        the file's pixels, so the map is conjugated by the resize to equal augment-then-resize, MATLAB's order.
        """
        flip = np.diag([-1.0 if p["flip_x"] else 1.0, -1.0 if p["flip_y"] else 1.0])
        if not self._is_default("RandScale"):
            sc = np.diag([p["RandScale"], p["RandScale"]])  # RandScale overrides RandXScale / RandYScale
        else:
            sc = np.diag([p["RandXScale"], p["RandYScale"]])
        shear = np.array([[1.0, math.tan(math.radians(p["RandXShear"]))],
                          [math.tan(math.radians(p["RandYShear"])), 1.0]])
        a = math.radians(p["RandRotation"])
        # positive angles turn the picture counterclockwise as displayed (y axis pointing down)
        rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
        lin = rot @ shear @ sc @ flip
        s = np.diag([scale[1], scale[0]])
        lin = s @ lin @ np.linalg.inv(s)
        centre = np.array([w / 2.0, h / 2.0])
        shift = s @ np.array([p["RandXTranslation"], p["RandYTranslation"]])
        m = np.eye(3)
        m[:2, :2] = lin
        m[:2, 2] = centre + shift - lin @ centre
        return m

    def _apply(self, img: np.ndarray, rng: np.random.Generator, scale: tuple[float, float] = (1.0, 1.0),
               p: dict[str, float] | None = None) -> np.ndarray:
        """Augment one H×W×C image with draws from `rng` (or with the given draws `p`)."""
        p = self._sample(rng) if p is None else p
        if self._flips_only:
            out = img
            if p["flip_x"]:
                out = out[:, ::-1]
            if p["flip_y"]:
                out = out[::-1]
            return np.ascontiguousarray(out)
        return warp_affine(img, self._matrix(p, img.shape[0], img.shape[1], scale), self.FillValue)

    def augment(self, images: Any, rng: np.random.Generator | None = None) -> Any:
        """MATLAB's augment(augmenter, I): one H×W×C image, or a list (cell array) of images that all get the
        identical random transformation (MATLAB: "applies an identical transformation to all images")."""
        rng = rng if rng is not None else _torch_seeded_rng()
        if isinstance(images, list | tuple):
            p = self._sample(rng)
            return [self._apply(_hwc(im), rng, p=p) for im in images]
        return self._apply(_hwc(images), rng)

    def __repr__(self) -> str:
        changed = [k for k in _RANGES if not self._is_default(k)]
        changed += [k for k in ("RandXReflection", "RandYReflection") if getattr(self, k)]
        shown = ", ".join(f"{k}={getattr(self, k)!r}" for k in changed)
        return f"imageDataAugmenter({shown})"


def _hwc(img: Any) -> np.ndarray:
    arr = np.asarray(img)
    return arr[:, :, None] if arr.ndim == 2 else arr


def _range(func: str, name: str, value: Any) -> tuple[float, float] | Callable[[], float]:
    """A [min max] option (or a function handle returning one value), checked against the option's limits."""
    if callable(value):
        return value
    arr = np.asarray(value, dtype=np.float64).ravel()
    _, low, high = _RANGES[name]
    if arr.size != 2 or not np.all(np.isfinite(arr)) or arr[0] > arr[1] or arr[0] < low or arr[1] > high:
        raise OptionError(f"{func}: {name} must be a two-element range [min max] with min <= max within "
                          f"[{low}, {high}] (or a function handle); got {value!r}")
    if name.endswith("Shear") and (abs(arr[0]) >= 90 or abs(arr[1]) >= 90):
        raise OptionError(f"{func}: {name} angles must lie strictly between -90 and 90 degrees; got {value!r}")
    return float(arr[0]), float(arr[1])


def warp_affine(img: np.ndarray, forward: np.ndarray, fill: Sequence[float] | np.ndarray = (0.0,)) -> np.ndarray:
    """Resample H×W×C `img` under the 3×3 forward map (bilinear, same output view, `fill` outside)."""
    inv = np.linalg.inv(forward)
    # snap round-off so exact quarter turns and whole-pixel shifts copy pixels exactly
    snapped = np.round(inv * 2) / 2
    inv = np.where(np.abs(inv - snapped) < 1e-9, snapped, inv)
    if img.dtype == np.uint8:
        return _warp_pillow(img, inv, fill)
    return _warp_numpy(img, inv, fill)


def _fill_vector(fill: Sequence[float] | np.ndarray, c: int) -> np.ndarray:
    values = np.asarray(fill, dtype=np.float64).ravel()
    return np.broadcast_to(values, (c,)) if values.size in (1, c) else np.zeros(c)


def _warp_pillow(img: np.ndarray, inv: np.ndarray, fill: Sequence[float] | np.ndarray) -> np.ndarray:
    """uint8 images through Pillow's affine transform: several times faster than numpy, and it frees the GIL."""
    h, w, c = img.shape
    fills = [int(v) for v in np.clip(np.rint(_fill_vector(fill, c)), 0, 255)]
    # a border of fill makes samples near the edge blend with the fill value, as the numpy version (and MATLAB's
    # imwarp) does; Pillow alone would clamp them to the edge pixels
    pad = 2
    padded = np.empty((h + 2 * pad, w + 2 * pad, c), dtype=np.uint8)
    padded[...] = np.asarray(fills, dtype=np.uint8)
    padded[pad:-pad, pad:-pad] = img
    # Pillow's affine data maps output to input in the same continuous coordinates (pixel centres at +0.5)
    coeffs = (inv[0, 0], inv[0, 1], inv[0, 2] + pad, inv[1, 0], inv[1, 1], inv[1, 2] + pad)

    def warp(source: Image.Image, fillcolor: Any) -> np.ndarray:
        return np.array(source.transform((w, h), Image.AFFINE, coeffs, resample=Image.BILINEAR, fillcolor=fillcolor))

    if c == 3:
        return warp(Image.fromarray(padded, "RGB"), tuple(fills))
    return np.stack([warp(Image.fromarray(padded[:, :, k], "L"), fills[k]) for k in range(c)], axis=2)


def _warp_numpy(img: np.ndarray, inv: np.ndarray, fill: Sequence[float] | np.ndarray) -> np.ndarray:
    """Bilinear sampling in numpy for any dtype; pixel centres sit at half-integers, outside samples blend fill."""
    h, w, c = img.shape
    xs = np.arange(w, dtype=np.float64) + 0.5  # pixel centres in continuous coordinates
    ys = np.arange(h, dtype=np.float64)[:, None] + 0.5
    sx = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2] - 0.5
    sy = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2] - 0.5
    sx = np.where(np.abs(sx - np.rint(sx)) < 1e-6, np.rint(sx), sx)
    sy = np.where(np.abs(sy - np.rint(sy)) < 1e-6, np.rint(sy), sy)
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    fx = (sx - x0)[..., None]
    fy = (sy - y0)[..., None]
    fill_vec = _fill_vector(fill, c)
    src = img.astype(np.float32)

    def tap(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        inside = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
        vals = src[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
        return np.where(inside[..., None], vals, fill_vec.astype(np.float32))

    out = ((1 - fx) * (1 - fy) * tap(y0, x0) + fx * (1 - fy) * tap(y0, x0 + 1)
           + (1 - fx) * fy * tap(y0 + 1, x0) + fx * fy * tap(y0 + 1, x0 + 1))
    if img.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(img.dtype)
