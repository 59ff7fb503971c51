"""One optimiser step on one batch: the update every training loop in aecore takes. A module of its
own so that aecore.train and aecore.cuda_step (which train loads only on a GPU) both import it
without importing each other."""

from __future__ import annotations

from typing import Callable

import torch


def optimiser_step(optimiser: torch.optim.Optimizer, loss: Callable[[torch.Tensor], tuple[torch.Tensor, dict]],
                   x: torch.Tensor, weight: float | None = None, set_to_none: bool = True) -> dict[str, torch.Tensor]:
    """The per-batch update, written once for fit (aecore.train), `aecore.cuda_step`'s eager step and the table models (aecore.tabular): zero the
    gradients, the loss of batch x (scaled by `weight`, a rank's share of the global batch), backward
    and one optimiser step. Returns the loss terms as tensors (no device sync). set_to_none=False
    zeroes gradients in place (a CUDA graph owns their memory)."""
    optimiser.zero_grad(set_to_none=set_to_none)
    total, logs = loss(x)
    (total if weight is None else total * weight).backward()
    optimiser.step()
    return logs
