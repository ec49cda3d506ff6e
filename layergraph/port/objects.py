"""Networks and objects in translated programs: forward/predict with nargout, classdef
layers and handle classes (MatlabObject), rows handed to layergraph as 1×n."""
from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import Any

import torch

import layergraph as _lg
from layergraph.dlarray.array import wrap
from layergraph.port.subscripts import mshape, tensor
from layergraph.port.values import _is_dl
from layergraph.tracing import in_dlfeval


def forward(net: Any, *X: Any, nargout: int = 1, **kwargs: Any) -> Any:
    """MATLAB's forward with its nargout: `Y = forward(net, X)` gives Y, `[Y, state] = ...` adds the state."""
    return _lg.forward(net, *_numeric(X), nargout=nargout, **kwargs)


class _Shared:
    """Variables by name: MATLAB's globals, or one function's persistent variables."""


GLOBAL = _Shared()
_PERSISTENT: dict[str, _Shared] = {}


def persistents(function: str) -> _Shared:
    """The persistent variables of a program's function (by its name)."""
    return _PERSISTENT.setdefault(function, _Shared())


def declare(store: _Shared, *names: str) -> None:
    """`global g` / `persistent p`: a variable not yet assigned is `[]`, as MATLAB makes it."""
    for n in names:
        if not hasattr(store, n):
            setattr(store, n, [])


class AcceleratedFunction:
    """MATLAB's dlaccelerate(@f): calls give f's results, `clearCache` empties the cache.

    MATLAB reuses a trace recorded inside dlfeval for any later call with the same input pattern (the sizes,
    formats and types of dlarrays, the values of other inputs), inside dlfeval or not; a call outside dlfeval
    that hits such a trace therefore still computes the dlgradient calls of f (the Hamiltonian NN's ODE function
    relies on it). Here such a call runs f as dlfeval would; any other call runs f as it is.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.Function = fn
        self.Enabled = True
        self._traced: builtins.set[tuple[Any, ...]] = builtins.set()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = (*(_pattern(a) for a in args), *((k, _pattern(v)) for k, v in sorted(kwargs.items())))
        if in_dlfeval():
            self._traced.add(key)
        elif self.Enabled and key in self._traced:
            return _lg.dlfeval(self.Function, *args, **kwargs)
        return self.Function(*args, **kwargs)

    def clearCache(self) -> None:
        self._traced.clear()


def _pattern(x: Any) -> Any:
    """What MATLAB's trace cache keys an input on: a dlarray's size, format and type; a network's learnables'
    sizes; the value of anything else (its type where it has no hashable value)."""
    if isinstance(x, torch.Tensor):
        return ("array", tuple(x.shape), getattr(x, "fmt", ""), str(x.dtype))
    if hasattr(x, "Learnables") and hasattr(x, "Layers"):
        return ("network", tuple(tuple(v.shape) for v in x.Learnables.Value))
    try:
        hash(x)
    except TypeError:
        return ("value of type", type(x).__name__)
    return ("value", x)


def dlaccelerate(fn: Callable[..., Any]) -> AcceleratedFunction:
    return AcceleratedFunction(fn)


def deepNetworkDesigner(*args: Any) -> None:
    """MATLAB's app for looking at a network: nothing to open in a translated program (analyzeNetwork prints)."""


def copy(x: Any) -> Any:
    """MATLAB's copy of a handle object (a datastore, a matlab.mixin.Copyable class): a shallow copy."""
    if hasattr(x, "copy"):
        return x.copy()
    import copy as _copy
    return _copy.copy(x)


def copyvalue(x: Any) -> Any:
    """`b = a` for MATLAB values: a network (dlnetwork, trainNetwork's result) is copied, because layergraph's
    adamupdate/sgdmupdate/dlupdate and `net.Learnables = …` change a network in place where MATLAB gives a new
    one (a loop's `bestNet = net` must keep that iteration's weights); any other value is shared as it is (the
    runtime never changes arrays, cells or structs in place)."""
    if isinstance(x, _lg.dlnetwork):
        return x.copy()
    if isinstance(getattr(x, "dlnet", None), _lg.dlnetwork):  # SeriesNetwork/DAGNetwork
        return type(x)(x.dlnet.copy(), x.output_layer, x.Classes)
    return x


def imageDataAugmenter(*args: Any, **kwargs: Any) -> Any:
    """MATLAB's imageDataAugmenter; a struct of options (what an inputParser leaves Unmatched) as name-value."""
    if len(args) == 1 and isinstance(args[0], Mapping):
        return _lg.imageDataAugmenter(**dict(args[0].items()), **kwargs)
    return _lg.imageDataAugmenter(*args, **kwargs)


def augment(augmenter: Any, images: Any) -> Any:
    """MATLAB's augment(augmenter, images): one random transformation applied to every image of a cell array
    (one image: that image transformed)."""
    return augmenter.augment(images)


def noargs(x: Any) -> Any:
    """MATLAB's `obj.f()`: a method (or function handle) called with no arguments, or a field's value."""
    return x() if callable(x) and not isinstance(x, (torch.Tensor, type)) else x


class MatlabObject:
    """The base of a translated handle class, datastore or value class: attributes as properties; `copy` as
    matlab.mixin.Copyable's (a shallow copy: handle properties stay shared)."""

    def __init__(self, **properties: Any) -> None:
        for k, v in properties.items():
            setattr(self, k, v)

    def copy(self) -> Any:
        import copy as _copy
        return _copy.copy(self)


class MatlabDatastore(MatlabObject):
    """The base of a translated `classdef D < matlab.io.Datastore`: the class writes read, hasdata and reset;
    matlab.io.Datastore gives preview and readall (a minibatchqueue reads the object as MATLAB's does)."""

    def preview(self) -> Any:
        """matlab.io.Datastore's preview: a read of a reset copy (the datastore itself does not move), at most its
        first 8 rows."""
        probe = self.copy()
        probe.reset()
        return _first_rows(_first_output(probe.read()), 8)

    def readall(self) -> Any:
        """matlab.io.Datastore's readall: every read of a reset copy, joined vertically (tables row after row)."""
        from layergraph.data.cells import merge, parse, present
        probe = self.copy()
        probe.reset()
        reads = []
        while probe.hasdata():
            reads.append(parse(_first_output(probe.read()), False))
        return present(merge(reads))


def _first_output(result: Any) -> Any:
    """`data` of a translated `[data, info] = read(ds)`, which returns both outputs."""
    return result[0] if isinstance(result, tuple) and len(result) == 2 else result


def _first_rows(data: Any, n: int) -> Any:
    """A table's (or a cell column's) first n rows."""
    from layergraph.data.cells import BatchTable
    if isinstance(data, BatchTable):
        return BatchTable({k: data[k][:n] for k in data.VariableNames})
    return data[:n] if isinstance(data, list) else data


def classdef_layer(cls: type) -> type:
    """A translated classdef layer, registered (so `save` can write networks that hold it, as MATLAB saves
    them) under its name, or `name_port` when a layergraph layer has that name (the program's class comes first
    on MATLAB's path, as here)."""
    from layergraph.layers.base import LAYERS
    old = LAYERS.get(cls.__name__)
    if old is None or (old.__module__, old.__qualname__) == (cls.__module__, cls.__qualname__):
        return _lg.register_layer(cls)
    return _lg.register_layer(cls, name=f"{cls.__name__}_port")


def _matlab_row(x: Any) -> Any:
    """A row held as a 1-D tensor, as the 1×n array MATLAB has (layergraph reads a 1-D tensor as a column)."""
    return x.reshape(1, -1) if isinstance(x, torch.Tensor) and not _is_dl(x) and x.dim() == 1 else x


def permute(x: Any, order: Any) -> Any:
    """MATLAB's permute (a row is 1×n)."""
    return _lg.permute(_matlab_row(x), order)


def cat(dim: Any, *xs: Any) -> Any:
    """MATLAB's cat (rows are 1×n)."""
    return _lg.cat(dim, *[_matlab_row(x) for x in xs])


def extractdata(x: Any) -> Any:
    """MATLAB's extractdata, its trailing singleton dimensions dropped (MATLAB has none): a B×S×1 result then
    meets a B×S array by MATLAB's expansion, not torch's right-aligned broadcasting."""
    t = _lg.extractdata(x)
    return t.reshape(mshape(t)) if isinstance(t, torch.Tensor) and t.dim() > 2 else t


def fft(x: Any, *args: Any) -> Any:
    """MATLAB's fft (a row is 1×n)."""
    return _lg.fft(_matlab_row(x), *args)


def ifft(x: Any, *args: Any) -> Any:
    """MATLAB's ifft (a row is 1×n)."""
    return _lg.ifft(_matlab_row(x), *args)


def pagemtimes(x: Any, *args: Any) -> Any:
    """MATLAB's pagemtimes (rows are 1×n)."""
    return _lg.pagemtimes(_matlab_row(x), *[_matlab_row(a) for a in args])


def dlarray(x: Any, *args: Any, **kwargs: Any) -> Any:
    """MATLAB's dlarray: a row held as a 1-D tensor (or a list, or a number) is passed on as 1×n."""
    if isinstance(x, torch.Tensor) and not _is_dl(x) and x.dim() <= 1:
        x = x.reshape(1, -1)
    elif isinstance(x, (list, tuple, int, float)) and not isinstance(x, bool):
        x = tensor(x).reshape(mshape(x))
    return _lg.dlarray(x, *args, **kwargs)


def predict(net: Any, *X: Any, nargout: int = 1, **kwargs: Any) -> Any:
    """MATLAB's predict with its nargout: `Y = predict(net, X)` is the first output of a multi-output net."""
    return _lg.predict(net, *_numeric(X), nargout=nargout, **kwargs)


def _numeric(X: tuple[Any, ...]) -> list[Any]:
    """A translated program's numeric arrays are MATLAB-layout tensors: handed to a network as MATLAB's numeric
    input, an unformatted dlarray (layergraph reads a plain tensor as torch layout)."""
    return [wrap(_matlab_row(x), "") if isinstance(x, torch.Tensor) and not _is_dl(x) else x for x in X]


def next(q: Any, *args: Any, nargout: int = 1) -> Any:
    """MATLAB's next(mbq) / read: the next mini-batch (a tuple for [X, T] = next(mbq))."""
    res = q.next() if hasattr(q, "next") else builtins.next(q, *args)
    if isinstance(res, tuple) and nargout <= 1:
        return res[0]
    return res
