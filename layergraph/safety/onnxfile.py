"""Reading an ONNX file within the caps: a regular file of at most 2 GiB, external data only from regular files
inside the model's folder, and no tensor or input larger than MAX_ELEMENTS, all checked before any tensor is
built. Parsing is protobuf's: no code in the file runs and no custom operator is loaded."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from layergraph.errors import LimitError, SpecError
from layergraph.safety.files import regular_file
from layergraph.safety.limits import MAX_ELEMENTS, MAX_LEARNABLES, MAX_ONNX_BYTES


def read_onnx(path: Path, error: type[SpecError] = SpecError) -> Any:
    """The ModelProto of an ONNX file, external data loaded, after the checks above; one-line errors."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        p = regular_file(path, "ONNX file")
    except SpecError as err:
        raise error(str(err)) from None
    size = p.stat().st_size
    if size > MAX_ONNX_BYTES:
        raise LimitError(f"{p}: the ONNX file is {size:,} bytes; the limit is {MAX_ONNX_BYTES:,}")
    try:
        model = onnx.load(str(p), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, OSError, UnicodeDecodeError, RecursionError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise error(f"{p}: not an ONNX model or the file is truncated ({first})") from None
    check_sizes(model, str(p))
    external = [t for t in _tensors(model) if t.data_location == onnx.TensorProto.EXTERNAL]
    if external:
        _check_external(external, p.parent, str(p))
        try:
            onnx.load_external_data_for_model(model, str(p.parent))
        except Exception as err:  # onnx's own checks (paths, offsets): still one line
            raise error(f"{p}: cannot read the model's external data ({' '.join(str(err).split())})") from None
    return model


def _tensors(model: Any) -> list[Any]:
    """Initializers and the tensors of Constant nodes, also inside subgraphs (onnx's own helper)."""
    from onnx.external_data_helper import _get_all_tensors

    return list(_get_all_tensors(model))


def check_sizes(model: Any, where: str) -> None:
    """Every tensor and every graph input at most MAX_ELEMENTS, all tensors together at most MAX_LEARNABLES."""
    total = 0
    for t in _tensors(model):
        n = _elements(list(t.dims), f"{where}: tensor '{t.name}'")
        total += n
        if total > MAX_LEARNABLES:
            raise LimitError(f"{where}: the model's tensors hold more than {MAX_LEARNABLES:,} elements")
    for inp in model.graph.input:
        shape = inp.type.tensor_type.shape
        dims = [d.dim_value if d.HasField("dim_value") else 1 for d in shape.dim]
        _elements(dims, f"{where}: input '{inp.name}'")


def _elements(dims: list[int], what: str) -> int:
    if any(d < 0 for d in dims):
        raise SpecError(f"{what} has a negative dimension {dims}")
    n = math.prod(dims)
    if n > MAX_ELEMENTS:
        raise LimitError(f"{what} would have {n:,} elements ({'×'.join(f'{d:,}' for d in dims)}); the limit is "
                         f"{MAX_ELEMENTS:,}")
    return n


def _check_external(tensors: list[Any], folder: Path, where: str) -> None:
    """External data files: relative paths inside the model's folder, regular files, ranges inside them."""
    root = os.path.realpath(folder)
    for t in tensors:
        info = {e.key: e.value for e in t.external_data}
        location = info.get("location", "")
        target = os.path.realpath(os.path.join(root, location))
        if not location or os.path.isabs(location) or os.path.commonpath([root, target]) != root:
            raise SpecError(f"{where}: tensor '{t.name}' keeps its data in '{location}', outside the model's "
                            "folder; external data is read only from files beside the model")
        data = regular_file(target, "external data file")
        try:
            offset, length = int(info.get("offset", 0)), int(info.get("length", -1))
        except ValueError:
            raise SpecError(f"{where}: tensor '{t.name}': external data offset/length are not numbers") from None
        size = data.stat().st_size
        if offset < 0 or offset > size or (length >= 0 and offset + length > size):
            raise SpecError(f"{where}: tensor '{t.name}': external data range ({offset}, {length}) lies outside "
                            f"'{location}' ({size:,} bytes)")
