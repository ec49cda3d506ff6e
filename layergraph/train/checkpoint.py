"""Training checkpoints: one safetensors file of tensors and JSON metadata, written atomically, never pickled.

The file is a standard safetensors file. Its header metadata holds two strings: `layergraph.meta`, the
caller's `meta` as JSON, and `layergraph.order`, the tensor names in the order they were given (safetensors
itself stores them sorted), so a load gives back the same dict in the same order.

Optimizer states and other Tables go into the tensor dict under stable names, `<prefix>/<Layer>/<Parameter>`
(`opt/<name>/<Layer>/<Parameter>` for solver states), with '%' and '/' inside names escaped as %25 and %2F.
"""
from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import safetensors.torch
import torch

from layergraph.errors import SpecError
from layergraph.safety.numbers import JSON_NUMBERS
from layergraph.safety.outputs import atomic_output
from layergraph.table import Table
from layergraph.tree import TreeError, as_table, check_tensors, flatten, plain

__all__ = [
    "AVERAGE",
    "CheckpointError",
    "flatten_state",
    "flatten_table",
    "load_checkpoint",
    "network_tensors",
    "save_checkpoint",
    "section",
    "unflatten_state",
    "unflatten_table",
]

_META_KEY = "layergraph.meta"
_ORDER_KEY = "layergraph.order"
# safetensors refuses headers above 100 MB; a larger length field means the file is not safetensors at all
_MAX_HEADER = 100_000_000

# training checkpoints keep the averaged generator learnables (generatorAverageDecay > 0) under this prefix;
# they are the weights that make images, overlaid on "generator/…"
AVERAGE = "generator_average"


def section(tensors: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors stored under 'prefix/', keyed without it ('generator/fc/Weights' → 'fc/Weights')."""
    start = len(prefix) + 1
    return {k[start:]: v for k, v in tensors.items() if k.startswith(prefix + "/")}


def network_tensors(tensors: Mapping[str, torch.Tensor], which: str) -> dict[str, torch.Tensor]:
    """The weights of a checkpoint's network that make its outputs: for the generator, the averaged
    learnables (when it was trained with them) over its live weights and batch-norm statistics."""
    mine = section(tensors, which)
    if which == "generator":
        mine.update(section(tensors, AVERAGE))
    return mine


class CheckpointError(SpecError):
    """A checkpoint file is missing, truncated, not safetensors, or does not match what it is loaded into."""


# --- writing ----------------------------------------------------------------------------------------------

def _prepare_tensors(path: Path, tensors: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Plain, contiguous CPU tensors that safetensors accepts, copying any that share memory with another."""
    if not isinstance(tensors, Mapping):
        raise CheckpointError(
            f"{path}: tensors must be a dict of name -> tensor, got {type(tensors).__name__}")
    out: dict[str, torch.Tensor] = {}
    storages: set[tuple[str, int]] = set()
    for name, t in tensors.items():
        if not isinstance(name, str) or not name:
            raise CheckpointError(f"{path}: tensor names must be non-empty strings, got {name!r}")
        if not isinstance(t, torch.Tensor):
            raise CheckpointError(f"{path}: '{name}' is a {type(t).__name__}, not a tensor")
        if t.layout != torch.strided:
            raise CheckpointError(f"{path}: '{name}' is a {t.layout} tensor; only dense tensors can be saved")
        t = plain(t).cpu().contiguous()
        if t.numel():
            # safetensors rejects tensors that share storage (views of one buffer); give later ones a copy
            key = (str(t.device), t.untyped_storage().data_ptr())
            if key in storages:
                t = t.clone()
                key = (str(t.device), t.untyped_storage().data_ptr())
            storages.add(key)
        out[name] = t
    return out


def _write_tensors(tmp_path: str, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """Write the safetensors bytes to `tmp_path` (a separate function so tests can make it fail midway)."""
    safetensors.torch.save_file(tensors, tmp_path, metadata=metadata)


def save_checkpoint(path: str | os.PathLike[str], tensors: Mapping[str, torch.Tensor],
                    meta: Mapping[str, Any] | None = None) -> None:
    """Write `tensors` and JSON-able `meta` to one safetensors file atomically (temp file, fsync, replace)."""
    path = Path(path)
    prepared = _prepare_tensors(path, tensors)
    try:
        meta_json = json.dumps(dict(meta or {}), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: meta cannot be stored as JSON: {exc}") from exc
    metadata = {"format": "pt", _META_KEY: meta_json, _ORDER_KEY: json.dumps(list(prepared))}

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CheckpointError(f"{path}: folder '{folder}' does not exist")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder; give a file name for the checkpoint")
    # the temporary file lives in the same folder so the replace is a rename within one file system; whatever
    # goes wrong (including Ctrl-C), the previous checkpoint stays and the temporary file is removed
    with atomic_output(path, make_folder=False) as tmp:
        _write_tensors(str(tmp), prepared, metadata)


# --- reading ----------------------------------------------------------------------------------------------

def _read_raw_header(path: Path) -> tuple[bytes, int]:
    """The header's bytes and the file's size, after checking the file is long enough; CheckpointError otherwise."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):  # a FIFO would block, a device never end
            raise CheckpointError(f"{path}: is not a regular file; only regular files are read")
        size = st.st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError(
                    f"{path}: not a safetensors checkpoint (only {size} bytes, too short for a header)")
            n = int.from_bytes(head, "little")
            if n < 2 or n > _MAX_HEADER:
                raise CheckpointError(f"{path}: not a safetensors checkpoint (header length field is {n})")
            if 8 + n > size:
                raise CheckpointError(
                    f"{path}: checkpoint is truncated: the header needs {n} bytes but only {size - 8} follow")
            return f.read(n), size
    except FileNotFoundError:
        raise CheckpointError(f"{path}: checkpoint file not found") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file") from None
    except PermissionError:
        raise CheckpointError(f"{path}: permission denied reading the checkpoint") from None


def _data_needed(path: Path, header: dict[str, Any]) -> int:
    """How many bytes of tensor data the header's entries reach; CheckpointError for a malformed entry."""
    needed = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and o >= 0 for o in offsets)):
            raise CheckpointError(f"{path}: not a safetensors checkpoint (bad entry for '{name}')")
        needed = max(needed, offsets[1])
    return needed


def _read_header(path: Path) -> dict[str, Any]:
    """The parsed safetensors header, after checking the file is complete; CheckpointError otherwise."""
    raw, size = _read_raw_header(path)
    try:
        header = json.loads(raw.decode("utf-8"), **JSON_NUMBERS)
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: JSON's, and the number parser's
        raise CheckpointError(f"{path}: not a safetensors checkpoint (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: not a safetensors checkpoint (its header is not a JSON object)")
    data_len = size - 8 - len(raw)
    needed = _data_needed(path, header)
    if needed > data_len:
        raise CheckpointError(
            f"{path}: checkpoint is truncated: tensor data needs {needed} bytes but only {data_len} remain")
    return header


def load_checkpoint(path: str | os.PathLike[str],
                    device: str | torch.device = "cpu") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint written by save_checkpoint: (tensors in their saved order, meta)."""
    path = Path(path)
    header = _read_header(path)
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{path}: not a safetensors checkpoint (its metadata is not a JSON object)")
    try:
        meta = json.loads(metadata[_META_KEY], **JSON_NUMBERS) if _META_KEY in metadata else {}
        order = json.loads(metadata[_ORDER_KEY], **JSON_NUMBERS) if _ORDER_KEY in metadata else []
    except SpecError as err:  # a number beyond the limits of safety/numbers.py
        raise CheckpointError(f"{path}: the checkpoint's layergraph metadata holds {err}") from None
    except (TypeError, ValueError, RecursionError):
        raise CheckpointError(f"{path}: the checkpoint's layergraph metadata is not valid JSON (or nested too "
                              "deeply)") from None
    try:
        loaded = safetensors.torch.load_file(str(path), device=str(device))
    except Exception as exc:  # safetensors raises its own error types; report them on one line
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: cannot read checkpoint: {first_line}") from exc
    ordered = {name: loaded[name] for name in order if name in loaded}
    for name in sorted(loaded):
        ordered.setdefault(name, loaded[name])
    return ordered, meta if isinstance(meta, dict) else {"meta": meta}


# --- Tables and optimizer states <-> flat tensor dicts -----------------------------------------------------

def _escape(name: str) -> str:
    """Make a Layer/Parameter name safe as one '/'-separated key component."""
    return str(name).replace("%", "%25").replace("/", "%2F")


def _unescape(part: str) -> str:
    """Undo _escape in one pass (so an escaped '%2F' written by a user stays literal)."""
    return re.sub(r"%(25|2F)", lambda m: "%" if m.group(1) == "25" else "/", part)


def _as_table(obj: Any) -> Table:
    """A Table, or the Learnables Table of a network."""
    try:
        table = as_table(obj)
    except TreeError as err:
        raise CheckpointError(f"the network's Learnables: {err}") from None
    if table is None:
        raise CheckpointError(f"expected a Table or a network with Learnables, got {type(obj).__name__}")
    return table


def flatten_table(prefix: str, table: Any) -> dict[str, torch.Tensor]:
    """Tensors of a Table (or a network's Learnables) keyed `<prefix>/<Layer>/<Parameter>`."""
    return _flat_dict(prefix, _as_table(table), "row")


def _under(prefix: str, tensors: Mapping[str, torch.Tensor]) -> list[tuple[list[str], str]]:
    """(components after `prefix/`, full key) for every key under `prefix`, in the mapping's order."""
    start = prefix + "/"
    return [(key[len(start):].split("/"), key) for key in tensors if key.startswith(start)]


def unflatten_table(prefix: str, tensors: Mapping[str, torch.Tensor], like: Any = None) -> Table:
    """Rebuild a Table from flatten_table keys; with `like` (Table or network) follow its rows and sizes."""
    entries = [(parts, key) for parts, key in _under(prefix, tensors) if len(parts) == 2]
    if like is None:
        return Table([_unescape(p[0]) for p, _ in entries], [_unescape(p[1]) for p, _ in entries],
                     [tensors[k] for _, k in entries])
    ref = _as_table(like)
    rows = zip(ref.Layer, ref.Parameter, strict=True)
    wanted = {f"{prefix}/{_escape(lay)}/{_escape(par)}" for lay, par in rows}
    for _, key in entries:
        if key not in wanted:
            parts = key[len(prefix) + 1:].split("/")
            raise CheckpointError(
                f"checkpoint has '{key}' (Layer '{_unescape(parts[0])}', Parameter '{_unescape(parts[1])}') "
                "but the table it is loaded into has no such row")
    values = []
    for lay, par, val in ref:
        key = f"{prefix}/{_escape(lay)}/{_escape(par)}"
        if key not in tensors:
            raise CheckpointError(
                f"checkpoint has no '{key}' for row (Layer '{lay}', Parameter '{par}')")
        t = tensors[key]
        if isinstance(val, torch.Tensor) and tuple(t.shape) != tuple(val.shape):
            raise CheckpointError(
                f"checkpoint '{key}' has size {tuple(t.shape)} but row (Layer '{lay}', Parameter '{par}') "
                f"has size {tuple(val.shape)}")
        values.append(t)
    return ref.like(values)


def flatten_state(name: str, state: Any) -> dict[str, torch.Tensor]:
    """Tensors of one optimizer state (Table, list, dict or tensor) under `opt/<name>`; {} for None or []."""
    if state is None or (isinstance(state, (list, tuple)) and not state):
        return {}
    return _flat_dict(f"opt/{_escape(name)}", state, f"state '{name}'")


def _flat_dict(prefix: str, obj: Any, what: str) -> dict[str, torch.Tensor]:
    """Leaves of a Table/network, list, dict or tensor keyed `prefix/Layer/Parameter`, `prefix/[i]`,
    `prefix/key` or `prefix`, as detached plain tensors; errors name the row, key or element."""
    try:
        leaves, tree = flatten(obj, what, nested=False)
        check_tensors(leaves, tree, what)
    except TreeError as err:
        raise CheckpointError(str(err)) from None
    if tree.kind == "tensor":
        return {prefix: plain(leaves[0])}
    out: dict[str, torch.Tensor] = {}
    for i, (key, value) in enumerate(zip(tree.keys, leaves, strict=True)):
        if tree.is_table:
            name = f"{prefix}/{_escape(key[0])}/{_escape(key[1])}"
            if name in out:
                raise CheckpointError(f"Table has two rows with Layer '{key[0]}' and Parameter '{key[1]}'")
        elif tree.kind == "dict":
            if not isinstance(key, str):
                raise CheckpointError(f"{what} has a non-string key {key!r}")
            name = f"{prefix}/{_escape(key)}"
        else:
            name = f"{prefix}/[{i}]"
        out[name] = plain(value)
    return out


def unflatten_state(name: str, tensors: Mapping[str, torch.Tensor], like: Any = None) -> Any:
    """Rebuild an optimizer state saved by flatten_state; None (a fresh start, MATLAB's []) when absent.

    Pass `like` (the network or its Learnables) to get Table rows in the network's order, checked against it.
    """
    prefix = f"opt/{_escape(name)}"
    if prefix in tensors:
        return tensors[prefix]
    entries = _under(prefix, tensors)
    if not entries:
        return None
    if all(len(parts) == 2 for parts, _ in entries):
        return unflatten_table(prefix, tensors, like)
    if all(len(parts) == 1 and re.fullmatch(r"\[\d+\]", parts[0]) for parts, _ in entries):
        by_index = {int(parts[0][1:-1]): key for parts, key in entries}
        if sorted(by_index) != list(range(len(by_index))):
            raise CheckpointError(f"state '{name}' list elements are not numbered 0..{len(by_index) - 1}")
        return [tensors[by_index[i]] for i in range(len(by_index))]
    if all(len(parts) == 1 for parts, _ in entries):
        return {_unescape(parts[0]): tensors[key] for parts, key in entries}
    raise CheckpointError(f"state '{name}' mixes Table rows and list/dict entries; it cannot be rebuilt")
