"""Compile layer graphs into torch modules: dlnetwork, forward, predict."""
from layergraph.compile.dlnetwork import dlnetwork, forward, predict

__all__ = ["dlnetwork", "forward", "predict"]
