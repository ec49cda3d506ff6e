"""`layergraph export SPEC_OR_CHECKPOINT --onnx out.onnx`: write a network as ONNX (dynamic batch, explicit pads)."""
from __future__ import annotations

import argparse

from layergraph.cli.common import load_network
from layergraph.cli.overrides import add_set_option, set_values
from layergraph.safety.limits import MAX_INTEGER
from layergraph.safety.numbers import integer_option

__all__ = ["load_network", "register", "run"]  # load_network lives in cli/common.py (imported here before)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the sub-command to the `layergraph` parser."""
    p = sub.add_parser("export", help="write a network (YAML spec or training checkpoint) as an ONNX model")
    p.add_argument("source", help="network spec (YAML) or training checkpoint (.safetensors)")
    p.add_argument("--onnx", required=True, metavar="OUT", help="ONNX file to write")
    p.add_argument("--weights", metavar="FILE",
                   help="safetensors file of net.tensors() ('layer/Parameter' keys) to load into a spec")
    p.add_argument("--net", default="generator",
                   help="which network of a checkpoint: generator (default) or discriminator")
    p.add_argument("--opset", type=integer_option(1, 1_000, "--opset"), default=None,
                   help="ONNX opset version (default 13)")
    p.add_argument("--batch-size", type=integer_option(1, MAX_INTEGER, "--batch-size"), default=None,
                   help="fixed batch size (default: dynamic 'N')")
    p.add_argument("--name", help="ONNX graph name (default: the spec's name)")
    add_set_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export the network and print its inputs and outputs."""
    from layergraph.interop.onnx_export import DEFAULT_OPSET, exportONNXNetwork
    from layergraph.safety.outputs import guard_outputs

    guard_outputs([("--onnx", args.onnx)], [args.source, args.weights])
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
