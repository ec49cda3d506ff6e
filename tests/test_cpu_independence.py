"""No test's numbers depend on the CPU's flags: the tests that train run again under the other simulated CPU.

tests/conftest.py gives every test one simulated CPU (no bf16 arithmetic unless LAYERGRAPH_TEST_CPU=bf16), so a
test that inherited `precision: auto` would pass on one kind of machine and fail on the other. Here the tests
marked `trains` run once more, in a subprocess, under the other kind; they must pass there too.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import CPU_ENV

ROOT = Path(__file__).resolve().parents[1]


def test_tests_that_train_pass_on_the_other_kind_of_cpu() -> None:
    other = "no-bf16" if os.environ.get(CPU_ENV, "no-bf16") == "bf16" else "bf16"
    env = {**os.environ, CPU_ENV: other, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "pytest", "-o", "addopts=", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
           "-m", "trains", "tests"]
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    tail = res.stdout[-3000:] + res.stderr[-2000:]
    assert res.returncode == 0, f"under a simulated {other} CPU:\n{tail}"
    passed = re.search(r"(\d+) passed", res.stdout)
    assert passed and int(passed.group(1)) >= 20 and " failed" not in res.stdout, tail  # the marked set ran
