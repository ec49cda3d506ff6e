"""MATLAB's figure and plotting calls for translated programs: drawn with matplotlib, written as PNG files.

Figures are written to the folder in the LAYERGRAPH_PORT_FIGURES environment variable (default `figures`)
as figure_N.png: on `drawnow` (at most once every 2 seconds per figure), on `saveas`/`exportgraphics`, and
when the program ends.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from layergraph.analyze.plot import plot_graph
from layergraph.graph.layergraph import LayerGraph

__all__ = ["addpoints", "animatedline", "axes", "axis", "clf", "close", "drawnow", "figure", "gca", "gcf", "grid",
           "hold", "legend", "nexttile", "plot", "saveas", "scatter", "sgtitle", "stem", "subplot", "tiledlayout",
           "title", "xlabel", "xlim", "xticklabels", "xticks", "ylabel", "ylim", "yticklabels", "yticks"]

_FIGS: dict[int, _Figure] = {}
LINES: list[Any] = []  # every animatedline made, so a test or a caller can read the points back
_STATE: dict[str, Any] = {"current": None, "hold": False}


def _plt() -> Any:
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def _folder() -> Path:
    return Path(os.environ.get("LAYERGRAPH_PORT_FIGURES", "figures"))


def _np(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        from layergraph.dlarray import extractdata
        return np.asarray(extractdata(x).detach().cpu().double()) if hasattr(x, "fmt") else \
            np.asarray(x.detach().cpu().double())
    return np.asarray(x, dtype=float) if isinstance(x, (list, tuple)) else x


class _Figure:
    """A MATLAB figure: its matplotlib figure, `Position` ([left bottom width height] in pixels)."""

    def __init__(self, number: int) -> None:
        self.Number = number
        self.fig = _plt().figure(figsize=(5.6, 4.2), dpi=100)
        self._position = torch.tensor([0.0, 0.0, 560.0, 420.0], dtype=torch.float64)
        self.saved_at = 0.0
        self.tiles: tuple[int, int] | None = None
        self.next_tile = 1

    @property
    def Position(self) -> torch.Tensor:
        return self._position

    @Position.setter
    def Position(self, value: Any) -> None:
        self._position = torch.as_tensor(value, dtype=torch.float64).reshape(-1)
        self.fig.set_size_inches(float(self._position[2]) / 100, float(self._position[3]) / 100)

    def save(self) -> Path:
        folder = _folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"figure_{self.Number}.png"
        self.fig.savefig(path)
        self.saved_at = time.monotonic()
        return path


def figure(*args: Any, **kwargs: Any) -> _Figure:
    """MATLAB's figure / figure(n): a new (or the numbered) figure, made current."""
    if args and isinstance(args[0], _Figure):  # figure(f): make that figure current
        _FIGS.setdefault(args[0].Number, args[0])
        _STATE["current"] = args[0]
        return args[0]
    number = int(args[0]) if args and not isinstance(args[0], str) else (max(_FIGS, default=0) + 1)
    if number not in _FIGS:
        _FIGS[number] = _Figure(number)
    _STATE["current"] = _FIGS[number]
    return _FIGS[number]


def _gcf() -> _Figure:
    return _STATE["current"] or figure()


def _gca(ax: Any = None) -> Any:
    if ax is not None:
        return ax
    fig = _gcf().fig
    return fig.gca()


def gcf() -> _Figure:
    """MATLAB's gcf: the current figure (a new one if there is none)."""
    return _gcf()


def gca() -> Any:
    """MATLAB's gca: the current axes (matplotlib's; properties such as FontSize set on it are kept, not drawn)."""
    return _gca()


def axes(*args: Any, **kwargs: Any) -> Any:
    """MATLAB's axes, axes("Parent", fig), axes(ax): axes in the (given or current) figure, made current."""
    ax, args = _split_axes(args)
    if ax is not None:
        ax.figure.sca(ax)
        return ax
    opts = {str(k).lower(): v for k, v in zip(args[::2], args[1::2])} | {k.lower(): v for k, v in kwargs.items()}
    parent = opts.get("parent")
    fig = parent if isinstance(parent, _Figure) else _gcf()
    _STATE["current"] = fig
    ax = fig.fig.gca()
    fig.fig.sca(ax)
    return ax


def subplot(m: Any, n: Any, p: Any) -> Any:
    """MATLAB's subplot(m, n, p): the axes at position p (row-wise), made current."""
    fig = _gcf().fig
    want = (int(m), int(n), int(p) - 1, int(p) - 1)
    for ax in fig.axes:  # MATLAB: subplot makes the axes at that position current, if there are some
        spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
        if spec is not None and spec.get_geometry() == want:
            fig.sca(ax)
            return ax
    ax = fig.add_subplot(int(m), int(n), int(p))
    fig.sca(ax)
    return ax


def tiledlayout(m: Any, n: Any, *args: Any, **kwargs: Any) -> Any:
    f = _gcf()
    f.tiles, f.next_tile = (int(m), int(n)), 1
    return f


def nexttile(*args: Any) -> Any:
    f = _gcf()
    m, n = f.tiles or (1, 1)
    p = int(args[0]) if args else f.next_tile
    f.next_tile = p + 1
    return subplot(m, n, p)


def _split_axes(args: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
    if args and hasattr(args[0], "plot") and hasattr(args[0], "set_title"):
        return args[0], args[1:]
    return None, args


_PLOT_OPTIONS = ("color", "linewidth", "displayname", "markersize")


def _plot_columns(vals: list[Any]) -> list[Any]:
    """Vectors flat; a matrix beside a vector x is plotted by columns, or by rows when x matches its rows'
    length (MATLAB's rule)."""
    out: list[Any] = []
    for v in vals:
        if not isinstance(v, np.ndarray) or sum(d > 1 for d in v.shape) <= 1:
            out.append(np.ravel(v) if isinstance(v, np.ndarray) else v)
            continue
        x = out[-1] if out and isinstance(out[-1], np.ndarray) and out[-1].ndim == 1 else None
        m = v.reshape(v.shape[0], -1)
        out.append(m.T if x is not None and len(x) != m.shape[0] and len(x) == m.shape[1] else m)
    return out


def plot(*args: Any, **kwargs: Any) -> Any:
    """MATLAB's plot(y), plot(x, y), plot(x, y, LineSpec) with name-value options Color, LineWidth."""
    ax, args = _split_axes(args)
    ax = _gca(ax)
    if not _STATE["hold"]:
        ax.cla()
    if args and _is_network(args[0]):
        return _plot_network(ax, args[0])
    vals = [_np(a) if not isinstance(a, str) else a for a in args]
    opts = {k.lower(): v for k, v in kwargs.items()}
    rest = []
    while len(vals) >= 2 and isinstance(vals[-2], str) and vals[-2].lower() in _PLOT_OPTIONS:
        opts[vals[-2].lower()] = vals[-1]
        vals = vals[:-2]
    rest = _plot_columns(vals)
    kw = {"markersize": float(opts["markersize"])} if "markersize" in opts else {}
    if "color" in opts:
        kw["color"] = _np(opts["color"]) if not isinstance(opts["color"], str) else opts["color"]
    if "linewidth" in opts:
        kw["linewidth"] = float(opts["linewidth"])
    if "displayname" in opts:
        kw["label"] = opts["displayname"]
    return ax.plot(*rest, **kw)


def _is_network(x: Any) -> bool:
    return isinstance(x, LayerGraph) or hasattr(x, "layer_graph")


def _plot_network(ax: Any, net: Any) -> Any:
    """MATLAB's plot(lgraph) / plot(net): the layer graph drawn top to bottom into the axes."""
    import matplotlib.image

    with tempfile.TemporaryDirectory() as tmp:
        picture = plot_graph(net, Path(tmp) / "graph.png", dpi=100)
        pixels = matplotlib.image.imread(picture)
    ax.set_axis_off()
    return ax.imshow(pixels)


def stem(*args: Any, **kwargs: Any) -> Any:
    """MATLAB's stem(Y) / stem(X, Y): a line from 0 to each value with a marker at its top."""
    ax, args = _split_axes(args)
    ax = _gca(ax)
    if not _STATE["hold"]:
        ax.cla()
    vals = [np.ravel(_np(a)) for a in args if not isinstance(a, str)]
    xs, ys = (vals[0], vals[1]) if len(vals) >= 2 else (np.arange(1, len(vals[0]) + 1), vals[0])
    return ax.stem(xs, ys)


def scatter(x: Any, y: Any, *args: Any, **kwargs: Any) -> Any:
    return _gca().scatter(np.ravel(_np(x)), np.ravel(_np(y)))


def hold(state: Any = "on") -> None:
    _STATE["hold"] = str(state).lower() == "on"


def grid(*args: Any) -> None:
    ax, args = _split_axes(args)
    _gca(ax).grid(not args or str(args[0]).lower() != "off")


def title(*args: Any, **kwargs: Any) -> None:
    ax, args = _split_axes(args)
    _gca(ax).set_title(_text(args[0]) if args else "")


def sgtitle(*args: Any, **kwargs: Any) -> None:
    """MATLAB's sgtitle(text) / sgtitle(fig, text): a title over all the subplots of the figure."""
    fig = args[0] if args and isinstance(args[0], _Figure) else _gcf()
    args = args[1:] if args and isinstance(args[0], _Figure) else args
    fig.fig.suptitle(_text(args[0]) if args else "")


def _text(x: Any) -> str:
    if isinstance(x, list):
        return "\n".join(_text(v) for v in x)
    return str(x)


def xlabel(*args: Any, **kwargs: Any) -> None:
    ax, args = _split_axes(args)
    _gca(ax).set_xlabel(_text(args[0]))


def ylabel(*args: Any, **kwargs: Any) -> None:
    ax, args = _split_axes(args)
    _gca(ax).set_ylabel(_text(args[0]))


def _limits(args: tuple[Any, ...]) -> list[float | None]:
    """MATLAB's [low high] limits; an infinite one (`ylim([0 inf])`) is left to the automatic limit."""
    return [v if np.isfinite(v) else None for v in np.ravel(_np(args[0])).tolist()]


def xlim(*args: Any) -> None:
    ax, args = _split_axes(args)
    if args and not isinstance(args[0], str):
        _gca(ax).set_xlim(*_limits(args))


def ylim(*args: Any) -> None:
    ax, args = _split_axes(args)
    if args and not isinstance(args[0], str):
        _gca(ax).set_ylim(*_limits(args))


def legend(*args: Any, **kwargs: Any) -> None:
    ax, args = _split_axes(args)
    names = [a for a in args if isinstance(a, str) and a.lower() not in ("location",)]
    if len(args) == 1 and isinstance(args[0], list):
        names = list(args[0])
    ax = _gca(ax)
    lines = ax.get_lines()
    if names and lines:
        ax.legend(lines[: len(names)], names)


def axis(*args: Any) -> None:
    ax, args = _split_axes(args)
    if args and isinstance(args[0], str) and args[0].lower() == "off":
        _gca(ax).set_axis_off()


def xticklabels(*args: Any) -> None:
    ax, args = _split_axes(args)
    _gca(ax).set_xticklabels([str(a) for a in (args[0] if args else [])])


def yticklabels(*args: Any) -> None:
    ax, args = _split_axes(args)
    _gca(ax).set_yticklabels([str(a) for a in (args[0] if args else [])])


def xticks(*args: Any) -> None:
    ax, args = _split_axes(args)
    _gca(ax).set_xticks(np.ravel(_np(args[0])) if args else [])


def yticks(*args: Any) -> None:
    ax, args = _split_axes(args)
    _gca(ax).set_yticks(np.ravel(_np(args[0])) if args else [])


class _AnimatedLine:
    """MATLAB's animatedline: `addpoints` appends, the points are kept in `x` and `y`."""

    def __init__(self, ax: Any, **opts: Any) -> None:
        self.x: list[float] = []
        self.y: list[float] = []
        color = opts.get("color")
        (self.line,) = ax.plot([], [], color=_np(color) if color is not None and not isinstance(color, str)
                               else color)
        self.ax = ax
        LINES.append(self)

    def add(self, x: Any, y: Any) -> None:
        self.x.extend(np.ravel(_np(x)).astype(float).tolist())
        self.y.extend(np.ravel(_np(y)).astype(float).tolist())
        self.line.set_data(self.x, self.y)
        self.ax.relim()
        self.ax.autoscale_view()


def animatedline(*args: Any, **kwargs: Any) -> _AnimatedLine:
    ax, args = _split_axes(args)
    opts = {k.lower(): v for k, v in kwargs.items()}
    for name, value in zip(args[::2], args[1::2]):
        opts[str(name).lower()] = value
    return _AnimatedLine(_gca(ax), **opts)


def addpoints(line: _AnimatedLine, x: Any, y: Any) -> None:
    line.add(x, y)


def drawnow(*args: Any) -> None:
    """Write the current figure's PNG (at most every 2 s, so a training loop is not slowed down)."""
    f = _STATE["current"]
    if f is not None and time.monotonic() - f.saved_at > 2.0:
        f.save()


def saveas(fig: Any, filename: Any, *args: Any) -> None:
    target = fig if isinstance(fig, _Figure) else _gcf()
    target.fig.savefig(str(filename))


def clf(*args: Any) -> None:
    _gcf().fig.clf()


def close(*args: Any) -> None:
    """MATLAB's close / close all: the figures are written, then dropped."""
    targets = list(_FIGS) if (args and str(args[0]).lower() == "all") or not args else []
    if args and isinstance(args[0], _Figure):
        targets = [args[0].Number]
    for n in targets:
        f = _FIGS.pop(n, None)
        if f is not None:
            f.save()
            _plt().close(f.fig)
        if _STATE["current"] is f:
            _STATE["current"] = None


@atexit.register
def _save_all() -> None:
    for f in list(_FIGS.values()):
        with contextlib.suppress(Exception):
            f.save()
