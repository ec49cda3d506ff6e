"""Image files and image arrays in MATLAB layout (H×W×C, batches H×W×C×B): imread, imwrite, imresize, imtile."""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from layergraph.data.options import parse_options
from layergraph.dlarray import DLArray, to_matlab_layout
from layergraph.errors import DataError

# MATLAB's rgb2gray weights (ITU-R BT.601 luma)
_GRAY_WEIGHTS = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])


def imread(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode an image file to uint8 H×W×C (C = 1 grey or 3 colour); DataError naming the file when it fails."""
    try:
        with Image.open(path) as im:
            im.load()  # decode now, inside the try: Pillow otherwise defers errors in truncated files
            return _to_array(im)
    except DataError:
        raise
    except Exception as err:  # Pillow raises many types (OSError, SyntaxError, ValueError, struct.error, ...)
        raise DataError(f"{os.fspath(path)}: cannot read the image ({type(err).__name__}: {err})") from None


def _to_array(im: Image.Image) -> np.ndarray:
    """Pillow image → uint8 H×W×C; palettes expanded, alpha dropped (MATLAB's imread returns alpha separately)."""
    mode = im.mode
    if mode in ("L", "RGB"):
        arr = np.array(im)  # a writable copy: callers may edit images in place, as MATLAB code edits its copies
    elif mode == "1":
        arr = np.asarray(im.convert("L"))
    elif mode == "LA":
        arr = np.asarray(im.getchannel("L"))
    elif mode.startswith("I;16") or mode == "I":
        # 16-bit grey: MATLAB's im2uint8 divides by 257
        wide = np.asarray(im, dtype=np.float64)
        arr = np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8)
    elif mode == "F":
        arr = np.clip(np.rint(np.asarray(im, dtype=np.float64)), 0, 255).astype(np.uint8)
    else:  # P, PA, RGBA, CMYK, YCbCr, ...
        arr = np.asarray(im.convert("RGB"))
    arr = np.asarray(arr, dtype=np.uint8)
    return arr[:, :, None] if arr.ndim == 2 else np.ascontiguousarray(arr)


def imresize(img: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """Resize H×W×C to size (H W) with bilinear interpolation, antialiased when shrinking; keeps the data type."""
    h, w = int(size[0]), int(size[1])
    if img.shape[0] == h and img.shape[1] == w:
        return img
    if img.dtype != np.uint8:
        return _resize_float(img, h, w)
    if img.shape[2] == 3:
        return np.asarray(Image.fromarray(img, "RGB").resize((w, h), Image.BILINEAR))
    planes = [np.asarray(Image.fromarray(img[:, :, k], "L").resize((w, h), Image.BILINEAR))
              for k in range(img.shape[2])]
    return np.stack(planes, axis=2)


def _resize_float(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Other data types through Pillow's 32-bit float planes (the same filter as for uint8, without rounding)."""
    if img.dtype.kind not in "biuf":
        raise TypeError(f"imresize: expected numeric image data, got {img.dtype}")
    planes = [np.asarray(Image.fromarray(np.ascontiguousarray(img[:, :, k], dtype=np.float32), "F")
                         .resize((w, h), Image.BILINEAR)) for k in range(img.shape[2])]
    out = np.stack(planes, axis=2)
    if img.dtype.kind == "f":
        return out.astype(img.dtype)
    info = np.iinfo(img.dtype) if img.dtype.kind in "iu" else None
    # integer classes round and saturate, as MATLAB's arithmetic on them does
    return np.clip(np.rint(out), info.min, info.max).astype(img.dtype) if info else (out >= 0.5)


def gray2rgb(img: np.ndarray) -> np.ndarray:
    """Repeat a one-channel image into three channels; colour images are returned unchanged."""
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img


def rgb2gray(img: np.ndarray) -> np.ndarray:
    """MATLAB's rgb2gray weights, rounded back for integer images; one-channel images are returned unchanged."""
    if img.shape[2] != 3:
        return img
    grey = (img.astype(np.float64) @ _GRAY_WEIGHTS)[:, :, None]
    if img.dtype.kind == "f":
        return grey.astype(img.dtype)
    info = np.iinfo(img.dtype)
    return np.clip(np.rint(grey), info.min, info.max).astype(img.dtype)


def _as_numpy(x: Any) -> np.ndarray:
    """Numpy data in MATLAB layout from numpy, torch (MATLAB layout) or a formatted dlarray (torch layout)."""
    if isinstance(x, DLArray) and x.fmt and x.dim() == len(x.fmt):
        x = to_matlab_layout(x.detach().as_subclass(torch.Tensor), x.fmt)
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _frames(X: Any) -> list[np.ndarray]:
    """imtile's frames, each H×W×C: a list of images, or the frames of H×W, H×W×N (grey) or H×W×C×B data."""
    if isinstance(X, list | tuple):
        return [_matlab_frame(_as_numpy(f)) for f in X]
    data = _as_numpy(X)
    if data.ndim == 2:
        data = data[:, :, None, None]
    elif data.ndim == 3:
        data = data[:, :, None, :]  # MATLAB: an H×W×N array is N grey frames
    elif data.ndim != 4:
        raise ValueError(f"imtile: expected H×W×C×B data, got {data.ndim} dimensions")
    return [data[:, :, :, k] for k in range(data.shape[3])]


def _background(bg: Any, dtype: np.dtype) -> Any:
    """BackgroundColor: 'black', 'white' (the data's full range) or a value or colour triplet as given."""
    if isinstance(bg, str):
        named = {"black": 0.0, "white": 255.0 if dtype == np.uint8 else 1.0}
        if bg.lower() not in named:
            raise ValueError(f"imtile: BackgroundColor {bg!r} is not 'black', 'white' or a colour triplet")
        return named[bg.lower()]
    return bg


def imtile(X: Any, *args: Any, **kwargs: Any) -> np.ndarray:
    """MATLAB's imtile: frames of H×W×C×B data (or a list of images) tiled row by row into one H'×W'×C image.

    Options: GridSize [rows cols] (one may be NaN), BorderSize [r c] pixels, BackgroundColor (scalar or RGB in the
    data's range), Frames (1-based frame numbers). The default grid is roughly square, as MATLAB chooses it.
    """
    opts = parse_options("imtile", args, kwargs,
                         {"GridSize": None, "BorderSize": 0, "BackgroundColor": 0, "Frames": None})
    frames = _frames(X)
    if opts["Frames"] is not None:
        frames = [frames[int(i) - 1] for i in np.atleast_1d(opts["Frames"])]
    if not frames:
        raise ValueError("imtile: no frames to tile")
    h = max(f.shape[0] for f in frames)
    w = max(f.shape[1] for f in frames)
    c = max(f.shape[2] for f in frames)
    rows, cols = _grid(len(frames), h, w, opts["GridSize"])
    br, bc = (int(v) for v in np.broadcast_to(np.asarray(opts["BorderSize"]), (2,)))
    dtype = np.result_type(*(f.dtype for f in frames))
    bg = _background(opts["BackgroundColor"], dtype)
    background = np.broadcast_to(np.asarray(bg, dtype=np.float64).ravel(), (c,))
    out = np.empty((rows * (h + 2 * br), cols * (w + 2 * bc), c), dtype=dtype)
    out[...] = background.astype(dtype)
    for k, frame in enumerate(frames[: rows * cols]):
        r, q = divmod(k, cols)  # row by row, as MATLAB fills the grid
        top, left = r * (h + 2 * br) + br, q * (w + 2 * bc) + bc
        if frame.shape[2] == 1 and c > 1:
            frame = np.repeat(frame, c, axis=2)
        out[top: top + frame.shape[0], left: left + frame.shape[1]] = frame
    return out


def _matlab_frame(f: np.ndarray) -> np.ndarray:
    if f.ndim == 2:
        return f[:, :, None]
    if f.ndim != 3:
        raise ValueError(f"imtile: each image must be H×W or H×W×C, got {f.ndim} dimensions")
    return f


def _grid(n: int, h: int, w: int, grid: Any) -> tuple[int, int]:
    """Rows and columns: GridSize with at most one NaN, or MATLAB's roughly-square default."""
    if grid is None:
        # MATLAB's montage/imtile rule: columns from the square-montage estimate, then enough rows
        cols = max(1, math.ceil(math.sqrt(h * n / w)))
        return math.ceil(n / cols), cols
    r, c = (float(v) for v in np.asarray(grid, dtype=np.float64).ravel()[:2])
    if math.isnan(r) and math.isnan(c):
        return _grid(n, h, w, None)
    if math.isnan(r):
        r = math.ceil(n / c)
    elif math.isnan(c):
        c = math.ceil(n / r)
    if r < 1 or c < 1:
        raise ValueError(f"imtile: GridSize must be positive, got {grid!r}")
    return int(r), int(c)


def imwrite(I: Any, path: str | os.PathLike[str]) -> None:
    """Write an image file: floating data is taken as [0, 1] (clipped), uint8 as is; H×W, H×W×1 or H×W×3."""
    data = _as_numpy(I)
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[:, :, 0]
    if data.ndim not in (2, 3) or (data.ndim == 3 and data.shape[2] not in (3, 4)):
        raise ValueError(f"imwrite: expected an H×W, H×W×1 or H×W×3 image, got shape {data.shape}")
    if data.dtype == np.bool_:
        data = data.astype(np.uint8) * 255
    elif np.issubdtype(data.dtype, np.floating):
        data = np.rint(np.clip(np.nan_to_num(data, nan=0.0), 0.0, 1.0) * 255.0).astype(np.uint8)
    elif data.dtype == np.uint16:
        data = np.rint(data / 257.0).astype(np.uint8)
    elif data.dtype != np.uint8:
        data = np.clip(data, 0, 255).astype(np.uint8)
    from layergraph.safety.outputs import atomic_output

    path = os.fspath(path)
    try:
        with atomic_output(path, make_folder=False) as tmp:  # the temporary name keeps the suffix (the format)
            Image.fromarray(np.ascontiguousarray(data)).save(tmp)
    except (OSError, ValueError, KeyError) as err:
        raise DataError(f"{path}: cannot write the image ({type(err).__name__}: {err})") from None
