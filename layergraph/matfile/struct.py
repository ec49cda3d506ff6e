"""MATLAB's scalar structure as load returns it, and the error of save and load."""
from __future__ import annotations

from typing import Any

from layergraph.errors import LayergraphError

__all__ = ["MatFileError", "Struct"]


class MatFileError(LayergraphError):
    """A MAT-file cannot be written or read as asked."""


class Struct(dict):
    """MATLAB's scalar structure: fields by attribute (`S.net`) and by name (`S["net"]`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"structure has no field '{name}'; fields: {', '.join(self)}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value
