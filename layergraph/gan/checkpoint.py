"""A GAN training run's checkpoint: both networks, the averaged generator, the Adam states, the random number
generators, the position in the data and the score history, in one safetensors file (train/checkpoint.py).

Tensor keys: 'generator/<layer>/<Parameter>', 'discriminator/…', 'generator_average/…' (when averaging),
'opt/G.avg/…' and the other solver states, 'rng/torch' (and 'rng/cuda', 'rng/diffAugment'). The metadata
holds both specs' text, the configuration, the position and the evaluations, so `layergraph
export|generate|plot` need nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from layergraph.errors import SpecError
from layergraph.gan.state import History, TrainingState
from layergraph.safety.outputs import guard_outputs, remove_stale_temps
from layergraph.train.checkpoint import (
    AVERAGE,
    CheckpointError,
    flatten_state,
    load_checkpoint,
    network_tensors,
    save_checkpoint,
    section,
    unflatten_state,
)

if TYPE_CHECKING:
    from layergraph.compile.dlnetwork import dlnetwork
    from layergraph.gan.config import TrainConfig
    from layergraph.train.distributed import Dist

CHECKPOINT = "checkpoint.safetensors"
FORMAT_VERSION = 1
_STATES = (("G.avg", "avgG"), ("G.avgSq", "avgSqG"), ("D.avg", "avgD"), ("D.avgSq", "avgSqD"))  # key, field
PROGRESS = "progress.png"
NETWORKS = ("generator", "discriminator")


@dataclass(frozen=True)
class RunInfo:
    """What a run is, fixed while it trains: written into every checkpoint's metadata and checked on resume."""

    config: dict[str, Any]  # the TrainConfig as JSON
    specs: dict[str, str]  # 'generator' / 'discriminator' → the spec text trained (templates expanded)
    classes: list[str]
    conditional: bool
    num_latent: int
    channels: int
    world_size: int
    precision: str


@dataclass(frozen=True)
class SavedRun:
    """A training checkpoint as read from disk, with checked access to what the commands take from it."""

    path: Path
    tensors: dict[str, torch.Tensor]
    meta: dict[str, Any]

    def spec(self, which: str) -> str:
        """The spec text of network `which` ('generator', 'discriminator')."""
        key = f"{which}_spec"
        if key in self.meta and not isinstance(self.meta[key], str):
            raise SpecError(f"{self.path}: metadata '{key}' is {type(self.meta[key]).__name__}; expected the spec text")
        if not isinstance(self.meta.get(key), str):
            held = sorted(k[: -len("_spec")] for k in self.meta if k.endswith("_spec"))
            if held:
                raise SpecError(f"{self.path}: the checkpoint has no '{which}' network (it has: {', '.join(held)})")
            raise SpecError(f"{self.path}: not a layergraph training checkpoint (no '{key}' in its metadata)")
        return self.meta[key]

    def weights(self, which: str) -> dict[str, torch.Tensor]:
        """The weights that make network `which`'s outputs, keyed 'layer/Parameter' (train/checkpoint.py)."""
        mine = network_tensors(self.tensors, which)
        if not mine:
            raise SpecError(f"{self.path}: the checkpoint has no '{which}/…' weights")
        return mine

    def classes(self) -> list[str]:
        """The class names a conditional generator was trained on (its label k is classes[k - 1])."""
        classes = self.meta.get("classes", [])
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise SpecError(f"{self.path}: metadata 'classes' must be a list of class names")
        return list(classes)

    def conditional(self) -> bool:
        """Whether the generator takes labels."""
        conditional = self.meta.get("conditional", False)
        if not isinstance(conditional, bool):
            raise SpecError(f"{self.path}: metadata 'conditional' is {conditional!r}; expected true or false")
        return conditional


def read_checkpoint(path: str | Path) -> SavedRun:
    """The one reader of a GAN training checkpoint (resume, generate, evaluate and the other commands)."""
    tensors, meta = load_checkpoint(path)
    return SavedRun(Path(path), tensors, meta)


def prepare_output(cfg: TrainConfig) -> Path:
    """The output folder, created and checked before any work: writable, and neither it nor the files written
    there (checkpoint, progress figure) one of the inputs; temporary files of killed runs are removed."""
    out = Path(cfg.output)
    inputs = [cfg.generator, cfg.discriminator, cfg.data]
    guard_outputs([("output folder", out)], inputs, folders=["output folder"])
    guard_outputs([("checkpoint", out / CHECKPOINT), ("progress figure", out / PROGRESS),
                   ("evaluation table", out / "evaluation.csv")], inputs)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SpecError(f"{out}: cannot create the output folder ({err.strerror or type(err).__name__})") from None
    for name in (CHECKPOINT, PROGRESS):
        remove_stale_temps(out / name)
    return out


def learnable_keys(net: dlnetwork) -> list[str]:
    """'layer/Parameter' of each Learnables row, the keys `net.tensors()` uses."""
    return [f"{lay}/{par}" for lay, par in zip(net.Learnables.Layer, net.Learnables.Parameter)]


def rank_checksums(nets: dict[str, dlnetwork], dist: Dist | None) -> list[float]:
    """Sum of all learnables on every rank (all ranks must call this): equal sums show the ranks agree.
    Batch-norm statistics are left out: each rank keeps its own, as DDP without SyncBatchNorm does."""
    with torch.no_grad():
        local = torch.stack([torch.stack([t.double().sum() for t in net.Learnables.Value]).sum()
                             for net in nets.values()]).sum().reshape(1)
    if dist is None:
        return [float(local)]
    every = [torch.zeros_like(local) for _ in range(dist.world)]
    torch.distributed.all_gather(every, local)
    return [float(t) for t in every]


def _tensors(nets: dict[str, dlnetwork], state: TrainingState, rng: dict[str, torch.Tensor]
             ) -> dict[str, torch.Tensor]:
    tensors: dict[str, torch.Tensor] = {}
    for prefix, net in nets.items():
        tensors.update({f"{prefix}/{k}": v for k, v in net.tensors().items()})
    if state.averageG is not None:
        tensors.update({f"{AVERAGE}/{key}": avg
                        for key, avg in zip(learnable_keys(nets["generator"]), state.averageG)})
    for key, name in _STATES:
        tensors.update(flatten_state(key, getattr(state, name)))
    tensors.update({f"rng/{k}": v for k, v in rng.items()})
    return tensors


def _meta(info: RunInfo, state: TrainingState, elapsed: float, checksums: list[float]) -> dict[str, Any]:
    h = state.history
    return {
        "format": FORMAT_VERSION, "config": info.config,
        "generator_spec": info.specs["generator"], "discriminator_spec": info.specs["discriminator"],
        "classes": info.classes, "conditional": info.conditional, "numLatentInputs": info.num_latent,
        "imageSize": list(info.config["imageSize"]), "channels": info.channels,
        "iteration": state.iteration, "epoch": state.epoch, "batch": state.batch, "elapsed": elapsed,
        "world_size": info.world_size, "rank_checksums": checksums,
        "precision": info.precision,
        "history": {"iteration": h.iteration, "scoreG": h.score_g, "scoreD": h.score_d},
        "evaluation": state.evaluations,
    }


def save_training(path: Path, info: RunInfo, state: TrainingState, nets: dict[str, dlnetwork],
                  rng: dict[str, torch.Tensor], elapsed: float, checksums: list[float]) -> None:
    """Write a run's checkpoint: both networks, the state, and the random number generators ('torch', 'cuda',
    'diffAugment' → 'rng/…'); `checksums` from rank_checksums."""
    save_checkpoint(path, _tensors(nets, state, rng), _meta(info, state, elapsed, checksums))


@dataclass(frozen=True)
class Restored:
    """What resuming takes from a checkpoint besides the weights: the state, the random number generators'
    states ('torch', 'cuda', 'diffAugment' when saved) and the precision it was trained in."""

    state: TrainingState
    rng: dict[str, torch.Tensor]
    precision: Any  # the checkpoint's 'precision' entry as stored ('fp32', 'bf16'; anything else is ignored)


def restore_training(path: Path, info: RunInfo, nets: dict[str, dlnetwork], per_epoch: int,
                     device: torch.device) -> Restored:
    """Continue from a checkpoint written by save_training: the networks get its weights, and its state comes
    back. Every value is checked against this run before anything changes (wrong counters or shapes name the
    entry)."""
    saved = read_checkpoint(path)
    tensors, meta = saved.tensors, saved.meta
    if meta.get("format") != FORMAT_VERSION:
        raise SpecError(f"{path}: not a layergraph training checkpoint (format {meta.get('format')!r})")
    for which in NETWORKS:
        if meta.get(f"{which}_spec") != info.specs[which]:
            raise SpecError(f"{path}: the checkpoint was trained with a different {which} spec than "
                            f"{info.config[which]}")
    iteration, epoch, batch = _position(meta, per_epoch, path)
    history = _history(meta, iteration, path)
    elapsed = meta.get("elapsed", 0.0)
    if isinstance(elapsed, bool) or not isinstance(elapsed, (int, float)) or not 0 <= elapsed < 1e12:
        raise CheckpointError(f"{path}: metadata 'elapsed' is {elapsed!r}; expected seconds (a finite number ≥ 0)")
    _check_rng(tensors, path)
    netG = nets["generator"]
    average = section(tensors, AVERAGE)
    averaging = bool(info.config.get("generatorAverageDecay"))
    if averaging and average:
        _check_shapes(average, dict(zip(learnable_keys(netG), netG.Learnables.Value)), f"{AVERAGE}/", path)
    for prefix, net in nets.items():
        mine = section(tensors, prefix)
        _check_shapes(mine, net.tensors(), f"{prefix}/", path)
        net.load_tensors(mine)  # copies onto the network's device
    dev = {k: v.to(device) for k, v in tensors.items() if k.startswith("opt/")}
    try:
        states = {name: unflatten_state(key, dev, netG if name.endswith("G") else nets["discriminator"])
                  for key, name in _STATES}
    except CheckpointError as err:
        raise CheckpointError(f"{path}: {err}") from None
    averageG = [p.detach().clone() for p in netG.Learnables.Value] if averaging else None
    if averageG is not None and average:
        for avg, key in zip(averageG, learnable_keys(netG)):
            avg.copy_(average[key])
    state = TrainingState(iteration, epoch, batch, float(elapsed), History(*history),
                          list(meta.get("evaluation", [])), averageG=averageG, **states)
    rng = {k[len("rng/"):]: v for k, v in tensors.items() if k.startswith("rng/")}
    return Restored(state, rng, meta.get("precision"))


def _count(meta: dict[str, Any], key: str, low: int, path: Path) -> int:
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        got = "missing" if key not in meta else repr(value)
        raise CheckpointError(f"{path}: metadata '{key}' is {got}; expected a whole number ≥ {low}")
    return value


def _position(meta: dict[str, Any], per_epoch: int, path: Path) -> tuple[int, int, int]:
    """(iteration, epoch, batch), checked: a checkpoint is only ever taken between whole iterations, so the
    iteration count is the batches of the finished epochs plus the batch position in the current one."""
    iteration, epoch, batch = (_count(meta, "iteration", 0, path), _count(meta, "epoch", 1, path),
                               _count(meta, "batch", 0, path))
    if batch > per_epoch or iteration != (epoch - 1) * per_epoch + batch:
        raise CheckpointError(
            f"{path}: the position in the checkpoint (iteration {iteration}, epoch {epoch}, batch {batch}) does "
            f"not fit {per_epoch} iterations per epoch of this data: the data or mini-batch size changed, or the "
            "checkpoint was not written between whole iterations")
    return iteration, epoch, batch


def _history(meta: dict[str, Any], iteration: int, path: Path) -> tuple[list[int], list[float], list[float]]:
    h = meta.get("history", {})
    if not isinstance(h, dict):
        raise CheckpointError(f"{path}: metadata 'history' is {type(h).__name__}; expected a mapping")
    out = []
    for key in ("iteration", "scoreG", "scoreD"):
        values = h.get(key, [])
        if not isinstance(values, list) or len(values) > iteration or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
            raise CheckpointError(f"{path}: metadata 'history.{key}' must be a list of at most {iteration} numbers")
        out.append(list(values))
    return out[0], out[1], out[2]


def _check_rng(tensors: dict[str, torch.Tensor], path: Path) -> None:
    state = tensors.get("rng/torch")
    like = torch.get_rng_state()
    if state is None or state.dtype != like.dtype or state.shape != like.shape:
        got = "missing" if state is None else f"{state.dtype} of shape {list(state.shape)}"
        raise CheckpointError(f"{path}: tensor 'rng/torch' is {got}; expected {like.dtype} of shape "
                              f"{list(like.shape)}")


def _check_shapes(saved: dict[str, torch.Tensor], own: dict[str, torch.Tensor], prefix: str, path: Path) -> None:
    """Every tensor of `own` present in `saved` with the same shape (no broadcasting), and nothing extra."""
    for key, target in own.items():
        if key not in saved:
            raise CheckpointError(f"{path}: the checkpoint has no tensor '{prefix}{key}'")
        if tuple(saved[key].shape) != tuple(target.shape):
            raise CheckpointError(f"{path}: tensor '{prefix}{key}' has shape {list(saved[key].shape)} but the "
                                  f"network's has {list(target.shape)}")
    extra = [k for k in saved if k not in own]
    if extra:
        raise CheckpointError(f"{path}: tensor '{prefix}{extra[0]}' is not a parameter of this network")
