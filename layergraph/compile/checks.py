"""What dlnetwork checks around a call: input sizes (as MATLAB's input layers do), example inputs, and — only
after a call failed inside torch — which layer failed, with the sizes in MATLAB's notation."""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import torch

from layergraph.dlarray import DLArray, label, matlab_shape, plain
from layergraph.errors import NetworkError
from layergraph.formats import canonical_format, torch_perm
from layergraph.graph.infer import Analysis
from layergraph.graph.layergraph import LayerGraph
from layergraph.sizes import Act


class Compiled(Protocol):
    """What the failure search needs of a compiled network: a dlnetwork, described here rather than imported
    (dlnetwork imports this module)."""

    module: Any

    @property
    def InputNames(self) -> list[str]: ...

    @property
    def analysis(self) -> Analysis: ...

    @property
    def layer_graph(self) -> LayerGraph: ...

    def layer_module(self, name: str) -> torch.nn.Module: ...


def matlab_dims(shape: Sequence[int], batch_fmt: str) -> str:
    """A torch-layout shape written in MATLAB's order with its labels: '9×9×1×4 (SSCB)'."""
    if len(shape) != len(batch_fmt):
        return "×".join(map(str, shape)) + " (torch layout)"
    perm = torch_perm(batch_fmt)
    dims = [shape[perm.index(i)] for i in range(len(batch_fmt))]
    return "×".join(map(str, dims)) + f" ({batch_fmt})"


class InputCheck:
    """Checks one network input and returns it as a plain torch-layout tensor.

    Every dimension but the batch (and the time of sequences, which only needs MinLength) must match the
    input layer's size, as MATLAB's input layers require; inputs sized by example data must match the example's
    channels.
    """

    def __init__(self, ref: str, act: Act, layer: Any) -> None:
        self.ref, self.act, self.fmt = ref, act, act.batch_fmt
        self.shape = act.torch_shape(1)
        free = {"B", "T"}
        if layer is None or not layer.is_input:
            # sized by example data: MATLAB fixes the channels (the learnables' sizes) but not the spatial sizes;
            # MathWorks' Fourier neural operator example predicts at 8× the resolution it was initialized with
            free.add("S")
        self.free = {torch_perm(self.fmt).index(i) for i, f in enumerate(self.fmt) if f in free}
        self.min_time = int(getattr(layer, "MinLength", 1) or 1) if "T" in self.fmt else 0
        self.what = f"input layer '{ref}' ({layer.type})" if layer is not None and layer.is_input else f"input '{ref}'"

    def __call__(self, x: Any, fname: str) -> torch.Tensor:
        if is_matlab_numeric(x):
            x = self._numeric(x, fname)
        elif isinstance(x, DLArray):
            if x.fmt != self.fmt:
                raise ValueError(f"{fname}: input '{self.ref}' expects {self.fmt} data, got a dlarray labelled "
                                 f"{x.fmt}")
            x = x.as_subclass(torch.Tensor)
        elif not isinstance(x, torch.Tensor):
            raise TypeError(f"{fname}: input '{self.ref}': pass a dlarray (dlarray(X, '{self.fmt}')), numeric data "
                            "in MATLAB layout or a torch tensor in torch layout")
        shape = x.shape
        if len(shape) != len(self.shape) or any(shape[i] != self.shape[i] for i in range(len(shape))
                                                if i not in self.free):
            raise NetworkError(f"{fname}: {self.what} expects {self.act} ({self.act.fmt}) per observation but got "
                               f"data of size {matlab_dims(tuple(shape), self.fmt)}")
        if self.min_time:
            t = shape[torch_perm(self.fmt).index(self.fmt.index("T"))]
            if t < self.min_time:
                raise NetworkError(f"{fname}: {self.what} needs sequences of at least {self.min_time} time steps "
                                   f"(MinLength) but got {t}")
        return x

    def _numeric(self, x: Any, fname: str) -> torch.Tensor:
        """MATLAB: numeric data and unformatted dlarrays are in the input layer's format, in MATLAB layout."""
        t = plain(x if isinstance(x, torch.Tensor) else np.asarray(x))
        if t.dtype == torch.float64:
            t = t.float()  # as dlarray(X) makes MATLAB's double data single
        if self.fmt == "CB" and t.dim() <= 2:
            # MATLAB takes numeric (and unformatted) feature data one observation per row, N×numFeatures
            # ("BC"): a column is N observations of one feature, a row one observation
            t = (t.reshape(1, -1) if t.dim() == 1 else t.reshape(1, 1) if t.dim() == 0 else t).T
        try:
            return plain(label(t, self.fmt))
        except ValueError:
            raise NetworkError(f"{fname}: {self.what} expects {self.act} ({self.act.fmt}) per observation but "
                               f"got numeric data of size {'×'.join(map(str, t.shape))}") from None


def is_matlab_numeric(x: Any) -> bool:
    """MATLAB's numeric input to predict/forward: numpy data, a number or an unformatted dlarray (MATLAB layout).
    A plain torch tensor is torch code's own, in torch layout."""
    if isinstance(x, DLArray):
        return not x.fmt
    return isinstance(x, (np.ndarray, np.generic, numbers.Number)) and not isinstance(x, bool)


def input_checks(lgraph: LayerGraph, analysis: Analysis, refs: list[str]) -> list[InputCheck]:
    """One check per network input, in InputNames order."""
    checks = []
    for ref in refs:
        name = ref.partition("/")[0]
        act = analysis.act(ref) if lgraph.layer(name).is_input else analysis.given[ref]
        checks.append(InputCheck(ref, act, lgraph.layer(name)))  # type: ignore[arg-type]
    return checks


def example_sizes(lgraph: LayerGraph, examples: Sequence[Any], fname: str) -> dict[str, Act]:
    """Sizes of the unconnected inputs from example data (formatted dlarrays or networkDataLayout objects)."""
    refs = lgraph.open_inputs()
    if len(examples) != len(refs):
        raise NetworkError(f"{fname}: {len(examples)} example input(s) given but the network has {len(refs)} "
                           f"unconnected input(s) ({', '.join(refs) or 'none'}): give one formatted dlarray each")
    sizes = {}
    for ref, x in zip(refs, examples):
        fmt = getattr(x, "fmt", "")
        if not fmt:
            raise NetworkError(f"{fname}: the example input for '{ref}' must be a formatted dlarray "
                               "(e.g. dlarray(ones([h 2 1]), 'SCB')) so that its dimensions are known")
        fmt = canonical_format(fmt)
        shape = list(x.Size) if hasattr(x, "Size") else list(matlab_shape(x))
        shape += [1] * (len(fmt) - len(shape))
        keep = [(s, f) for s, f in zip(shape, fmt) if f != "B"]
        sizes[ref] = Act(tuple(int(s) for s, _ in keep), "".join(f for _, f in keep))
    return sizes


def locate_failure(net: Compiled, xs: list[torch.Tensor], err: Exception) -> NetworkError | None:
    """After a failed call: run the layers one by one to find the one that fails, and describe it in MATLAB's
    terms (layer, type, sizes). Batch-norm statistics are restored afterwards; None if nothing fails."""
    buffers = {k: b.detach().clone() for k, b in net.module.named_buffers()}
    try:
        with torch.no_grad():
            return _walk(net, xs)
    except Exception:  # the search itself must never hide the original error
        return None
    finally:
        with torch.no_grad():
            for k, b in net.module.named_buffers():
                if k in buffers:
                    b.copy_(buffers[k])


def _walk(net: Compiled, xs: list[torch.Tensor]) -> NetworkError | None:
    lgraph, analysis = net.layer_graph, net.analysis
    feed = dict(zip(net.InputNames, xs))
    env: dict[tuple[str, str], torch.Tensor] = {}
    for name in analysis.order:
        layer = lgraph.layer(name)
        ports = layer.input_names
        wired = lgraph.sources_of(name)
        if layer.is_input:
            args = [feed[name]]
        else:
            args = [env[wired[p]] if p in wired else feed[name if len(ports) == 1 else f"{name}/{p}"] for p in ports]
        try:
            out = net.layer_module(name)(*args)
        except Exception as inner:
            return NetworkError(_describe(name, layer, args, analysis.inputs.get(name, []), inner))
        outs = out if isinstance(out, tuple) else (out,)
        env.update({(name, p): plain(v) for p, v in zip(layer.output_names, outs)})
    return None


def _describe(name: str, layer: Any, args: list[torch.Tensor], expected: list[Act], err: Exception) -> str:
    """'layer 'conv' (convolution1dLayer): <torch's message>; input 'in': 5×2×3 (CBT), expected 8×… (CT)'."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    parts = []
    for i, (port, x) in enumerate(zip(layer.input_names or ["in"], args)):
        act = expected[i] if i < len(expected) else None
        got = matlab_dims(tuple(x.shape), act.batch_fmt) if act is not None else "×".join(map(str, x.shape))
        want = f", analysed as {act} ({act.fmt}) per observation" if act is not None else ""
        parts.append(f"input '{port}' {got}{want}")
    kind = layer.type_label or layer.type
    return f"layer '{name}' ({layer.type}, {kind}) failed: {text}; " + "; ".join(parts)
