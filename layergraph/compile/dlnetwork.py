"""dlnetwork: a compiled layer graph with MATLAB's Learnables/State tables, forward and predict.

As in MATLAB (R2024a), a dlnetwork is a value: `net = dlnetwork;` is empty and uninitialized,
`net = addLayers(net, layers)` / `net.connectLayers(...)` return edited copies (uninitialized, keeping the
learnables of the layers they kept), and `net = initialize(net)` builds the modules and fills the learnables
that are not set. `dlnetwork(layers, X1, …)` takes example inputs for a network without input layers.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from layergraph.compile.build import build_graph_module, wire
from layergraph.compile.checks import InputCheck, example_sizes, input_checks, is_matlab_numeric, locate_failure
from layergraph.compile.data_formats import label_inputs, shape_outputs
from layergraph.compile.parameters import NetworkParameters, Rows
from layergraph.dlarray import DLArray, stripdims, wrap
from layergraph.errors import NetworkError
from layergraph.graph.infer import Analysis, infer
from layergraph.graph.layergraph import LayerGraph, layerGraph
from layergraph.layers.base import Layer
from layergraph.layers.custom import call_layer
from layergraph.namevalue import matlab_keywords, name_value
from layergraph.nargout import nargout, results
from layergraph.safety.limits import check_network_size
from layergraph.table import matlab_size
from layergraph.tracing import in_dlfeval


def _graph_of(layers: Any) -> LayerGraph:
    if layers is None:
        return LayerGraph()
    if isinstance(layers, dlnetwork):
        return layers.layer_graph
    return layers.copy() if isinstance(layers, LayerGraph) else layerGraph(layers)


def _split_options(args: tuple[Any, ...], kwargs: dict[str, Any], names: tuple[str, ...], fname: str,
                   ) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Positional data arguments, then MATLAB 'Name', value pairs (the first string starts them) and keywords."""
    cut = next((i for i, a in enumerate(args) if isinstance(a, str)), len(args))
    return args[:cut], name_value(fname, args[cut:], kwargs, names)


class dlnetwork(NetworkParameters):  # noqa: N801 - MATLAB name
    """A network ready for custom training loops: `Y, state = forward(net, X)`, `Y = predict(net, X)`.

    The forward pass is a torch.fx GraphModule (`net.module`) generated once from the graph, so a call
    costs the same as a hand-written nn.Module. Learnables are torch Parameters in torch layout;
    `getLearnable`/`setLearnable` read and write them in MATLAB layout.

    `dlnetwork()` is an empty network; `dlnetwork(layers)` compiles a layer array or graph;
    `dlnetwork(layers, X1, …)` sizes the unconnected inputs of a network without input layers from example
    dlarrays; `Initialize=False` keeps it uninitialized until `initialize(net)`.
    """

    def __init__(self, layers: LayerGraph | Iterable[Layer] | Layer | None = None, *args: Any,
                 **kwargs: Any) -> None:
        examples, opts = _split_options(args, kwargs, ("Initialize",), "dlnetwork")
        self._lgraph = _graph_of(layers)
        self._known: dict[tuple[str, str], torch.Tensor] = {}
        self._given = dict(layers._given) if isinstance(layers, dlnetwork) else {}
        if isinstance(layers, dlnetwork):
            self._known = layers._values()
        if examples:
            self._given = example_sizes(self._lgraph, examples, "dlnetwork")
        self._clear()
        if bool(opts.get("Initialize", layers is not None)):
            self._initialize()

    def _clear(self) -> None:
        """Forget the compiled form: the network is uninitialized (its graph and known values stay)."""
        self.module: Any = None
        self._analysis: Analysis | None = None
        self._keys: dict[str, str] = {}
        self._learn_rows: Rows = []
        self._state_rows: Rows = []
        self._recurrent: list[nn.Module] = []  # layers whose state moves on in a pass (recurrent layers)
        self._views: dict[tuple[str, ...], tuple[Any, list[str]]] = {}
        self._training: bool | None = None
        self._device = torch.device("cpu")
        self._fn: Any = None  # what forward/predict call: the fx module, or its torch.compile/DDP wrapper

    def _initialize(self) -> None:
        lgraph = self._lgraph
        if not lgraph.InputNames and not self._given:
            opened = lgraph.open_inputs()
            if opened:
                names = ", ".join(repr(r) for r in opened)
                raise NetworkError(f"dlnetwork: the network has no input layers; give example inputs for {names}: "
                                   "dlnetwork(layers, X1, …) or initialize(net, X1, …)")
        analysis = infer(lgraph, self._given)
        if analysis.errors:
            first = analysis.errors[0]
            more = len(analysis.errors) - 1
            extra = f" ({more} more issue{'s' if more > 1 else ''}; run analyzeNetwork)" if more else ""
            raise NetworkError(f"dlnetwork: layer '{first.layer}': {first.message}{extra}")
        check_network_size(lgraph, analysis)  # refused before a byte is allocated (layergraph/safety/limits.py)
        self._analysis = analysis
        self.module, self._keys = build_graph_module(lgraph, analysis, self.InputNames, self.OutputNames)
        self._fn = self.module
        self._checks: list[InputCheck] = input_checks(lgraph, analysis, self.InputNames)
        self._out_fmt = [self._act(ref).batch_fmt for ref in self.OutputNames]
        self._learn_rows, self._state_rows = self._collect_rows()
        self._recurrent = [m for m in self.module.modules() if getattr(m, "state_names", ())]
        self._restore(self._known)
        self._known = {}

    # ----- structure ---------------------------------------------------------------------------
    @property
    def Layers(self) -> list[Layer]:
        """Layers in execution (topological) order, as dlnetwork stores them."""
        order = self._analysis.order if self._analysis else list(self._lgraph.graph.nodes)
        return [self._lgraph.layer(n) for n in order]

    @property
    def Connections(self) -> list[tuple[str, str]]:
        return self._lgraph.Connections

    @property
    def InputNames(self) -> list[str]:
        """Input layers, and unconnected layer inputs ('layer', 'layer/in2') of a network fed by example inputs."""
        names = []
        for n in self._lgraph.graph.nodes:
            layer = self._lgraph.layer(n)
            if layer.is_input:
                names.append(n)
                continue
            wired, ports = self._lgraph.inputs_of(n), layer.input_names
            names += [n if len(ports) == 1 else f"{n}/{p}" for p in ports if p not in wired]
        return names

    @property
    def OutputNames(self) -> list[str]:
        """The unconnected layer outputs ('layer', or 'layer/port' for a layer with several outputs)."""
        return self._lgraph.OutputNames

    @property
    def layer_graph(self) -> LayerGraph:
        """The LayerGraph this network was compiled from (a copy: editing it leaves the network alone)."""
        return self._lgraph.copy()

    @property
    def Initialized(self) -> bool:
        """MATLAB's Initialized: true once the learnables exist (dlnetwork(layers) or initialize(net))."""
        return self.module is not None

    @property
    def analysis(self) -> Analysis:
        return self._need_init("analysis")._analysis  # type: ignore[return-value]

    def _act(self, ref: str) -> Any:
        act = self.analysis.act(ref)
        if act is None:
            raise KeyError(f"no layer output or network input named '{ref}'")
        return act

    # ----- editing: each returns a new, uninitialized network (MATLAB's value semantics) ---------------
    def _edited(self, lgraph: LayerGraph) -> dlnetwork:
        new = dlnetwork(Initialize=False)
        new._lgraph = lgraph
        new._given = {k: v for k, v in self._given.items() if k.partition("/")[0] in lgraph.graph}
        new._known = {k: v for k, v in self._values().items() if k[0] in lgraph.graph}
        return new

    def addLayers(self, layers: Iterable[Layer] | Layer) -> dlnetwork:
        """net = addLayers(net, layers): the network with these layers added (connected among themselves)."""
        return self._edited(self._lgraph.addLayers(layers))

    def removeLayers(self, names: str | Iterable[str]) -> dlnetwork:
        return self._edited(self._lgraph.removeLayers(names))

    def connectLayers(self, s: str, d: str) -> dlnetwork:
        return self._edited(self._lgraph.connectLayers(s, d))

    def disconnectLayers(self, s: str, d: str) -> dlnetwork:
        return self._edited(self._lgraph.disconnectLayers(s, d))

    @matlab_keywords
    def replaceLayer(self, name: str, layers: Iterable[Layer] | Layer, ReconnectBy: str = "name") -> dlnetwork:
        new = self._edited(self._lgraph.replaceLayer(name, layers, ReconnectBy))
        new._known = {k: v for k, v in new._known.items() if k[0] != name}
        return new

    def initialize(self, *X: Any) -> dlnetwork:
        """net = initialize(net[, X1, …]): an initialized copy; learnables already set keep their values."""
        new = self._edited(self._lgraph.copy())
        if X:
            new._given = example_sizes(self._lgraph, X, "initialize")
        new._initialize()
        return new

    def copy(self) -> dlnetwork:
        """An independent copy (MATLAB's `b = a` of a network, a value): later in-place updates of one, such as
        adamupdate's, leave the other as it was."""
        new = self._edited(self._lgraph.copy())
        if self.module is not None:
            new._initialize()
        return new

    def resetState(self) -> dlnetwork:
        """net = resetState(net): a copy whose recurrent states (HiddenState, CellState) are back at their
        initial values (the layer's option, else zeros, (D·H)×1); learnables and batch-norm statistics stay."""
        new = self._edited(self._lgraph.copy())
        if self.module is not None:
            recurrent = {(lay, par) for lay, par, _, _ in self._state_rows
                         if par in getattr(self.layer_module(lay), "state_names", ())}
            new._known = {k: v for k, v in new._known.items() if k not in recurrent}
            new._initialize()
        return new

    # ----- execution ----------------------------------------------------------------------------
    def to(self, device: str | torch.device) -> dlnetwork:
        """Move learnables and state to `device` (in place; Parameters keep their identity)."""
        self._device = torch.device(device)
        self._need_init("to").module.to(self._device)
        self._learn_rows, self._state_rows = self._collect_rows()  # buffers are new tensors after a move
        return self

    def compile(self, **options: Any) -> dlnetwork:
        """Run forward/predict through torch.compile (of the DDP wrapper, when distributed; parameters stay
        shared)."""
        self._fn = torch.compile(self._need_init("compile")._fn, **options)
        return self

    def distribute(self, **options: Any) -> dlnetwork:
        """Run forward/predict through torch's DistributedDataParallel(net.module, **options): gradients
        accumulated with `.backward()` are averaged across the process group as they are computed."""
        self._fn = nn.parallel.DistributedDataParallel(self._need_init("distribute").module, **options)
        return self

    def channels_last(self) -> dlnetwork:
        """Store 4-D weights channels-last (NHWC), which convolution kernels on GPUs prefer."""
        self._need_init("channels_last").module.to(memory_format=torch.channels_last)
        return self

    @property
    def device(self) -> torch.device:
        return self._device

    def _prepare(self, X: tuple[Any, ...], training: bool, fname: str) -> list[torch.Tensor]:
        self._need_init(fname)
        if len(X) != len(self._checks):
            raise ValueError(f"{fname}: the network has {len(self._checks)} input(s) {self.InputNames}, "
                             f"got {len(X)}")
        if self._training is not training:
            self.module.train(training)
            self._training = training
        xs = [check(x, fname) for x, check in zip(X, self._checks)]
        if xs[0].device != self._device:  # MATLAB computes where the data is: follow it
            self.to(xs[0].device)
        return xs

    def _runner(self, outputs: Any) -> tuple[Any, list[str]]:
        """The callable and output formats for MATLAB's Outputs option (the network's outputs when None)."""
        if outputs is None:
            return self._fn, self._out_fmt
        refs = tuple([outputs] if isinstance(outputs, str) else [str(o) for o in outputs])
        if refs not in self._views:
            for ref in refs:
                name, _, port = ref.partition("/")
                outs = self._lgraph.layer(name).output_names
                if (port and port not in outs) or (not port and len(outs) > 1):
                    raise NetworkError(f"Outputs: layer '{name}' has outputs {', '.join(outs)}; name one as "
                                       f"'{name}/{outs[0]}'" if len(outs) > 1 else
                                       f"Outputs: layer '{name}' has no output '{port}' (outputs: out)")
            root = self.module
            gm = wire(self._lgraph, self.analysis, root, self._keys, self.InputNames, list(refs))
            self._views[refs] = (gm, [self._act(r).batch_fmt for r in refs])
        return self._views[refs]

    def _call(self, X: tuple[Any, ...], kwargs: dict[str, Any], training: bool, fname: str) -> list[DLArray]:
        X, opts = _split_options(X, kwargs, ("Outputs", "Acceleration", "InputDataFormats", "OutputDataFormats"),
                                 fname)
        X = label_inputs(X, opts.get("InputDataFormats"))
        self._need_init(fname)
        fn, fmts = self._runner(opts.get("Outputs"))
        xs = self._prepare(X, training, fname)
        try:
            ys = fn(*xs)
        except Exception as err:  # find the layer only when something failed: the success path stays free
            located = locate_failure(self, xs, err)
            if located is None:
                raise
            raise located from err
        ys = ys if isinstance(ys, tuple) else (ys,)
        if opts.get("OutputDataFormats") is not None:
            return shape_outputs([wrap(y, fmt) for y, fmt in zip(ys, fmts)], opts["OutputDataFormats"])
        if X and all(is_matlab_numeric(x) for x in X):
            # MATLAB: numeric input gives numeric output, in MATLAB layout (an unformatted dlarray)
            # feature output as the input came, one observation per row (N×K, MATLAB's "BC" for numeric data)
            return [stripdims(wrap(y, fmt)).T if fmt == "CB" else stripdims(wrap(y, fmt)) for y, fmt in zip(ys, fmts)]
        return [wrap(y, fmt) for y, fmt in zip(ys, fmts)]

    def forward(self, *X: Any, nargout: int | None = None, **kwargs: Any) -> Any:
        """Training-mode pass (dropout on, batch statistics): MATLAB's `[Y1, …, YN, state] = forward(net, X)`.

        What comes back follows MATLAB's nargout (see layergraph.nargout): `Y = net.forward(X)` the first output,
        `Y1, Y2 = …` the first two, `Y1, …, YN, state = …` every output and then the State. As in MATLAB the
        network is a value: the updated batch-norm statistics (and recurrent states) come back in State and reach
        the network only through `net.State = state`. `Outputs=["layer", "layer/port"]` returns those activations
        instead.
        """
        n = _nargout("forward", nargout)
        ys, state = self._stateful(lambda: self._call(X, kwargs, True, "forward"))
        return results("forward", n, [*ys, state], f"a network with {len(ys)} output(s) and its state")

    def predict(self, *X: Any, nargout: int | None = None, **kwargs: Any) -> Any:
        """Inference-mode pass (dropout off, trained statistics): MATLAB's `[Y1, …, YN] = predict(net, X)`.

        `Y = net.predict(X)` is the first output, `Y1, Y2 = …` the first two (MATLAB's nargout, see
        layergraph.nargout). `Outputs=["layer", "layer/port"]` returns those activations instead. Asking for one
        more result than there are outputs also returns the State the pass leaves (MATLAB's
        `[Y, state] = predict(net, X)`: recurrent states after the last time step), the network unchanged.
        """
        n = _nargout("predict", nargout)
        wanted = kwargs.get("Outputs")
        # MATLAB traces only inside dlfeval: outside it predict keeps no autograd graph (a sampling loop of
        # chained predicts would otherwise hold every step's graph)
        with contextlib.nullcontext() if in_dlfeval() else torch.no_grad():
            # one result more than there are outputs: the State as well (counted only then: it walks the graph)
            if n > 1 and n == (len(self.OutputNames) if wanted is None else 1 if isinstance(wanted, str)
                               else len(wanted)) + 1:
                ys, state = self._stateful(lambda: self._call(X, kwargs, False, "predict"))
                return (*ys, state)
            ys = self._call(X, kwargs, False, "predict")
        return results("predict", n, ys, f"a network with {len(ys)} output(s)")

    def __repr__(self) -> str:
        order = self._analysis.order if self._analysis else list(self._lgraph.graph.nodes)
        return ("dlnetwork with properties:\n\n"
                f"         Layers: [{len(order)}×1 Layer]\n"
                f"    Connections: [{len(self.Connections)}×2 table]\n"
                f"     Learnables: [{len(self._learn_rows)}×3 table]\n"
                f"          State: [{len(self._state_rows)}×3 table]\n"
                f"     InputNames: {self.InputNames}\n"
                f"    OutputNames: {self.OutputNames}\n"
                f"    Initialized: {int(self.Initialized)}\n"
                f"  NumLearnables: {self.num_learnables():,}  ({matlab_size((len(self._learn_rows), 3))} rows)")


def forward(net: dlnetwork | Layer, *X: Any, nargout: int | None = None, **kwargs: Any) -> Any:
    """MATLAB's `[Y1, …, YN, state] = forward(net, X1, …, Outputs=…)`: as many results as the caller unpacks
    (`Y = forward(net, X)` is Y alone; `Y, state = forward(net, X)` for a one-output network). On a custom layer
    object (`forward(net.Layers[-1], X)`) it calls the layer's own forward (or predict) method."""
    n = _nargout("forward", nargout)
    if isinstance(net, Layer):
        return call_layer("forward", net, X, n)
    return net.forward(*X, nargout=n, **kwargs)


def predict(net: dlnetwork | Layer, *X: Any, nargout: int | None = None, **kwargs: Any) -> Any:
    """MATLAB's `[Y1, …, YN] = predict(net, X1, X2, …)`: `Y = predict(net, X)` is the first output. On a custom
    layer object it calls the layer's own predict method."""
    n = _nargout("predict", nargout)
    if isinstance(net, Layer):
        return call_layer("predict", net, X, n)
    return net.predict(*X, nargout=n, **kwargs)


def _nargout(fname: str, given: int | None) -> int:
    """nargout of the statement that called the public forward/predict (two frames up from here)."""
    return nargout(fname, given, depth=2)


def resetState(net: Any) -> Any:
    """MATLAB's `net = resetState(net)`: recurrent layers' HiddenState and CellState back to their initial values
    (a dlnetwork, or trainNetwork's SeriesNetwork/DAGNetwork, which have their own resetState)."""
    if not isinstance(net, dlnetwork) and not callable(getattr(net, "resetState", None)):
        raise TypeError(f"resetState: expected a dlnetwork, SeriesNetwork or DAGNetwork, got {type(net).__name__}")
    return net.resetState()


def initialize(net: dlnetwork, *X: Any) -> dlnetwork:
    """MATLAB's `net = initialize(net)` / `initialize(net, X1, …)`: build the network and fill its unset
    learnables."""
    if not isinstance(net, dlnetwork):
        raise TypeError(f"initialize: expected a dlnetwork, got {type(net).__name__}")
    return net.initialize(*X)
