"""Background workers are stopped and joined before interpreter shutdown (a daemon thread left inside a torch
operation while Python finalizes aborts the process: 'terminate called without an active exception')."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

from layergraph.workers import start_worker, stop_workers

# a minibatchqueue whose batch function is busy in torch when the program ends, right after the first batch
PROGRAM = """
import numpy as np, torch
from layergraph import arrayDatastore, minibatchqueue
def busy(x):
    x = torch.as_tensor(np.concatenate(x, 0), dtype=torch.float32)  # the cell of 1×256 rows → 1024×256
    for _ in range(40):
        x = torch.tanh(x @ torch.ones(x.shape[-1], x.shape[-1]) / x.shape[-1])
    return x
mbq = minibatchqueue(arrayDatastore(np.random.rand(4096, 256)), MiniBatchSize=1024, MiniBatchFcn=busy,
                     MiniBatchFormat="BC")
print(tuple(next(mbq).shape))
"""


def test_program_ending_during_a_busy_worker_exits_cleanly() -> None:
    res = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "terminate called" not in res.stderr
    assert res.stdout.strip() == "(1024, 256)"


def test_stop_workers_stops_and_joins_every_live_worker() -> None:
    stop = threading.Event()
    ticks: list[float] = []

    def loop() -> None:
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    thread = start_worker(loop, (), stop, "test-worker")
    time.sleep(0.05)
    assert thread.is_alive() and thread.daemon
    stop_workers()
    assert stop.is_set() and not thread.is_alive()
    assert len(ticks) >= 1
