"""Helpers shared by the sub-commands: reading a network from a spec, a training checkpoint or an ONNX model."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from layergraph.compile.dlnetwork import dlnetwork
from layergraph.errors import LayergraphError, LimitError, SpecError
from layergraph.gan.checkpoint import read_checkpoint
from layergraph.graph.layergraph import LayerGraph
from layergraph.spec.io import graph_from_data, graph_from_text
from layergraph.spec.yamlsafe import read_yaml_file
from layergraph.train.checkpoint import load_checkpoint


def load_graph(path: str, params: Mapping[str, Any] | None = None) -> LayerGraph:
    """A LayerGraph from a YAML spec, `params` overriding its template parameters (--set); errors are
    one-line SpecErrors naming file:line."""
    return graph_from_data(read_yaml_file(path), str(path), params, "--set")


def is_safetensors(path: Path) -> bool:
    """True when the file starts like a safetensors file (8-byte header length, then a JSON object)."""
    try:
        with open(path, "rb") as f:
            head = f.read(9)
    except OSError:
        return False
    return len(head) == 9 and head[8:9] == b"{" and 2 <= int.from_bytes(head[:8], "little") < 100_000_000


def load_graph_any(source: str, which: str = "generator", params: Mapping[str, Any] | None = None
                   ) -> tuple[LayerGraph, str, dict[str, Any] | None]:
    """(LayerGraph, name, weights or None) from a YAML spec (`params` override its template parameters), a
    training checkpoint (its `which` network) or an ONNX model; a spec carries no weights."""
    from layergraph.safety.files import regular_file
    from layergraph.spec.builtin import is_builtin_name, resolve_spec_path

    if is_builtin_name(source):  # a shipped spec by name: template:NAME
        data = read_yaml_file(source)
        name = data.get("name") if isinstance(data, dict) and isinstance(data.get("name"), str) else source
        return graph_from_data(data, source, params, "--set"), name, None
    # a regular file only: opening a FIFO to sniff it would block, /dev/zero never end
    path = regular_file(resolve_spec_path(source), "network file")
    if params and (path.suffix.lower() == ".onnx" or is_safetensors(path)):
        raise SpecError(f"{path}: --set changes the parameters of a YAML spec; this is not one")
    if path.suffix.lower() == ".onnx":
        from layergraph.interop.onnx_import import importONNXNetwork

        lgraph, tensors = importONNXNetwork(path)
        return lgraph, path.stem, tensors
    if is_safetensors(path):
        return _from_checkpoint(path, which)
    data = read_yaml_file(path)
    name = data.get("name") if isinstance(data, dict) and isinstance(data.get("name"), str) else path.stem
    return graph_from_data(data, str(path), params, "--set"), name, None


def load_network(source: str, weights: str | None = None, which: str = "generator",
                 params: Mapping[str, Any] | None = None) -> tuple[dlnetwork, str]:
    """(dlnetwork, name): a checkpoint's network with its trained weights, an ONNX model's, or a spec with the
    weights file `weights` (default MATLAB initialization without one)."""
    lgraph, name, tensors = load_graph_any(source, which, params)
    where = f"{source} ({which})" if tensors is not None and Path(source).suffix.lower() != ".onnx" else source
    if weights:
        if tensors is not None:
            raise SpecError(f"{source}: carries its own weights; --weights is for specs")
        tensors, where = load_checkpoint(Path(weights))[0], str(weights)
    try:
        net = dlnetwork(lgraph)  # an invalid network is a NetworkError (exit code 1), as for `layergraph analyze`
    except LimitError as err:  # too large to build: name the file too
        raise LimitError(f"{source}: {err}") from None
    if tensors is not None:
        load_weights(net, tensors, where)
    return net, name


def load_weights(net: dlnetwork, tensors: dict[str, Any], where: str) -> None:
    """Load 'layer/Parameter' tensors, every one checked; errors name the parameter (exit code 2)."""
    own = net.tensors()
    extra = [k for k in tensors if k not in own]
    if extra:
        raise SpecError(f"{where}: '{extra[0]}' is not a parameter of this network")
    try:
        net.load_tensors(tensors)  # strict: a missing parameter or a wrong shape is named
    except LayergraphError as err:
        raise SpecError(f"{where}: {err}") from None


def _from_checkpoint(path: Path, which: str) -> tuple[LayerGraph, str, dict[str, Any]]:
    """A training checkpoint's network `which`: its spec text and its weights (gan/checkpoint.py reads it)."""
    saved = read_checkpoint(path)
    spec = saved.spec(which)
    return graph_from_text(spec, f"{path}:{which}_spec"), which, saved.weights(which)
