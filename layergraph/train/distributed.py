"""Multi-process training with torch.distributed (launched by torchrun): process group, weight broadcast,
DistributedDataParallel gradients.

Each network's compiled module runs inside torch's DistributedDataParallel. DDP averages gradients as
`.backward()` accumulates them into `.grad` (its reducer does not see `torch.autograd.grad`, which is how
dlgradient differentiates), so under torchrun the trainer asks for gradients with `gradients()` below:
backward into `.grad` for one network's learnables, then hand them out as a Learnables-shaped table.
"""
from __future__ import annotations

import gc
import inspect
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from layergraph.table import Table


@dataclass(frozen=True)
class Dist:
    """This process's place in the job: rank, world size, and the device it drives."""

    rank: int
    world: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(environment_device: torch.device) -> Dist | None:
    """Join the process group torchrun describes (WORLD_SIZE > 1); None for a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    rank = int(os.environ["RANK"])
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if environment_device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        device = torch.device("cpu")
        backend = "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return Dist(rank, world, device)


def broadcast_tensors(tensors: list[torch.Tensor]) -> None:
    """Give every rank rank 0's values (weights, batch-norm state) so all start identical."""
    with torch.no_grad():
        for t in tensors:
            dist.broadcast(t, src=0)


def gradients(loss: torch.Tensor, net: Any, retain_graph: bool = False) -> Table:
    """dlgradient(loss, net.Learnables) for a network run through DistributedDataParallel: the gradients
    are accumulated by `.backward()`, averaged over all ranks by DDP's reducer on the way, and returned
    (`.grad` is cleared again, so nothing accumulates across calls)."""
    learn = net.Learnables
    params = list(learn.Value)
    torch.autograd.backward(loss, inputs=params, retain_graph=retain_graph)
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    for p in params:
        p.grad = None
    return Table(learn.Layer, learn.Parameter, grads)


def average(tensors: list[torch.Tensor], world: int) -> None:
    """In place: each tensor becomes its mean over all ranks (one flat all_reduce)."""
    if not tensors:
        return
    flat = torch.cat([t.reshape(-1) for t in tensors])
    dist.all_reduce(flat)
    flat /= world
    offset = 0
    for t in tensors:
        n = t.numel()
        t.copy_(flat[offset: offset + n].view_as(t))
        offset += n


def ddp_options(device: torch.device) -> dict[str, Any]:
    """DistributedDataParallel options: the rank's GPU, and no buffer sync in forward, so batch-norm statistics
    stay each rank's own (torch ≥ 2.13 calls that forward_sync_buffers, older releases broadcast_buffers)."""
    options: dict[str, Any] = {"device_ids": [device.index] if device.type == "cuda" else None}
    ddp_args = inspect.signature(torch.nn.parallel.DistributedDataParallel).parameters
    options["forward_sync_buffers" if "forward_sync_buffers" in ddp_args else "broadcast_buffers"] = False
    return options


def shutdown() -> None:
    """Leave the process group. DDP wrappers still waiting in reference cycles (a trainer holds its own bound
    methods) are collected first: destroyed after their process group, they can abort the process."""
    if dist.is_initialized():
        gc.collect()
        dist.destroy_process_group()
