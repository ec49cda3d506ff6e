"""`layergraph import model.onnx --out spec.yaml --weights w.safetensors`: an ONNX model as a spec plus weights."""
from __future__ import annotations

import argparse
import re
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the sub-command to the `layergraph` parser."""
    p = sub.add_parser("import", help="turn an ONNX model into a YAML spec plus a safetensors weights file")
    p.add_argument("model", help="ONNX file (from MATLAB's exportONNXNetwork, torch.onnx.export, layergraph export)")
    p.add_argument("--out", required=True, metavar="SPEC", help="YAML spec to write")
    p.add_argument("--weights", metavar="FILE",
                   help="safetensors file of the weights (net.tensors() keys); default: SPEC with .safetensors")
    p.add_argument("--name", help="network name written into the spec (default: the ONNX graph name)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Import the ONNX model and write the spec and weights."""
    from layergraph.interop.onnx_import import import_model, load_onnx
    from layergraph.safety.outputs import guard_outputs
    from layergraph.spec.io import save_spec
    from layergraph.train.checkpoint import save_checkpoint

    out = Path(args.out)
    weights = Path(args.weights) if args.weights else out.with_suffix(".safetensors")
    guard_outputs([("--out", args.out), ("--weights", weights)], [args.model])
    model, where = load_onnx(args.model)
    lgraph, tensors = import_model(model, where)
    name = args.name or _name(model.graph.name) or Path(args.model).stem
    save_spec(lgraph, out, name=name)
    # plain safetensors (written atomically); `layergraph export SPEC --weights FILE` reads it back
    save_checkpoint(weights, tensors, {"source": str(args.model), "spec": str(out)})
    print(f"wrote {out} ({len(lgraph.Layers)} layers; inputs {', '.join(lgraph.InputNames)}; outputs "
          f"{', '.join(lgraph.OutputNames)}) and {weights} ({len(tensors)} tensors)")
    return 0


def _name(text: str) -> str:
    """A graph name usable as a spec name ('main_graph', 'Network'); '' when there is none."""
    return re.sub(r"[^\w.\-]", "_", text or "").strip("_")
