"""Notebooks show a LayerGraph or dlnetwork as its analyzeNetwork page, inline.

The display is attached to the model classes from here, the presentation side, so that the model modules
import nothing of the page (importing layergraph imports this module).
"""
from __future__ import annotations

from typing import Any

from layergraph.analyze.html import notebook_html
from layergraph.analyze.report import network_report
from layergraph.compile.dlnetwork import dlnetwork
from layergraph.graph.layergraph import LayerGraph


def repr_html(net: Any) -> str:
    """`_repr_html_` of dlnetwork and LayerGraph: their analyzeNetwork page in a sandboxed frame."""
    return notebook_html(network_report(net))


for _cls in (LayerGraph, dlnetwork):
    _cls._repr_html_ = repr_html  # type: ignore[attr-defined]
