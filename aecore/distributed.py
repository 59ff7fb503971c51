"""Several processes: torch.distributed set up from torchrun's environment, and the sharding rule.

    python -m torch.distributed.run --nproc-per-node 2 -m aecore train --dataset digits --out ae.zip

torchrun starts one process per rank and sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
MASTER_PORT; `session()` joins the process group they describe (NCCL for CUDA tensors, gloo for
CPU ones) and leaves it at the end. Without those variables (a plain `python -m aecore train`, the
app, the tests) nothing here starts: every helper answers as for one process, rank 0 of 1.

Sharding keeps a distributed run the same run as one process: `batch_size` is the GLOBAL batch.
Every rank draws the same permutation from the seed, cuts the same global batches, and takes its
own contiguous part of each; the loss is weighted so that DistributedDataParallel's average of the
ranks' gradients equals the gradient of the global batch's mean (`shard`).
"""

from __future__ import annotations

import contextlib
import datetime
import os
from typing import Callable, Iterator

import torch
import torch.distributed as dist


def launched() -> bool:
    """Whether torchrun (or a cluster launcher with the same variables) started this process as one
    rank of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def active() -> bool:
    """Whether a process group of more than one rank is running."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    """Rank 0 (or the only process): the one that writes checkpoints and prints."""
    return rank() == 0


def local_device(device: torch.device) -> torch.device:
    """A CUDA device without an index means this rank's own GPU (LOCAL_RANK) when distributed."""
    if device.type == "cuda" and device.index is None and active():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device


@contextlib.contextmanager
def session(timeout_minutes: float = 30.0) -> Iterator[None]:
    """Join the process group torchrun describes for the duration of the block, then destroy it.

    Does nothing when the process was not launched as one of several ranks, or when a group is
    already running (an outer session owns it), so callers can nest it freely. With CUDA the group
    carries both backends ("cpu:gloo,cuda:nccl"), so a run on `device="cpu"` on a GPU machine
    still finds gloo for its CPU tensors.
    """
    if not launched() or (dist.is_available() and dist.is_initialized()):
        yield
        return
    if not dist.is_available():
        raise ValueError("this PyTorch build has no torch.distributed; install a standard PyTorch build")
    backend = "gloo"
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count())
        backend = "cpu:gloo,cuda:nccl"
    dist.init_process_group(backend, timeout=datetime.timedelta(minutes=timeout_minutes))
    try:
        yield
    finally:
        dist.destroy_process_group()


def barrier() -> None:
    if active():
        dist.barrier()


def all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    """The sum of `values` over every rank (the tensor itself when alone). Works on gloo and NCCL."""
    if active():
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def any_rank(flag: bool, device: torch.device) -> bool:
    """True on every rank when `flag` is true on any: a stop request must end all ranks together,
    or the others would wait forever for the leaver's gradients."""
    if not active():
        return flag
    return bool(all_reduce_sum(torch.tensor([float(flag)], device=device)).item() > 0)


def shard(global_batch: torch.Tensor, part: int, parts: int) -> tuple[torch.Tensor, int]:
    """This rank's indices of one global batch, and how many of them are real.

    The ranks take contiguous parts whose sizes differ by at most one (torch.tensor_split), so
    together they see exactly the global batch. A rank whose part is empty (a last batch smaller
    than the number of ranks) still takes one image, counted 0 times: every rank must run a
    backward pass for the gradient all-reduce to complete.
    """
    mine = torch.tensor_split(global_batch, parts)[part]
    if len(mine) == 0:
        return global_batch[:1], 0
    return mine, len(mine)


class _Loss(torch.nn.Module):
    """A model's loss as a module's forward: DistributedDataParallel syncs what runs through forward."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self.model.loss(x, labels)


def synced_loss(model: torch.nn.Module, device: torch.device) -> Callable[[torch.Tensor], tuple[torch.Tensor, dict[str, torch.Tensor]]]:
    """`model.loss` under DistributedDataParallel: its backward all-reduces (averages) the gradients
    across ranks. The wrapper broadcasts rank 0's weights once, so every rank starts the same."""
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(_Loss(model), device_ids=[device.index] if device.type == "cuda" else None)


def epoch_plan(permutation: torch.Tensor, batch_size: int, part: int = 0, parts: int = 1) -> list[tuple[torch.Tensor, int, int]]:
    """One epoch's steps: (this rank's indices, how many of them count, the global batch's size).

    The global batches are the same cuts of the same permutation on every rank, and as in one
    process; with one rank, each step is the whole global batch.
    """
    plan = []
    for start in range(0, len(permutation), batch_size):
        global_batch = permutation[start : start + batch_size]
        mine, share = shard(global_batch, part, parts) if parts > 1 else (global_batch, len(global_batch))
        plan.append((mine, share, len(global_batch)))
    return plan


__all__ = ["active", "all_reduce_sum", "any_rank", "barrier", "epoch_plan", "is_main", "launched", "local_device", "rank",
           "session", "shard", "synced_loss", "world_size"]
