"""Errors users see: one line, naming where the problem is (file:line, layer, field)."""
from __future__ import annotations


class LayergraphError(Exception):
    """Base of all user-facing errors; `exit_code` is what the CLI returns."""

    exit_code = 2


class OptionError(LayergraphError, ValueError):
    """A layer constructor got an unknown option or a bad value."""


class SpecError(LayergraphError, ValueError):
    """A spec or config file cannot be read or validated (exit code 2)."""


class NetworkError(LayergraphError, ValueError):
    """The network is invalid: cycle, size mismatch, unconnected input (exit code 1)."""

    exit_code = 1


class DataError(LayergraphError, ValueError):
    """A data file or folder cannot be read."""


class DeviceError(LayergraphError, RuntimeError):
    """The requested device (executionEnvironment 'gpu') is not available."""


class LimitError(SpecError):
    """The input asks for more than layergraph's caps allow (docs/limits.md); refused before any work."""
