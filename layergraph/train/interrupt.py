"""Stopping a training loop cleanly on Ctrl-C or SIGTERM (as a job scheduler or `kill` sends): the first one
asks the loop to stop after the current iteration, so a half-applied update is never saved; a second one
stops at once (KeyboardInterrupt)."""
from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """`with stop:` catches the signals (main thread only; elsewhere it does nothing) and restores the handlers
    it replaced on the way out; the loop reads `stop.requested` between whole iterations."""

    def __init__(self, notice: Callable[[str], None]) -> None:
        self.notice = notice
        self.requested = False
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        what = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        self.notice(f"{what}: stopping after this iteration ({what} again to stop at once)")

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handler) for sig in SIGNALS}
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
