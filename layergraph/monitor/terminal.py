"""What a training progress monitor shows in the terminal: a live panel on a TTY, occasional plain lines otherwise."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO


def elapsed_text(seconds: float) -> str:
    """hh:mm:ss, as MATLAB's duration display."""
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def value_text(value: Any) -> str:
    """A metric or info value, short: 4 significant digits for numbers."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@dataclass
class Snapshot:
    """What the display shows: progress, status, elapsed time, the latest metric values and the info values."""

    progress: float
    status: str
    elapsed: float
    xlabel: str
    metrics: dict[str, tuple[float, float] | None] = field(default_factory=dict)  # name → (step, value)
    info: dict[str, Any] = field(default_factory=dict)
    stopping: bool = False

    def line(self) -> str:
        """The snapshot on one line (logs and non-TTY output)."""
        parts = [f"[{self.progress:5.1f}%]", elapsed_text(self.elapsed)]
        if self.status:
            parts.append(self.status)
        steps = [m[0] for m in self.metrics.values() if m is not None]
        if steps:
            parts.append(f"{self.xlabel} {value_text(max(steps))}")
        parts += [f"{k} {value_text(v[1])}" for k, v in self.metrics.items() if v is not None]
        parts += [f"{k} {value_text(v)}" for k, v in self.info.items() if v is not None]
        return " | ".join(parts)


class PlainDisplay:
    """One line at most every `interval` seconds (and on request), for logs and pipes."""

    def __init__(self, stream: TextIO | None = None, interval: float = 10.0) -> None:
        self.stream = stream
        self.interval = interval
        self.last = -float("inf")
        self.shown = ""

    def update(self, snap: Snapshot, force: bool = False) -> None:
        now = time.monotonic()
        text = snap.line()
        if (force or now - self.last >= self.interval) and text != self.shown:
            print(text, file=self.stream or sys.stdout, flush=True)
            self.last, self.shown = now, text

    def close(self, snap: Snapshot) -> None:
        self.update(snap, force=True)


class LiveDisplay:
    """A rich panel redrawn in place: a progress bar, status and elapsed time, then metrics and info tables."""

    def __init__(self, interval: float = 0.1) -> None:
        from rich.console import Console
        from rich.live import Live

        self.interval = interval
        self.last = -float("inf")
        self.live = Live(console=Console(), auto_refresh=False, redirect_stdout=True, redirect_stderr=True)
        self.live.start()

    @staticmethod
    def render(snap: Snapshot) -> Any:
        from rich.console import Group
        from rich.panel import Panel
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text  # the user's names and texts as plain text: '[/b]' is not markup here

        head = Table.grid(padding=(0, 1))
        head.add_row(ProgressBar(total=100, completed=snap.progress, width=40), f"{snap.progress:5.1f}%",
                     f"elapsed {elapsed_text(snap.elapsed)}", Text(snap.status or ""))
        rows = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        rows.add_column("metric")
        rows.add_column(Text(snap.xlabel), justify="right")
        rows.add_column("value", justify="right")
        for name, last in snap.metrics.items():
            rows.add_row(Text(name), *(("", "") if last is None else (value_text(last[0]), value_text(last[1]))))
        parts: list[Any] = [head, rows]
        if snap.info:
            info = Table.grid(padding=(0, 2))
            info.add_row(*(Text.assemble((str(k), "bold"), f" {value_text(v) if v is not None else ''}")
                           for k, v in snap.info.items()))
            parts.append(info)
        if snap.stopping:
            parts.append("[yellow]Stop requested (Ctrl-C): monitor.Stop is true; Ctrl-C again interrupts[/]")
        return Panel(Group(*parts), title="Training Progress", expand=False)

    def update(self, snap: Snapshot, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= self.interval:
            self.live.update(self.render(snap), refresh=True)
            self.last = now

    def close(self, snap: Snapshot) -> None:
        self.live.update(self.render(snap), refresh=True)
        self.live.stop()
