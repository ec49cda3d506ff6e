"""MATLAB's trainingProgressMonitor for custom training loops: a live terminal panel, Ctrl-C as the Stop button, and
the metric curves as a PNG file (MATLAB's Training Progress window)."""
from __future__ import annotations

import math
import signal
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from layergraph.data.options import MatlabProperties, as_list, flag
from layergraph.monitor.figures import COLORS, new_figure, save_png
from layergraph.monitor.terminal import LiveDisplay, PlainDisplay, Snapshot, elapsed_text, value_text

DEFAULT_OUTPUT = "training-progress.png"
REWRITE_SECONDS = 30.0  # while training, the PNG is rewritten at most this often (a figure costs ~0.2 s)


def _names(func: str, value: Any) -> list[str]:
    names = [str(v) for v in as_list(value)] if value is not None else []
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"{func}: '{name}' is not a valid name (start with a letter; letters, digits, _)")
    return names


def _scalar(func: str, name: str, value: Any) -> float:
    """A metric value as a float: numbers, 0-d arrays, one-element tensors and dlarrays (gather/extractdata)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    arr = np.asarray(value, dtype=np.float64)
    if arr.size != 1:
        raise ValueError(f"{func}: the value of {name} must be a scalar; got an array of size "
                         f"{'×'.join(map(str, arr.shape))}")
    return float(arr.reshape(()))


class _Session:
    """What a monitor has recorded and shows; separate from the monitor so that cleanup at exit needs no monitor."""

    def __init__(self) -> None:
        self.metrics: dict[str, list[tuple[float, float]]] = {}
        self.info: dict[str, list[Any]] = {}
        self.groups: dict[str, list[str]] = {}
        self.yscales: dict[str, str] = {}
        self.xlabel, self.status, self.progress = "Iteration", "", 0.0
        self.stop = False
        self.visible = True
        self.output: str | None = DEFAULT_OUTPUT
        self.start = time.monotonic()
        self.display: LiveDisplay | PlainDisplay | None = None
        self.last_write = time.monotonic()
        self.dirty = False
        self.done = False
        self.previous_handler: Any = None
        self.handler: Any = None
        self.lock = threading.RLock()

    def snapshot(self) -> Snapshot:
        return Snapshot(self.progress, self.status, time.monotonic() - self.start, self.xlabel,
                        {k: (v[-1] if v else None) for k, v in self.metrics.items()},
                        {k: (v[-1] if v else None) for k, v in self.info.items()}, self.stop and not self.done)

    def changed(self, force: bool = False, write: bool = False) -> None:
        """Redraw the terminal display (throttled unless forced) and rewrite the PNG when it is due."""
        self.dirty = True
        if self.visible:
            if self.display is None:
                self.display = LiveDisplay() if sys.stdout.isatty() else PlainDisplay()
            self.display.update(self.snapshot(), force)
        if self.output and (write or time.monotonic() - self.last_write >= REWRITE_SECONDS):
            self.write(self.output)

    def hide(self) -> None:
        if self.display is not None:
            self.display.close(self.snapshot())
            self.display = None

    def write(self, path: str | Path) -> Path:
        with self.lock:
            fig = plot_session(self)
            out = save_png(fig, path)
            self.last_write = time.monotonic()
            self.dirty = False
            return out

    def finish(self) -> None:
        """Training is over (Progress reached 100, close, or the program ends): Ctrl-C is Python's again."""
        self.release_sigint()
        self.done = True
        if self.dirty and self.output:
            self.write(self.output)

    def close(self) -> None:
        self.finish()
        self.hide()

    # --- Ctrl-C as MATLAB's Stop button -----------------------------------------------------------------
    def take_sigint(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # Python only lets the main thread handle signals
        self.previous_handler = signal.getsignal(signal.SIGINT)
        ref = weakref.ref(self)

        def on_sigint(signum: int, frame: Any) -> None:
            session = ref()
            if session is None or session.stop or session.done:
                if session is not None:
                    session.release_sigint()
                raise KeyboardInterrupt  # a second Ctrl-C interrupts, as it would without a monitor
            session.stop = True
            if session.display is None or isinstance(session.display, PlainDisplay):
                print("\nStop requested (Ctrl-C): monitor.Stop is now true; press Ctrl-C again to interrupt",
                      file=sys.stderr, flush=True)
            session.changed(force=True)

        self.handler = on_sigint
        signal.signal(signal.SIGINT, on_sigint)

    def release_sigint(self) -> None:
        handler = self.handler
        if handler is None or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGINT) is handler:  # leave alone a handler someone installed after ours
            signal.signal(signal.SIGINT, self.previous_handler or signal.default_int_handler)
        self.handler = None


def plot_session(s: _Session) -> Any:
    """MATLAB's training plot: one subplot per metric group (groupSubPlot) or ungrouped metric, against XLabel."""
    grouped = {m for names in s.groups.values() for m in names}
    panels = [(g, names) for g, names in s.groups.items()] + [(m, [m]) for m in s.metrics if m not in grouped]
    panels = panels or [("", [])]
    cols = 1 if len(panels) <= 3 else 2
    rows = math.ceil(len(panels) / cols)
    fig = new_figure(7.5 * cols, 1.2 + 2.6 * rows)
    for k, (label, names) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, k + 1)
        for j, name in enumerate(names):
            pts = np.asarray(s.metrics.get(name, []), dtype=np.float64).reshape(-1, 2)
            ax.plot(pts[:, 0], pts[:, 1], color=COLORS[j % len(COLORS)], label=name,
                    marker="." if len(pts) < 50 else None)
        ax.set_ylabel(label)
        ax.set_xlabel(s.xlabel)
        ax.set_yscale(s.yscales.get(label, "linear"))
        ax.grid(True, alpha=0.4)
        if len(names) > 1:
            ax.legend(loc="best", fontsize="small")
    info = "   ".join(f"{k}: {value_text(v[-1])}" for k, v in s.info.items() if v)
    head = f"Training Progress   {s.progress:.0f}%   elapsed {elapsed_text(time.monotonic() - s.start)}"
    head += f"   {s.status}" if s.status else ""
    fig.suptitle(head + (f"\n{info}" if info else ""), fontsize="medium")
    fig.tight_layout()
    return fig


class TrainingProgressMonitor(MatlabProperties):
    """Metrics, info, progress and the Stop flag of a custom training loop (MATLAB's TrainingProgressMonitor).

    Python additions: `OutputFile` (the PNG of the metric curves, default training-progress.png in the current
    folder; None for none), `save(path)` and `close()`.
    """

    _PROPERTIES = ("Metrics", "Info", "XLabel", "Progress", "Stop", "Status", "Visible", "MetricData", "InfoData",
                   "OutputFile")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from layergraph.data.options import parse_options

        opts = parse_options("trainingProgressMonitor", args, kwargs, {
            "Metrics": None, "Info": None, "XLabel": "Iteration", "Progress": 0, "Status": "", "Visible": True,
            "OutputFile": DEFAULT_OUTPUT})
        self._s = _Session()
        self._s.visible, self._s.output = False, None  # nothing is shown or written before the first update
        for name in ("Metrics", "Info", "XLabel", "Progress", "Status", "Visible", "OutputFile"):
            setattr(self, name, opts[name])
        self._s.dirty = False
        self._s.take_sigint()
        weakref.finalize(self, self._s.close)  # also runs at exit: the last curves reach the file

    # --- properties -------------------------------------------------------------------------------------
    @property
    def Metrics(self) -> list[str]:
        return list(self._s.metrics)

    @Metrics.setter
    def Metrics(self, value: Any) -> None:
        names = _names("trainingProgressMonitor", value)
        self._s.metrics = {n: self._s.metrics.get(n, []) for n in names}

    @property
    def Info(self) -> list[str]:
        return list(self._s.info)

    @Info.setter
    def Info(self, value: Any) -> None:
        names = _names("trainingProgressMonitor", value)
        self._s.info = {n: self._s.info.get(n, []) for n in names}

    @property
    def XLabel(self) -> str:
        return self._s.xlabel

    @XLabel.setter
    def XLabel(self, value: str) -> None:
        self._s.xlabel = str(value)

    @property
    def Status(self) -> str:
        return self._s.status

    @Status.setter
    def Status(self, value: str) -> None:
        self._s.status = str(value)
        self._s.changed()

    @property
    def Progress(self) -> float:
        return self._s.progress

    @Progress.setter
    def Progress(self, value: float) -> None:
        value = float(value)
        if not 0 <= value <= 100:
            raise ValueError(f"trainingProgressMonitor: Progress must be a percentage from 0 to 100; got {value:g}")
        reached = value >= 100 > self._s.progress
        self._s.progress = value
        if reached:  # once: a loop that sets 100·epoch/numEpochs sits at 100 for its whole last epoch
            self._s.changed(force=True, write=True)
            self._s.finish()
        else:
            self._s.changed()

    @property
    def Stop(self) -> bool:
        """True once the user asked to stop (Ctrl-C in the terminal, MATLAB's Stop button); read-only."""
        return self._s.stop

    @property
    def Visible(self) -> bool:
        return self._s.visible

    @Visible.setter
    def Visible(self, value: Any) -> None:
        self._s.visible = flag("trainingProgressMonitor", "Visible", value)
        if not self._s.visible:
            self._s.hide()

    @property
    def OutputFile(self) -> str | None:
        return self._s.output

    @OutputFile.setter
    def OutputFile(self, value: Any) -> None:
        self._s.output = str(value) if value else None

    @property
    def MetricData(self) -> dict[str, np.ndarray]:
        """Recorded metrics: name → N×2 array of [step value] rows."""
        return {k: np.asarray(v, dtype=np.float64).reshape(-1, 2) for k, v in self._s.metrics.items()}

    @property
    def InfoData(self) -> dict[str, list[Any]]:
        """Recorded information: name → the values given to updateInfo, in order."""
        return {k: list(v) for k, v in self._s.info.items()}

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_") and self._canonical(name) in ("Stop", "MetricData", "InfoData"):
            raise AttributeError(f"trainingProgressMonitor: {self._canonical(name)} is read-only"
                                 + (" (Ctrl-C in the terminal sets Stop)" if self._canonical(name) == "Stop" else ""))
        super().__setattr__(name, value)

    def __repr__(self) -> str:
        return (f"TrainingProgressMonitor: Metrics {self.Metrics}, Info {self.Info}, XLabel '{self.XLabel}', "
                f"Progress {self.Progress:g}, Stop {self.Stop}, Status '{self.Status}'")

    # --- methods ----------------------------------------------------------------------------------------
    def recordMetrics(self, step: Any, *args: Any, **kwargs: Any) -> None:
        """recordMetrics(monitor, step, Loss=loss, ...) or with a dict (MATLAB's struct) of metric values."""
        values = _pairs("recordMetrics", args, kwargs)
        x = _scalar("recordMetrics", "step", step)
        for name, value in values.items():
            self._check("recordMetrics", name, self._s.metrics, "Metrics")
            self._s.metrics[name].append((x, _scalar("recordMetrics", name, value)))
        self._s.changed()

    def updateInfo(self, *args: Any, **kwargs: Any) -> None:
        """updateInfo(monitor, Epoch=epoch, ...) or with a dict of information values."""
        for name, value in _pairs("updateInfo", args, kwargs).items():
            self._check("updateInfo", name, self._s.info, "Info")
            if hasattr(value, "detach") or isinstance(value, np.ndarray | np.generic):
                value = _scalar("updateInfo", name, value)
                value = int(value) if value.is_integer() else value
            self._s.info[name].append(value)
        self._s.changed()

    def groupSubPlot(self, groupName: str | None = None, metricNames: Any = None, **pair: Any) -> None:
        """Plot these metrics in one subplot with the y-axis label `groupName`; MATLAB's
        `groupSubPlot(monitor, Score=[...])` (= `"Score", [...]`) is the keyword form."""
        groupName, metricNames = _one_pair("groupSubPlot", groupName, metricNames, pair)
        names = _names("groupSubPlot", metricNames)
        for name in names:
            self._check("groupSubPlot", name, self._s.metrics, "Metrics")
        self._s.groups[str(groupName)] = names

    def yscale(self, name: str | None = None, scale: str | None = None, **pair: Any) -> None:
        """The y-axis scale ('linear' or 'log') of a subplot: a group name or an ungrouped metric
        (`yscale(monitor, Loss="log")` is MATLAB's `yscale(monitor, "Loss", "log")`)."""
        name, scale = _one_pair("yscale", name, scale, pair)
        if scale not in ("linear", "log"):
            raise ValueError(f"yscale: scale must be 'linear' or 'log'; got {scale!r}")
        self._s.yscales[str(name)] = scale

    def save(self, path: str | Path = DEFAULT_OUTPUT) -> Path:
        """Write the metric curves to a PNG file now; returns its path."""
        return self._s.write(path)

    def close(self) -> None:
        """End the display, give Ctrl-C back to Python and write OutputFile (also done when the program ends)."""
        self._s.close()

    @staticmethod
    def _check(func: str, name: str, known: dict[str, Any], prop: str) -> None:
        if name not in known:
            raise ValueError(f"{func}: '{name}' is not in monitor.{prop} ({', '.join(known) or 'empty'}); set "
                             f"monitor.{prop} first")


def _one_pair(func: str, name: Any, value: Any, pair: dict[str, Any]) -> tuple[Any, Any]:
    """MATLAB's `f(monitor, Name=value)` is `f(monitor, "Name", value)`: one keyword stands for both."""
    if pair:
        if name is not None or value is not None or len(pair) != 1:
            raise ValueError(f"{func}: give the name and its value once, as f(monitor, 'Name', value) or "
                             f"f(monitor, Name=value)")
        name, value = next(iter(pair.items()))
    if name is None or value is None:
        raise ValueError(f"{func}: needs a name and a value")
    return name, value


def _pairs(func: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Name=value keywords, 'Name', value pairs or one dict (MATLAB's structure) as one dict."""
    out: dict[str, Any] = {}
    rest = list(args)
    if rest and isinstance(rest[0], dict):
        out.update(rest.pop(0))
    if len(rest) % 2:
        raise ValueError(f"{func}: names and values must come in pairs")
    out.update(zip(rest[::2], rest[1::2]))
    out.update(kwargs)
    return {str(k): v for k, v in out.items()}


def trainingProgressMonitor(*args: Any, **kwargs: Any) -> TrainingProgressMonitor:
    """MATLAB's trainingProgressMonitor(Metrics=[...], Info=[...], XLabel="Iteration", ...)."""
    return TrainingProgressMonitor(*args, **kwargs)


def recordMetrics(monitor: TrainingProgressMonitor, step: Any, *args: Any, **kwargs: Any) -> None:
    """MATLAB's recordMetrics(monitor, step, Name=value, ...)."""
    monitor.recordMetrics(step, *args, **kwargs)


def updateInfo(monitor: TrainingProgressMonitor, *args: Any, **kwargs: Any) -> None:
    """MATLAB's updateInfo(monitor, Name=value, ...)."""
    monitor.updateInfo(*args, **kwargs)


def groupSubPlot(monitor: TrainingProgressMonitor, groupName: str | None = None, metricNames: Any = None,
                 **pair: Any) -> None:
    """MATLAB's groupSubPlot(monitor, groupName, metricNames), also as groupSubPlot(monitor, Name=[...])."""
    monitor.groupSubPlot(groupName, metricNames, **pair)


def yscale(monitor: TrainingProgressMonitor, name: str | None = None, scale: str | None = None,
           **pair: Any) -> None:
    """MATLAB's yscale(monitor, groupName, scale) for a training progress monitor, also yscale(monitor, Name=s)."""
    monitor.yscale(name, scale, **pair)
