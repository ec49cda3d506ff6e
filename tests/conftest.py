"""Shared test set-up: every test sees the same simulated CPU, whatever machine runs the suite.

`precision: auto` picks bf16 on CPUs with bf16 arithmetic (layergraph.precision), so a test that inherited it
would compare numbers at a precision that depends on the machine. The suite therefore reads a simulated
/proc/cpuinfo (through $LAYERGRAPH_CPUINFO, so subprocesses see it too): by default a CPU without bf16, and with
LAYERGRAPH_TEST_CPU=bf16 one with it. Tests that train through a config are marked `trains`;
tests/test_precision.py runs them once more under the other CPU kind, so a test that silently depends on the
CPU's flags fails on every machine. Tests state fp32 (tests/test_train.write_config does by default) or bf16.
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "trains: trains through a config; run again under the other simulated CPU")
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
    """Mark the tests that train through a config (they reach write_config, tiny_config or load_config)."""
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and _trains(getattr(item, "function", None), module, set()):
            item.add_marker(pytest.mark.trains)
