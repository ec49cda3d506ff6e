"""Generate images from a training checkpoint (the examples' "Generate New Images" section)."""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import torch

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.errors import LayergraphError, LimitError, SpecError
from layergraph.gan.checkpoint import read_checkpoint
from layergraph.safety.limits import MAX_IMAGES, MAX_PICTURE_PIXELS, check_count
from layergraph.safety.numbers import is_number_text, parse_number
from layergraph.safety.outputs import atomic_output, paths_inside, refuse_special
from layergraph.spec.io import graph_from_text

_CHUNK = 256  # images per forward pass


class Generator:
    """The generator of a checkpoint, with its classes and latent size."""

    def __init__(self, path: str | Path) -> None:
        saved = read_checkpoint(path)
        spec, classes, conditional = saved.spec("generator"), saved.classes(), saved.conditional()
        self.net: dlnetwork = dlnetwork(graph_from_text(spec, f"{path}:generator_spec"))
        try:
            self.net.load_tensors(saved.weights("generator"))
        except LayergraphError as err:
            raise SpecError(f"{path}: {err}") from None
        self.classes: list[str] = classes
        self.conditional = conditional
        if conditional and not classes:
            raise SpecError(f"{path}: a conditional generator's checkpoint lists no classes")
        self.latent = self.net.analysis.outputs[self.net.InputNames[0]]

    def label_index(self, label: str) -> int:
        """1-based class index of a class name, or of an index given as text (names win)."""
        if label in self.classes:
            return self.classes.index(label) + 1
        if is_number_text(label):  # an index, read by the one number parser ('²' and 10**5000 are no index)
            with contextlib.suppress(SpecError):
                return int(parse_number(label, "--label", integer=True, low=1, high=len(self.classes)))
        shown = label if len(label) <= 40 else label[:39] + "…"
        raise SpecError(f"label '{shown}' is neither a class name ({', '.join(self.classes)}) nor an index "
                        f"1..{len(self.classes)}")

    def images(self, n: int, labels: list[int] | None, seed: int) -> np.ndarray:
        """n images per requested label (or n images) as B×H×W×C in [0, 1] (the generator's [-1, 1] mapped)."""
        gen = torch.Generator().manual_seed(seed)
        if self.conditional:
            labels = labels or list(range(1, len(self.classes) + 1))
            t = torch.tensor([lab for lab in labels for _ in range(n)], dtype=torch.float32).reshape(-1, 1)
            z = torch.randn(len(t), *self.latent.torch_shape(1)[1:], generator=gen)
            args: tuple[torch.Tensor, ...] = (z, t)
        else:
            args = (torch.randn(n, *self.latent.torch_shape(1)[1:], generator=gen),)
        with torch.no_grad():  # in chunks: memory stays bounded however many images are asked for
            x = torch.cat([self.net.predict(*(a[i:i + _CHUNK] for a in args)).as_subclass(torch.Tensor)
                           for i in range(0, len(args[0]), _CHUNK)])
        # rescale(X, 0, 1, InputMin=-1, InputMax=1): the generator ends in tanh
        return ((x.clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).numpy()


def to_uint8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def grid_picture(images: np.ndarray, rows: int, cols: int, zoom: int, row_labels: list[str] | None = None
                 ) -> np.ndarray:
    """B×H×W×C images in [0, 1] as one uint8 picture a person reads: each tile enlarged `zoom` times, white gaps
    between and around the tiles, and the row labels (class names) in a white strip on the left."""
    from PIL import Image, ImageDraw, ImageFont

    tiles = to_uint8(images).repeat(zoom, axis=1).repeat(zoom, axis=2)
    n, th, tw, c = tiles.shape
    gap = max(2, th // 16)
    font = ImageFont.load_default(size=max(10, min(24, th // 2)))
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    strip = (max(probe.textbbox((0, 0), t, font=font)[2] for t in row_labels) + 2 * gap) if row_labels else 0
    canvas = np.full((rows * (th + gap) + gap, strip + cols * (tw + gap) + gap, c), 255, np.uint8)
    for i in range(min(n, rows * cols)):
        top, left = gap + (i // cols) * (th + gap), strip + gap + (i % cols) * (tw + gap)
        canvas[top:top + th, left:left + tw] = tiles[i]
    picture = Image.fromarray(canvas[..., 0] if c == 1 else canvas)
    draw = ImageDraw.Draw(picture)
    for r, text in enumerate(row_labels or []):
        draw.text((strip - gap, gap + r * (th + gap) + th // 2), text, fill=0 if c == 1 else (0, 0, 0),
                  font=font, anchor="rm")
    return np.asarray(picture)


def write_png(img: np.ndarray, path: Path, zoom: int = 1) -> None:
    from PIL import Image

    arr = to_uint8(img)
    if zoom > 1:  # nearest-neighbour enlargement keeps small (16×16) images readable
        arr = arr.repeat(zoom, axis=0).repeat(zoom, axis=1)
    with atomic_output(path) as tmp:
        Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr).save(tmp, format="PNG")


def generate(checkpoint: str | Path, out: str | Path, n: int = 8, label: str | None = None, seed: int = 0,
             zoom: int | None = None) -> Path:
    """Write a tiled grid (out ending in .png: one row per class for a CGAN) or one PNG per image.

    The grid's tiles are enlarged `zoom` times (default: enough to make each image at least 64 pixels high),
    with gaps between them and, one row per class, the class names on the left; single images are written at
    their own size.
    """
    g = Generator(checkpoint)
    labels = [g.label_index(label)] if label is not None and g.conditional else None
    if label is not None and not g.conditional:
        raise SpecError(f"{checkpoint}: --label needs a conditional GAN; this generator takes no labels")
    out = Path(out)
    rows = len(labels or g.classes) if g.conditional else 1
    check_count(n * rows, f"images to generate (-n {n} × {rows} classes)", 1, MAX_IMAGES)
    made = g.net.analysis.outputs[g.net.OutputNames[0]]
    if not made.is_image or len(made.spatial) != 2:
        raise SpecError(f"{checkpoint}: the generator makes {made}, not images")
    h, w = made.spatial
    if zoom is None:
        zoom = max(1, 64 // h)
    if out.suffix.lower() == ".png":
        pixels = rows * h * zoom * n * w * zoom
        if pixels > MAX_PICTURE_PIXELS:
            raise LimitError(f"--out {out}: the picture would have {pixels:,} pixels ({rows * h * zoom:,}×"
                             f"{n * w * zoom:,}); the limit is {MAX_PICTURE_PIXELS:,} (lower -n or --zoom)")
    folders = [out] * rows
    if out.suffix.lower() != ".png" and g.conditional:  # class names from the checkpoint become folder names
        folders = paths_inside(out, [g.classes[k - 1] for k in labels or range(1, len(g.classes) + 1)],
                               "class name")
        for folder in folders:
            refuse_special(folder, "--out class folder", folder=True)
    imgs = g.images(n, labels, seed)
    if out.suffix.lower() == ".png":
        names = [g.classes[k - 1] for k in labels or range(1, len(g.classes) + 1)] if g.conditional else None
        picture = grid_picture(imgs, rows, n, zoom, names)
        from PIL import Image

        with atomic_output(out) as tmp:
            Image.fromarray(picture).save(tmp, format="PNG")
        return out
    out.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(imgs):
        folder = folders[i // n]
        folder.mkdir(parents=True, exist_ok=True)
        write_png(img, folder / f"image_{i % n + 1:04d}.png")
    return out
