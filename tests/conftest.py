"""Shared test set-up: every test sees the same simulated CPU, whatever machine runs the suite.

`precision: auto` picks bf16 on CPUs with bf16 arithmetic (layergraph.precision), so a test that inherited it
would compare numbers at a precision that depends on the machine. The suite therefore reads a simulated
/proc/cpuinfo (through $LAYERGRAPH_CPUINFO, so subprocesses see it too): by default a CPU without bf16, and with
LAYERGRAPH_TEST_CPU=bf16 one with it. Tests that train through a config are marked `trains`;
tests/test_precision.py runs them once more under the other CPU kind, so a test that silently depends on the
CPU's flags fails on every machine. Tests state fp32 (tests/helpers.write_config does by default) or bf16.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

from layergraph import precision

SIMULATED_CPUS = {
    "no-bf16": "processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2 fma\n",
    "bf16": "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_tile amx_bf16\n",
}
CPU_ENV = "LAYERGRAPH_TEST_CPU"

# The end-to-end files, marked `slow`: whole GAN trainings, `layergraph` subprocesses, every docs block,
# torchrun, a browser, a wheel install. Measured by running each file alone on one core: CPU seconds (user +
# system, subprocesses included, about 3 s of it pytest's start-up); every other file takes 3–10 s. Together
# they are 78 % of the suite's CPU time (308 of 396 s). `pytest -m "not slow"` (make test-quick) is the quick
# loop; `make test` still runs them all.
SLOW_FILES = {
    "test_cpu_independence.py",  # 70 s: every test that trains, once more under the other simulated CPU
    "test_spec_cli.py",  # 58 s: the analyze/compare commands, many as subprocesses
    "test_docs.py",  # 46 s: every Python block of docs/
    "test_distributed.py",  # 37 s: two torchrun processes against one
    "test_train.py",  # 26 s: `layergraph train` / `generate` end to end
    "test_fuzz.py",  # 19 s: 1,150 generated specs and configs through the CLI
    "test_examples.py",  # 16 s: the example scripts end to end, as subprocesses
    "test_install.py",  # 15 s: a wheel installed into a fresh virtual environment
    "test_interrupt.py",  # 15 s: Ctrl-C at random moments of real runs
    "test_onnx.py",  # 15 s: every shipped spec exported and run in onnxruntime
    "test_ports.py",  # 12 s: the ported MATLAB examples train
    "test_fuzz_hostile.py",  # 12 s: 1,150 hostile inputs through the CLI
    "test_port_simple_classifier.py",  # 11 s: a ported MATLAB classifier trains end to end
    "test_analyze_browser.py",  # the analyzeNetwork page driven in Chromium (skipped where there is none)
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "trains: trains through a config; run again under the other simulated CPU")
    config.addinivalue_line("markers", "slow: an end-to-end file (SLOW_FILES in tests/conftest.py); -m 'not slow' "
                                       "leaves them out")
    missing = sorted(f for f in SLOW_FILES if not (Path(__file__).parent / f).is_file())
    if missing:  # a renamed file would silently leave the quick loop slow
        raise pytest.UsageError(f"tests/conftest.py SLOW_FILES names files that do not exist: {', '.join(missing)}")
    kind = os.environ.get(CPU_ENV, "no-bf16")
    if kind not in SIMULATED_CPUS:
        raise pytest.UsageError(f"{CPU_ENV} must be one of {', '.join(SIMULATED_CPUS)}, got {kind!r}")
    listing = Path(tempfile.mkdtemp(prefix="layergraph-cpu-")) / "cpuinfo"
    listing.write_text(SIMULATED_CPUS[kind])
    os.environ[precision.CPUINFO_ENV] = str(listing)
    precision.bf16_support.cache_clear()


TRAINING_HELPERS = {"write_config", "tiny_config", "load_config", "GANTrainer"}


def _trains(function: object, module: object, seen: set[str]) -> bool:
    """Whether a test function reaches a training config, directly or through helpers in tests/."""
    code = getattr(function, "__code__", None)
    if code is None:
        return False
    names = set(code.co_names) | {c for k in code.co_consts if hasattr(k, "co_names") for c in k.co_names}
    if names & TRAINING_HELPERS:
        return True
    for name in names - seen:
        seen.add(name)
        helper = getattr(module, name, None)
        if callable(helper) and getattr(helper, "__module__", "").startswith("tests.") and \
                _trains(helper, sys.modules.get(helper.__module__, module), seen):
            return True
    return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that train through a config (they reach write_config, tiny_config or load_config), and
    every test of an end-to-end file slow."""
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
        module = getattr(item, "module", None)
        if module is not None and _trains(getattr(item, "function", None), module, set()):
            item.add_marker(pytest.mark.trains)
