"""Compile layer graphs into torch modules: dlnetwork, forward, predict."""
from layergraph.compile.dlnetwork import dlnetwork, forward, initialize, predict, resetState

__all__ = ["dlnetwork", "forward", "initialize", "predict", "resetState"]
