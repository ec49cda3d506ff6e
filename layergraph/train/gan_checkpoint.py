"""A GAN training run's checkpoint: both networks, the averaged generator, the Adam states, the random number
generators, the position in the data and the score history, in one safetensors file (train/checkpoint.py).

Tensor keys: 'generator/<layer>/<Parameter>', 'discriminator/…', 'generator_average/…' (when averaging),
'opt/G.avg/…' and the other solver states, 'rng/torch' (and 'rng/cuda', 'rng/diffAugment'). The metadata
holds both specs' text, the configuration, the position and the evaluations, so `layergraph
export|generate|plot` need nothing else.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from layergraph.errors import SpecError
from layergraph.precision import Precision
from layergraph.safety.outputs import guard_outputs, remove_stale_temps
from layergraph.train.checkpoint import (
    AVERAGE,
    CheckpointError,
    flatten_state,
    load_checkpoint,
    save_checkpoint,
    section,
    unflatten_state,
)

if TYPE_CHECKING:
    from layergraph.compile.dlnetwork import dlnetwork
    from layergraph.train.config import TrainConfig
    from layergraph.train.gan import GANTrainer

CHECKPOINT = "checkpoint.safetensors"
FORMAT_VERSION = 1
_STATES = (("G.avg", "avgG"), ("G.avgSq", "avgSqG"), ("D.avg", "avgD"), ("D.avgSq", "avgSqD"))  # key, attribute
PROGRESS = "progress.png"


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


def rank_checksums(trainer: GANTrainer) -> list[float]:
    """Sum of all learnables on every rank (all ranks must call this): equal sums show the ranks agree.
    Batch-norm statistics are left out: each rank keeps its own, as DDP without SyncBatchNorm does."""
    with torch.no_grad():
        local = torch.stack([torch.stack([t.double().sum() for t in net.Learnables.Value]).sum()
                             for net in (trainer.netG, trainer.netD)]).sum().reshape(1)
    if trainer.dist is None:
        return [float(local)]
    every = [torch.zeros_like(local) for _ in range(trainer.dist.world)]
    torch.distributed.all_gather(every, local)
    return [float(t) for t in every]


def _tensors(trainer: GANTrainer) -> dict[str, torch.Tensor]:
    tensors: dict[str, torch.Tensor] = {}
    for prefix, net in (("generator", trainer.netG), ("discriminator", trainer.netD)):
        tensors.update({f"{prefix}/{k}": v for k, v in net.tensors().items()})
    if trainer.averageG is not None:
        tensors.update({f"{AVERAGE}/{key}": avg for key, avg in zip(learnable_keys(trainer.netG), trainer.averageG)})
    for key, attr in _STATES:
        tensors.update(flatten_state(key, getattr(trainer, attr)))
    tensors["rng/torch"] = torch.get_rng_state()
    if trainer.augment is not None:
        tensors["rng/diffAugment"] = trainer.augment.rng.get_state()
    if trainer.device.type == "cuda":
        tensors["rng/cuda"] = torch.cuda.get_rng_state(trainer.device)
    return tensors


def _meta(trainer: GANTrainer, elapsed: float, checksums: list[float]) -> dict[str, Any]:
    h = trainer.history
    return {
        "format": FORMAT_VERSION, "config": trainer.cfg.model_dump(mode="json"),
        "generator_spec": trainer.spec_text["generator"], "discriminator_spec": trainer.spec_text["discriminator"],
        "classes": trainer.feed.classes, "conditional": trainer.conditional, "numLatentInputs": trainer.num_latent,
        "imageSize": list(trainer.cfg.imageSize), "channels": trainer.channels,
        "iteration": trainer.iteration, "epoch": trainer.epoch, "batch": trainer.batch, "elapsed": elapsed,
        "world_size": trainer.dist.world if trainer.dist else 1, "rank_checksums": checksums,
        "precision": trainer.precision.name,
        "history": {"iteration": h.iteration, "scoreG": h.score_g, "scoreD": h.score_d},
        "evaluation": trainer.evaluations,
    }


def save_training(trainer: GANTrainer, elapsed: float) -> Path:
    """Write the trainer's checkpoint (on the main rank; every rank must call this for the checksums)."""
    checksums = rank_checksums(trainer)
    path = trainer.checkpoint_path()
    if trainer.main:
        save_checkpoint(path, _tensors(trainer), _meta(trainer, elapsed, checksums))
    return path


def restore_training(trainer: GANTrainer, path: Path) -> None:
    """Continue from a checkpoint written by save_training: weights, optimizer state, RNG, position. Every
    value is checked against this run before anything changes (wrong counters or shapes name the entry)."""
    tensors, meta = load_checkpoint(path)
    if meta.get("format") != FORMAT_VERSION:
        raise SpecError(f"{path}: not a layergraph training checkpoint (format {meta.get('format')!r})")
    for which in ("generator", "discriminator"):
        if meta.get(f"{which}_spec") != trainer.spec_text[which]:
            raise SpecError(f"{path}: the checkpoint was trained with a different {which} spec than "
                            f"{getattr(trainer.cfg, which)}")
    iteration, epoch, batch = _position(meta, trainer.feed.batches_per_epoch, path)
    history = _history(meta, iteration, path)
    elapsed = meta.get("elapsed", 0.0)
    if isinstance(elapsed, bool) or not isinstance(elapsed, (int, float)) or not 0 <= elapsed < 1e12:
        raise CheckpointError(f"{path}: metadata 'elapsed' is {elapsed!r}; expected seconds (a finite number ≥ 0)")
    _check_rng(tensors, path)
    average = section(tensors, AVERAGE)
    if trainer.cfg.generatorAverageDecay and average:
        _check_shapes(average, dict(zip(learnable_keys(trainer.netG), trainer.netG.Learnables.Value)),
                      f"{AVERAGE}/", path)
    for prefix, net in (("generator", trainer.netG), ("discriminator", trainer.netD)):
        mine = section(tensors, prefix)
        _check_shapes(mine, net.tensors(), f"{prefix}/", path)
        net.load_tensors(mine)  # copies onto the network's device
    dev = {k: v.to(trainer.device) for k, v in tensors.items() if k.startswith("opt/")}
    try:
        states = [unflatten_state(key, dev, trainer.netG if attr.endswith("G") else trainer.netD)
                  for key, attr in _STATES]
    except CheckpointError as err:
        raise CheckpointError(f"{path}: {err}") from None
    for (_, attr), state in zip(_STATES, states):
        setattr(trainer, attr, state)
    trainer.averageG = trainer._fresh_average()
    if trainer.averageG is not None and average:
        for avg, key in zip(trainer.averageG, learnable_keys(trainer.netG)):
            avg.copy_(average[key])
    torch.set_rng_state(tensors["rng/torch"])
    if trainer.augment is not None and "rng/diffAugment" in tensors:
        trainer.augment.rng.set_state(tensors["rng/diffAugment"])
    trainer.evaluations = list(meta.get("evaluation", []))
    if "rng/cuda" in tensors and trainer.device.type == "cuda":
        torch.cuda.set_rng_state(tensors["rng/cuda"], trainer.device)
    _resume_precision(trainer, meta.get("precision"))
    trainer.iteration, trainer.epoch, trainer.batch = iteration, epoch, batch
    trainer.elapsed_before = float(elapsed)
    trainer.history = type(trainer.history)(*history)


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


def _resume_precision(trainer: GANTrainer, saved: Any) -> None:
    """Keep the checkpoint's precision when `auto` resolves differently here, so the resumed run equals an
    uninterrupted one; an explicit fp32/bf16 in the config wins, with a note."""
    current = trainer.precision
    if saved not in ("fp32", "bf16") or saved == current.name:
        return
    if trainer.cfg.precision == "auto":
        trainer.precision = Precision(saved, current.device_type, f"as the checkpoint was trained; here {current}")
        trainer.console.print(f"resuming in {trainer.precision}")
    else:
        trainer.console.print(f"note: the checkpoint was trained in {saved}; continuing in {current.name} as the "
                              "config asks, so the result will differ from an uninterrupted run")
