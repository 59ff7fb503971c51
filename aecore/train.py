"""Training: one `fit` function for every kind, with plain-function callbacks and a stop event.

The whole dataset is moved to the device once and batched there by indexing, so no batch pays a
host-to-device copy; data too large for that streams from disk through DataLoader workers
(aecore.data.stream), and several processes train together under DistributedDataParallel
(aecore.distributed). Loss values are read back to Python (a device sync) only when a callback
wants them and at the end of each epoch, which keeps a GPU busy.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import threading
import time
from typing import Any, Callable, Iterable, Iterator

import torch

from aecore import distributed
from aecore.data.dataset import ImageDataset
from aecore.data.stream import EpochBatches, StreamedImages, choose_feed
from aecore.distributed import epoch_plan
from aecore.history import Callback, Clock, History, Progress
from aecore.models.base import Autoencoder
from aecore.step import optimiser_step

log = logging.getLogger(__name__)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the model holds the weights from before the bad epoch."""


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA, then Apple's MPS, then the CPU."""
    if str(device) != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


SCHEDULES = ("constant", "onecycle")
# Changes to each training batch that keep what an image shows: "hflip" mirrors a random half of
# the batch left to right. Clothing is left-right symmetric, so Fashion-MNIST's 32-D recipe uses it;
# digits are not (a mirrored 3 is no digit), so MNIST's do not.
AUGMENTS = ("none", "hflip")


def _augmenter(augment: str, seed: int) -> Callable[[torch.Tensor], torch.Tensor]:
    if augment == "none":
        return lambda x: x
    draws = torch.Generator().manual_seed(seed + 1)  # on the CPU, so every device flips the same images

    def hflip(x: torch.Tensor) -> torch.Tensor:
        mirror = (torch.rand(len(x), generator=draws) < 0.5).to(x.device)
        return torch.where(mirror.view(-1, *[1] * (x.dim() - 1)), x.flip(-1), x)

    return hflip


def check_arguments(model: Autoencoder, train: ImageDataset | StreamedImages, val: ImageDataset | StreamedImages | None, epochs: int, batch_size: int, lr: float) -> None:
    """Raise ValueError for anything `fit` would refuse, before any work."""
    if len(train) == 0:
        raise ValueError("the training dataset is empty: nothing to learn from")
    for name, data in (("training", train), ("validation", val)):
        if data is not None and tuple(data.image_shape) != tuple(model.config.input_shape):
            raise ValueError(
                f"the {name} images are shaped {tuple(data.image_shape)} but the model takes "
                f"{tuple(model.config.input_shape)}: create the model with input_shape=dataset.image_shape"
            )
    if val is not None and len(val) == 0:
        raise ValueError("the validation dataset is empty: pass val=None to skip validation")
    for name, data in (("training", train), ("validation", val)):
        if data is not None:
            model.check_labels(data.labels, f"the {name} images")  # a conditional kind needs them
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be an integer of at least 1, got {epochs}")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer of at least 1, got {batch_size}")
    if not lr > 0:
        raise ValueError(f"the learning rate must be positive, got {lr}")


@torch.no_grad()
def _validate(model: Autoencoder, val: ImageDataset | StreamedImages, images: torch.Tensor | None, names: list[str],
              batch_size: int, device: torch.device) -> dict[str, float]:
    """Mean of each loss term over `val` (resident `images` when given, else streamed); with several
    ranks each takes a contiguous part and the sums are added up."""
    part, parts = distributed.rank(), distributed.world_size()
    mine = torch.tensor_split(torch.arange(len(val)), parts)[part] if parts > 1 else None
    if images is not None:
        images = images if mine is None else images[mine.to(device)]
        xs: Iterable[torch.Tensor] = (images[start : start + batch_size] for start in range(0, len(images), batch_size))
    else:
        positions = torch.arange(len(val)) if mine is None else mine
        chunks = [positions[start : start + batch_size].tolist() for start in range(0, len(positions), batch_size)]
        xs = (x.to(device) for x in val.loader(chunks, pin_memory=device.type == "cuda"))
    # A conditional model's labels: both feeds cut their batches in order from these positions.
    y = (val.labels if mine is None else val.labels[mine]) if model.conditional else None
    model.eval()
    sums, count = torch.zeros(len(names), device=device), 0
    # The VAE's loss draws samples; forking the generator keeps validation from shifting training's
    # random draws, so a run learns the same weights with or without validation data.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        for start, x in zip(itertools.count(0, batch_size), xs):
            _, logs = model.loss(x, None if y is None else y[start : start + batch_size].to(device))
            sums += torch.stack([logs[n] for n in names]) * len(x)
            count += len(x)
    model.train()
    if parts > 1:
        totals = distributed.all_reduce_sum(torch.cat([sums, sums.new_tensor([count])]))
        sums, count = totals[:-1], int(totals[-1].item())
    return dict(zip(names, (sums / count).tolist()))


def fit(
    model: Autoencoder,
    train: ImageDataset | StreamedImages,
    val: ImageDataset | StreamedImages | None = None,
    *,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    device: str | torch.device = "auto",
    seed: int = 0,
    warmup_epochs: float = 0,
    callbacks: Iterable[Callback] = (),
    batch_interval: float = 0.0,
    stop: threading.Event | Any = None,
    schedule: str = "constant",
    augment: str = "none",
) -> History:
    """Train `model` in place with Adam and return its History.

    train, val: ImageDatasets (in memory), or StreamedImages (on disk: read whole when they fit the
    memory budget, streamed through DataLoader workers otherwise; History.feed says which).
    warmup_epochs: the regularizer weights (the VAE's KL term above all) ramp linearly from 0 over
    this many epochs, the standard cure for posterior collapse (Bowman et al. 2016).
    batch_interval: "batch" events go to the callbacks at most this often (seconds; 0: every
    batch); "epoch" and "end" events always do.
    stop: a threading.Event (or anything with `is_set()`, such as a worker's cancel flag); once set,
    training ends between batches, keeping the weights so far.
    schedule: "constant" keeps lr; "onecycle" (torch's OneCycleLR, Smith & Topin 2018) warms up to
    lr over the first 30% of the batches and anneals to ~0 by the last: in a short run it reaches a
    lower loss than any constant rate (the 28x28 recipes use it).
    augment: "none", or "hflip" to mirror a random half of each training batch (see AUGMENTS).
    Inside a torch.distributed process group (see aecore.distributed) every rank trains its part of
    each global batch of `batch_size` under DistributedDataParallel, and the History's losses are
    the means over all ranks.
    Raises ValueError for bad arguments before any work, and TrainingDiverged (with the last good
    weights restored) when the loss becomes NaN or infinite.
    """
    check_arguments(model, train, val, epochs, batch_size, lr)
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; valid: {', '.join(SCHEDULES)}")
    if augment not in AUGMENTS:
        raise ValueError(f"unknown augment {augment!r}; valid: {', '.join(AUGMENTS)}")
    callbacks = list(callbacks)
    target = distributed.local_device(resolve_device(device))
    part, parts = distributed.rank(), distributed.world_size()
    torch.manual_seed(seed + part)  # the model's own randomness (noise, VAE sampling): each rank its own
    order = torch.Generator().manual_seed(seed)  # batch order, drawn on the CPU so devices and ranks agree
    augmented = _augmenter(augment, seed + part)
    model.to(target).train()
    train, feed, reason = choose_feed(train, target)
    log.info("fit: %s data (%s)", feed, reason)
    val = choose_feed(val, target)[0] if val is not None else None
    images = train.images.to(target, torch.float32) if feed == "resident" else None  # once: batches are slices
    val_images = val.images.to(target, torch.float32) if isinstance(val, ImageDataset) else None
    # A conditional model (the cvae) learns each image's class beside it: labels indexed like the images.
    labels = train.labels.to(target if images is not None else "cpu") if model.conditional else None
    sampler = EpochBatches()
    loader = train.loader(sampler, pin_memory=target.type == "cuda") if images is None else None
    step, optimiser, fast = _make_step(model, lr, target, parts, images[:batch_size] if images is not None else None)
    batches = -(-len(train) // batch_size)
    # A captured CUDA graph cannot follow OneCycleLR's momentum cycling (it moves Adam's betas, fixed
    # in the graph; such steps would all run eagerly), so the graph path cycles the rate only.
    scheduler = (torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=epochs * batches,
                                                     cycle_momentum=not fast)
                 if schedule == "onecycle" else None)
    history = History(device=str(target), feed=feed, feed_reason=reason, world_size=parts)
    clock = Clock(epochs * len(train))
    started = time.perf_counter()
    last_batch_report = -math.inf

    def report(event: str, epoch: int, batch: int, losses: dict[str, float], val_losses: dict[str, float] | None) -> None:
        clock.pause()
        left = clock.seconds_left
        progress = Progress(event, epoch, epochs, batch, batches, losses, val_losses, clock.speed,
                            max(left, 0.0) if math.isfinite(left) else left, history, model)
        for callback in callbacks:
            callback(progress)
        clock.resume()

    try:
        for epoch in range(1, epochs + 1):
            good_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
            permutation = torch.randperm(len(train), generator=order)
            plan = epoch_plan(permutation.to(target) if images is not None else permutation, batch_size, part, parts)
            if images is not None:
                xs: Iterator[torch.Tensor] = (images[mine] for mine, _, _ in plan)
            else:
                sampler.batches = [mine.tolist() for mine, _, _ in plan]
                xs = (x.to(target, non_blocking=True) for x in loader)
            clock.resume()
            sums, seen = None, 0
            for batch, ((mine, share, n_global), x) in enumerate(zip(plan, xs), 1):
                asked = stop is not None and stop.is_set()
                if distributed.any_rank(asked, target) if parts > 1 else asked:
                    history.stopped = True
                    break
                if warmup_epochs > 0:
                    model.warmup_scale = min(1.0, (epoch - 1 + (batch - 1) / batches) / warmup_epochs)
                # With several ranks, weight each rank's mean so DDP's average of the ranks'
                # gradients is the gradient of the global batch's mean (parts may differ by one).
                x = augmented(x)
                y = None if labels is None else labels[mine].to(target)
                logs = step(x, y) if parts == 1 else step(x, y, share * parts / n_global)
                if scheduler is not None:
                    scheduler.step()
                values = torch.stack([v.detach() for v in logs.values()]) * share  # (terms,) summed over the batch
                sums = values if sums is None else sums + values
                seen += share
                clock.samples += n_global
                history.batches_done += 1
                now = time.perf_counter()
                # Reading the values syncs the device, and a callback costs more than a small
                # model's step: only when someone listens, and at most every batch_interval s.
                if callbacks and now - last_batch_report >= batch_interval:
                    last_batch_report = now
                    batch_losses = dict(zip(logs, (values / max(share, 1)).tolist()))  # this rank's part
                    if parts == 1:  # with several ranks only the epoch's global means are checked, by all alike
                        _check_finite(batch_losses, model, good_weights, epoch)
                    report("batch", epoch, batch, batch_losses, None)
            if sums is None:
                break
            if parts > 1:
                totals = distributed.all_reduce_sum(torch.cat([sums, sums.new_tensor([seen])]))
                sums, seen = totals[:-1], int(totals[-1].item())
            epoch_losses = dict(zip(logs, (sums / seen).tolist()))
            clock.pause()
            _check_finite(epoch_losses, model, good_weights, epoch)
            history.train.append(epoch_losses)
            val_losses = _validate(model, val, val_images, list(logs), batch_size, target) if val is not None else None
            if val_losses is not None:
                _check_finite(val_losses, model, good_weights, epoch)
                history.val.append(val_losses)
            history.epoch_seconds.append(time.perf_counter() - started - sum(history.epoch_seconds))
            clock.epoch_done()
            clock.resume()
            report("epoch", epoch, batches, epoch_losses, val_losses)
            clock.pause()
            if history.stopped:
                break
    finally:
        model.warmup_scale = 1.0
        model.eval()
        history.wall_time = time.perf_counter() - started
        history.samples_per_second = clock.speed
    report("end", len(history.train), batches, history.train[-1] if history.train else {},
           history.val[-1] if history.val else None)
    return history


def _make_step(model: Autoencoder, lr: float, device: torch.device, parts: int, example: torch.Tensor | None,
               ) -> tuple[Callable[..., dict[str, torch.Tensor]], torch.optim.Optimizer, bool]:
    """The training step, built once, its optimiser (for a scheduler) and whether it is the GPU fast
    path: `step(x, labels)` takes one Adam step on batch x (labels: its classes, for a conditional
    model) and returns the loss terms as tensors. One process on CUDA with resident data (`example`,
    a first batch) takes aecore.cuda_step's step: fused Adam and the whole step captured in a CUDA
    graph (not for a conditional model, whose labels the graph does not hold). With several ranks
    the loss runs under DistributedDataParallel and `step(x, labels, weight)` scales it (see fit)."""
    if parts == 1 and device.type == "cuda" and example is not None and not model.conditional:
        from aecore.cuda_step import make_step  # only a GPU run pays for the import

        fast = make_step(model, example, lr=lr, graph=True)
        log.info("fit: step %s", fast.mode)
        return (lambda x, labels=None, weight=None: fast(x)), fast.optimizer, fast.mode.startswith("cuda graph")
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    loss = distributed.synced_loss(model, device) if parts > 1 else model.loss

    def step(x: torch.Tensor, labels: torch.Tensor | None = None, weight: float | None = None) -> dict[str, torch.Tensor]:
        return optimiser_step(optimiser, loss if labels is None else functools.partial(loss, labels=labels), x, weight)

    return step, optimiser, False


def _check_finite(losses: dict[str, float], model: Autoencoder, good_weights: dict[str, torch.Tensor], epoch: int) -> None:
    bad = ", ".join(f"{k}={v}" for k, v in losses.items() if not math.isfinite(v))
    if not bad:
        return
    model.load_state_dict(good_weights)
    raise TrainingDiverged(
        f"training diverged in epoch {epoch} ({bad}); the weights from before that epoch were restored. "
        "Lower the learning rate (or the regularizer weight) and train again."
    )
