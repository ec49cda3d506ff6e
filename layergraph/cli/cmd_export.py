"""`layergraph export SPEC_OR_CHECKPOINT --onnx out.onnx`: write a network as ONNX (dynamic batch, explicit pads)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from layergraph.cli.overrides import add_set_option, set_values
from layergraph.compile.dlnetwork import dlnetwork
from layergraph.errors import LayergraphError, SpecError
from layergraph.graph.layergraph import LayerGraph
from layergraph.spec.io import graph_from_data
from layergraph.spec.yamlsafe import load_yaml, read_yaml_file

_META_KEY = "layergraph.meta"  # where layergraph.train.checkpoint keeps its JSON metadata


def register(sub: argparse._SubParsersAction) -> None:
    """Add the sub-command to the `layergraph` parser."""
    p = sub.add_parser("export", help="write a network (YAML spec or training checkpoint) as an ONNX model")
    p.add_argument("source", help="network spec (YAML) or training checkpoint (.safetensors)")
    p.add_argument("--onnx", required=True, metavar="OUT", help="ONNX file to write")
    p.add_argument("--weights", metavar="FILE",
                   help="safetensors file of net.tensors() ('layer/Parameter' keys) to load into a spec")
    p.add_argument("--net", default="generator",
                   help="which network of a checkpoint: generator (default) or discriminator")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset version (default 13)")
    p.add_argument("--batch-size", type=int, default=None, help="fixed batch size (default: dynamic 'N')")
    p.add_argument("--name", help="ONNX graph name (default: the spec's name)")
    add_set_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export the network and print its inputs and outputs."""
    from layergraph.interop.onnx_export import DEFAULT_OPSET, exportONNXNetwork

    net, name = load_network(args.source, weights=args.weights, which=args.net, params=set_values(args.set))
    opset = DEFAULT_OPSET if args.opset is None else args.opset
    path = exportONNXNetwork(net, args.onnx, NetworkName=args.name or name, OpsetVersion=opset,
                             BatchSize=args.batch_size)
    batch = "N" if args.batch_size is None else str(args.batch_size)

    def shapes(names: list[str]) -> str:
        return ", ".join(f"{n} [{'×'.join([batch, *map(str, net.analysis.outputs[n].torch_shape(1)[1:])])}]"
                         for n in names)

    print(f"wrote {path} (opset {opset}, {len(net.Layers)} layers): inputs {shapes(net.InputNames)}; "
          f"outputs {shapes(net.OutputNames)}")
    return 0


# ----- sources: a spec (+ weights) or a training checkpoint ---------------------------------------------------
def is_safetensors(path: Path) -> bool:
    """True when the file starts like a safetensors file (8-byte header length, then a JSON object)."""
    try:
        with open(path, "rb") as f:
            head = f.read(9)
    except OSError:
        return False
    return len(head) == 9 and head[8:9] == b"{" and 2 <= int.from_bytes(head[:8], "little") < 100_000_000


def load_graph_any(source: str, which: str = "generator", params: dict[str, Any] | None = None
                   ) -> tuple[LayerGraph, str, dict[str, Any] | None]:
    """(LayerGraph, name, weights or None) from a YAML spec (`params` override its template parameters), a
    training checkpoint (its `which` network) or an ONNX model; a spec carries no weights."""
    path = Path(source)
    if not path.exists():
        raise SpecError(f"{path}: file not found")
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
                 params: dict[str, Any] | None = None) -> tuple[dlnetwork, str]:
    """(dlnetwork, name): a checkpoint's network with its trained weights, an ONNX model's, or a spec with the
    weights file `weights` (default MATLAB initialization without one)."""
    lgraph, name, tensors = load_graph_any(source, which, params)
    where = f"{source} ({which})" if tensors is not None and Path(source).suffix.lower() != ".onnx" else source
    if weights:
        if tensors is not None:
            raise SpecError(f"{source}: carries its own weights; --weights is for specs")
        tensors, where = _read_tensors(Path(weights))[0], str(weights)
    net = dlnetwork(lgraph)  # an invalid network is a NetworkError (exit code 1), as for `layergraph analyze`
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
    """A training checkpoint: meta['<which>_spec'] holds the spec text, tensors '<which>/layer/Param' the weights."""
    tensors, meta = _read_tensors(path)
    key = f"{which}_spec"
    if not isinstance(meta.get(key), str):
        held = sorted(k[: -len("_spec")] for k in meta if k.endswith("_spec"))
        if held:
            raise SpecError(f"{path}: the checkpoint has no '{which}' network (it has: {', '.join(held)})")
        raise SpecError(f"{path}: not a layergraph training checkpoint (no '{key}' in its metadata)")
    where = f"{path}:{key}"
    lgraph = graph_from_data(load_yaml(meta[key], where), where)
    from layergraph.train.checkpoint import network_tensors

    mine = network_tensors(tensors, which)
    if not mine:
        raise SpecError(f"{path}: the checkpoint has no '{which}/…' weights")
    return lgraph, which, mine


def _read_tensors(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(tensors, meta) of a safetensors file, through the training checkpoint reader when it is there."""
    try:
        from layergraph.train.checkpoint import load_checkpoint
    except ImportError:  # the training package is optional here: read the plain safetensors file
        load_checkpoint = None
    if load_checkpoint is not None:
        return load_checkpoint(path)
    if not path.is_file():
        raise SpecError(f"{path}: file not found")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            meta_text = (f.metadata() or {}).get(_META_KEY, "{}")
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open has no iterator
        meta = json.loads(meta_text)
    except Exception as err:  # safetensors raises its own error types: one line
        raise SpecError(f"{path}: cannot read the safetensors file ({str(err).splitlines()[0]})") from None
    return tensors, meta if isinstance(meta, dict) else {}
