"""Background worker threads that are stopped and joined when the interpreter exits.

A daemon thread still inside a torch operation while Python shuts down aborts the process ("terminate called
without an active exception"), so every worker is asked to stop, and waited for, before that happens.
"""
from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable
from typing import Any

_live: weakref.WeakKeyDictionary[threading.Thread, threading.Event] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def start_worker(target: Callable[..., Any], args: tuple, stop: threading.Event, name: str) -> threading.Thread:
    """Start `target(*args)` on a daemon thread that the exit hook stops through `stop` and joins."""
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    with _lock:
        _live[thread] = stop
    thread.start()
    return thread


@atexit.register
def stop_workers() -> None:
    """Signal every live worker to stop and wait for it, so none runs during interpreter shutdown.

    The wait has no time limit on purpose: a worker notices the stop event between batches (waiting for room in
    its buffer it checks every 0.1 s), and one abandoned inside a long batch function aborts the whole process.
    """
    with _lock:
        workers = list(_live.items())
    for _, stop in workers:
        stop.set()
    for thread, _ in workers:
        if thread.is_alive() and thread is not threading.current_thread():
            thread.join()
