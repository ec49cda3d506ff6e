"""A GAN training run's checkpoint: both networks, the averaged generator, the Adam states, the random number
generators, the position in the data and the score history, in one safetensors file (train/checkpoint.py).

Tensor keys: 'generator/<layer>/<Parameter>', 'discriminator/…', 'generator_average/…' (when averaging),
'opt/G.avg/…' and the other solver states, 'rng/torch' (and 'rng/cuda'). The metadata holds both specs'
text, the configuration and the position, so `layergraph export|generate|plot` need nothing else.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from layergraph.errors import SpecError
from layergraph.precision import Precision
from layergraph.train.checkpoint import (
    AVERAGE,
    flatten_state,
    load_checkpoint,
    save_checkpoint,
    section,
    unflatten_state,
)

if TYPE_CHECKING:
    from layergraph.compile.dlnetwork import dlnetwork
    from layergraph.train.gan import GANTrainer

CHECKPOINT = "checkpoint.safetensors"
FORMAT_VERSION = 1
_STATES = (("G.avg", "avgG"), ("G.avgSq", "avgSqG"), ("D.avg", "avgD"), ("D.avgSq", "avgSqD"))  # key, attribute


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
    }


def save_training(trainer: GANTrainer, elapsed: float) -> Path:
    """Write the trainer's checkpoint (on the main rank; every rank must call this for the checksums)."""
    checksums = rank_checksums(trainer)
    path = trainer.checkpoint_path()
    if trainer.main:
        save_checkpoint(path, _tensors(trainer), _meta(trainer, elapsed, checksums))
    return path


def restore_training(trainer: GANTrainer, path: Path) -> None:
    """Continue from a checkpoint written by save_training: weights, optimizer state, RNG, position."""
    tensors, meta = load_checkpoint(path)
    if meta.get("format") != FORMAT_VERSION:
        raise SpecError(f"{path}: not a layergraph training checkpoint (format {meta.get('format')!r})")
    for which in ("generator", "discriminator"):
        if meta.get(f"{which}_spec") != trainer.spec_text[which]:
            raise SpecError(f"{path}: the checkpoint was trained with a different {which} spec than "
                            f"{getattr(trainer.cfg, which)}")
    for prefix, net in (("generator", trainer.netG), ("discriminator", trainer.netD)):
        net.load_tensors(section(tensors, prefix))  # copies onto the network's device
    trainer.averageG = trainer._fresh_average()
    saved = section(tensors, AVERAGE)
    if trainer.averageG is not None and saved:
        for avg, key in zip(trainer.averageG, learnable_keys(trainer.netG)):
            avg.copy_(saved[key])
    dev = {k: v.to(trainer.device) for k, v in tensors.items() if k.startswith("opt/")}
    for key, attr in _STATES:
        setattr(trainer, attr, unflatten_state(key, dev, trainer.netG if attr.endswith("G") else trainer.netD))
    torch.set_rng_state(tensors["rng/torch"])
    if "rng/cuda" in tensors and trainer.device.type == "cuda":
        torch.cuda.set_rng_state(tensors["rng/cuda"], trainer.device)
    _resume_precision(trainer, meta.get("precision"))
    trainer.iteration, trainer.epoch, trainer.batch = meta["iteration"], meta["epoch"], meta["batch"]
    trainer.elapsed_before = float(meta.get("elapsed", 0.0))
    h = meta.get("history", {})
    trainer.history = type(trainer.history)(list(h.get("iteration", [])), list(h.get("scoreG", [])),
                                            list(h.get("scoreD", [])))


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
